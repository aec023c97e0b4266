"""``contacts token``: the keys other systems call the Contacts API with."""

from __future__ import annotations

import argparse

from cli.output import FOUND, NOTHING
from core.directory import Directory
from core.policy import Actor, Role
from core.text import inert


def add_parsers(commands: argparse._SubParsersAction) -> None:
    token = commands.add_parser("token", help="make, list and revoke API tokens (admins)")
    actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make a token and print it (the only time it is shown)")
    create.add_argument("name", help="who calls with it (the author of its changes in the history), e.g. zendesk")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--division", action="append", default=[],
                        help="a division it may see and change (repeat for each; default: all)")
    actions.add_parser("list", help="the tokens there are (never the tokens themselves)")
    revoke = actions.add_parser("revoke", help="stop a token from working, at once for every API process")
    revoke.add_argument("name")
    token.set_defaults(run=run_token)


def run_token(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    if args.token_command == "create":
        secret = directory.create_token(actor, args.name, args.role, args.division or None)
        print(f"Token {inert(args.name)} ({args.role}). Keep it now: it is stored only as a hash.")
        print(secret)
        return FOUND
    if args.token_command == "revoke":
        directory.revoke_token(actor, args.name)
        print(f"Token {inert(args.name)} revoked.")
        return FOUND
    made = directory.tokens(actor)
    for info in made:
        print(inert(f"{info.name}\t{info.role.value}\t{', '.join(info.divisions)}\t"
                    f"made {info.created_at:%Y-%m-%d %H:%M} by {info.created_by}"))
    return FOUND if made else NOTHING
