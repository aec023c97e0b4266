"""``contacts-tui``: the terminal UI on a data directory."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from core.bootstrap import directory_arguments, open_directory
from core.config import default_data_dir
from core.errors import ContactsError
from core.policy import Actor
from tui.app import ContactsApp


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="contacts-tui", description="Browse, search and edit the contacts directory.")
    directory_arguments(parser)
    parser.add_argument("--as", dest="actor", default=None, help="act as this user (default: your login name)")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or default_data_dir()
    try:
        directory = open_directory(data_dir, database_url=args.database_url)
    except ContactsError as error:
        print(f"contacts-tui: {error}", file=sys.stderr)
        return 2
    try:
        ContactsApp(directory, Actor(args.actor or getpass.getuser()), str(data_dir)).run()
    finally:
        directory.close()
    return 0
