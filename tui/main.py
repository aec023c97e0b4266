"""``contacts-tui``: the terminal UI on a data directory."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path

from core.bootstrap import open_directory
from core.config import default_data_dir
from core.errors import ContactsError
from core.policy import Actor
from tui.app import ContactsApp


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="contacts-tui", description="Browse, search and edit the contacts directory.")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: $CONTACTS_DATA_DIR, else your user data dir")
    parser.add_argument("--as", dest="actor", default=None, help="act as this user (default: your login name)")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or default_data_dir()
    try:
        directory = open_directory(data_dir)
    except ContactsError as error:
        print(f"contacts-tui: {error}", file=sys.stderr)
        return 2
    try:
        ContactsApp(directory, Actor(args.actor or getpass.getuser()), str(data_dir)).run()
    finally:
        directory.close()
    return 0
