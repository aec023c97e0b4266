"""``contacts-api``: serve the Contacts API for a data directory."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace

from api.app import build_api
from core.bootstrap import directory_arguments, open_directory
from core.config import default_data_dir
from core.errors import ContactsError
from core.transfer.sync_watch import sync_in_background
from core.webhook_sender import WebhookSender
from serving.limits import DEFAULT_LIMITS
from serving.server import serve

# Import jobs upload whole address books (and take longer to arrive); everything else keeps the default limit.
LIMITS = replace(DEFAULT_LIMITS, larger_bodies={"/api/v1/imports": 256 * 2**20}, arrival_seconds=120.0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="contacts-api", description="The Contacts REST API (OpenAPI at "
                                                                      "/openapi.json, resources under /api/v1).")
    directory_arguments(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    data_dir = args.data_dir or default_data_dir()
    try:
        directory = open_directory(data_dir, database_url=args.database_url)
    except ContactsError as error:
        print(f"contacts-api: {error}", file=sys.stderr)
        return 2
    stop_syncing = threading.Event()
    try:
        sync_in_background(directory, stop_syncing, logging.getLogger("contacts.sync").info)
    except ContactsError as error:
        print(f"contacts-api: {error}", file=sys.stderr)
        directory.close()
        return 2
    webhook_settings = (directory.settings.model_extra or {}).get("webhooks", {})
    sender = WebhookSender(directory, logging.getLogger("contacts.webhooks").info,
                           first_retry=float(webhook_settings.get("first_retry", 1.0)))
    sending = sender.start(stop_syncing)
    gc.freeze()  # what the store loaded lives as long as the process (as in the bot and the terminal UI)
    logging.info("Contacts API on http://%s:%s/api/v1 (OpenAPI: /openapi.json)", args.host, args.port)
    try:
        serve(build_api(directory, data_dir / "imports"), args.host, args.port, LIMITS)
    except KeyboardInterrupt:
        pass
    finally:
        stop_syncing.set()
        sending.join(timeout=15)  # a delivery under way ends (its timeout is 10 s)
        sender.release()
        directory.close()
    return 0
