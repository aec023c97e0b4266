"""``contacts-bot``: run the Slack bot on a data directory."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import threading
from collections.abc import Sequence

from bot.app import build_app
from bot.server import EVENTS_PATH, serve_http, serve_socket_mode
from bot.settings import slack_settings
from core.bootstrap import directory_arguments, open_directory
from core.config import default_data_dir
from core.errors import ContactsError
from core.transfer.sync_watch import sync_in_background


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="contacts-bot",
        description="The Contacts Slack bot. Socket Mode when SLACK_APP_TOKEN is set, else an HTTP server. "
                    "Needs SLACK_BOT_TOKEN, and SLACK_SIGNING_SECRET in HTTP mode; SLACK_API_URL changes the "
                    "Web API base URL.")
    directory_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1", help="HTTP mode: address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3000, help="HTTP mode: port (default 3000)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    token = os.environ.get("SLACK_BOT_TOKEN", "")
    app_token = os.environ.get("SLACK_APP_TOKEN", "")
    secret = os.environ.get("SLACK_SIGNING_SECRET", "")
    missing = [name for name, value in (("SLACK_BOT_TOKEN", token),) if not value]
    if not app_token and not secret:
        missing.append("SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
    if missing:
        print(f"contacts-bot: set {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        directory = open_directory(args.data_dir or default_data_dir(), database_url=args.database_url)
        settings = slack_settings(directory.settings)
    except ContactsError as error:
        print(f"contacts-bot: {error}", file=sys.stderr)
        return 2
    app = build_app(directory, settings, token=token, signing_secret=secret or "socket-mode",
                    api_url=os.environ.get("SLACK_API_URL"))
    stop_syncing = threading.Event()
    try:
        sync_in_background(directory, stop_syncing, logging.getLogger("contacts.sync").info)
    except ContactsError as error:
        print(f"contacts-bot: {error}", file=sys.stderr)
        return 2
    # What the store loaded lives as long as the bot: the cycle collector need not walk its millions of objects on
    # every full collection, each of which held up the requests of that moment (as in the terminal UI).
    gc.freeze()
    try:
        if app_token:
            serve_socket_mode(app, app_token)
        else:
            logging.info("listening on http://%s:%s%s", args.host, args.port, EVENTS_PATH)
            serve_http(app, secret, args.host, args.port)
    except KeyboardInterrupt:
        pass
    finally:
        stop_syncing.set()
        directory.close()
    return 0

