"""The ``contacts`` command. Exit status: 0 found or done, 1 nothing found (or, for import and sync, some rows
rejected), 2 bad input, 3 the directory could not be used: damaged, a full disk, locked too long (reason on
stderr)."""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import sys
from collections.abc import Sequence

from cli import admin, lookup, store, tokens, transfer, webhooks
from cli.output import fail_with
from core.bootstrap import directory_arguments, open_directory
from core.config import default_data_dir
from core.errors import ContactsError
from core.policy import Actor


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contacts", description="External contacts directory.")
    directory_arguments(parser)
    parser.add_argument("--as", dest="actor", default=None, help="act as this user (default: your login name)")
    parser.set_defaults(opens=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lookup.add_parser(commands)
    admin.add_parsers(commands)
    transfer.add_parsers(commands)
    store.add_parsers(commands)
    tokens.add_parsers(commands)
    webhooks.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.data_dir = args.data_dir or default_data_dir()
    actor = Actor(args.actor or getpass.getuser())
    try:
        if not args.opens:  # checking and repairing work on a store that may not open
            status: int = args.run(args.data_dir, args)
            return status
        directory = open_directory(args.data_dir, database_url=args.database_url)
    except ContactsError as error:
        return fail_with(error)
    try:
        status = args.run(directory, actor, args)
        sys.stdout.flush()  # a reader that went away shows here, not as noise when the interpreter exits
        return status
    except ContactsError as error:
        return fail_with(error)
    except BrokenPipeError:
        # Whoever read the output stopped (`| head`): stop quietly, as Unix tools do. Output comes after the work,
        # so what was imported or changed stays done.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    finally:
        directory.close()

