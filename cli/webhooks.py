"""``contacts webhook``: other systems told of changes as they happen (``contacts-api`` delivers them)."""

from __future__ import annotations

import argparse

from cli.output import FOUND, NOTHING
from core.directory import Directory
from core.policy import Actor
from core.text import inert


def add_parsers(commands: argparse._SubParsersAction) -> None:
    webhook = commands.add_parser("webhook", help="add, list and remove change webhooks (admins)")
    actions = webhook.add_subparsers(dest="webhook_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="send changes from now on to URL; prints the signing secret")
    add.add_argument("url")
    add.add_argument("--events", required=True, help="comma-separated: contact.created,contact.updated,… or *")
    add.add_argument("--division", action="append", default=[], help="what it hears of (repeat; default: all)")
    actions.add_parser("list", help="the webhooks and how far each got")
    remove = actions.add_parser("remove", help="stop sending to a webhook")
    remove.add_argument("id", type=int)
    log = actions.add_parser("log", help="a webhook's latest deliveries and failed attempts")
    log.add_argument("id", type=int)
    webhook.set_defaults(run=run_webhook)


def run_webhook(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    if args.webhook_command == "add":
        events = [e.strip() for e in args.events.split(",") if e.strip()]
        hook = directory.add_webhook(actor, args.url, events, args.division or None)
        print(f"Webhook {hook.id}: {inert(hook.url)} ({', '.join(hook.events)}). Its signing secret:")
        print(hook.secret)
        return FOUND
    if args.webhook_command == "remove":
        directory.remove_webhook(actor, args.id)
        print(f"Webhook {args.id} removed.")
        return FOUND
    if args.webhook_command == "log":
        entries = directory.webhook_deliveries(actor, args.id)
        for entry in entries:
            outcome = "delivered" if entry["accepted"] else f"failed ({inert(entry.get('error', ''))})"
            print(f"{entry['at']}  #{entry['cursor']} {entry['event']}  attempt {entry['attempt']}: {outcome}")
        return FOUND if entries else NOTHING
    hooks = directory.webhooks(actor)
    for hook in hooks:
        print(inert(f"{hook.id}\t{hook.url}\t{','.join(hook.events)}\t{','.join(hook.divisions)}\t"
                    f"at change {hook.cursor}"))
    return FOUND if hooks else NOTHING
