"""Commands that shape the directory: demo data, custom fields, divisions, moves between them, compaction."""

from __future__ import annotations

import argparse
import json
import sys

from cli.output import FOUND, fail
from core.customfields import FieldType
from core.demo import populate
from core.directory import Directory
from core.kinds import RecordKind
from core.policy import Actor
from core.text import inert

KINDS = [k.value for k in RecordKind]


def add_parsers(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help="fill an empty directory with realistic sample records")
    demo.add_argument("--contacts", type=int, default=500, help="how many contacts (default 500)")
    demo.add_argument("--seed", type=int, default=7, help="the same seed gives the same records")
    demo.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) if there are contacts")
    demo.set_defaults(run=run_demo)

    schema = commands.add_parser("schema", help="list, add, disable and enable custom fields")
    actions = schema.add_subparsers(dest="schema_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the custom fields of contacts and organizations")
    listing.add_argument("entity", nargs="?", choices=KINDS)
    listing.add_argument("--json", action="store_true", help="print JSON")
    add = actions.add_parser("add", help="add a custom field")
    add.add_argument("entity", choices=KINDS)
    add.add_argument("key", help="lower-case letters, digits and _; fixed once added")
    add.add_argument("--label", required=True)
    add.add_argument("--type", required=True, choices=[t.value for t in FieldType])
    add.add_argument("--max-length", type=int)
    add.add_argument("--minimum", type=float)
    add.add_argument("--maximum", type=float)
    add.add_argument("--option", action="append", default=[], help="an enum option (repeat for each)")
    for name, text in (("disable", "disable a field (its values are kept)"), ("enable", "enable a disabled field")):
        toggle = actions.add_parser(name, help=text)
        toggle.add_argument("entity", choices=KINDS)
        toggle.add_argument("key")
    schema.set_defaults(run=run_schema)

    division = commands.add_parser("division", help="list, add, rename and describe divisions")
    actions = division.add_subparsers(dest="division_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every division, with how many of its records you see")
    listing.add_argument("--json", action="store_true", help="print JSON")
    add = actions.add_parser("add", help="add a division")
    add.add_argument("name")
    add.add_argument("--description")
    rename = actions.add_parser("rename", help="rename a division and every record in it")
    rename.add_argument("name")
    rename.add_argument("new_name")
    describe = actions.add_parser("describe", help="set a division's description (empty to clear it)")
    describe.add_argument("name")
    describe.add_argument("description")
    division.set_defaults(run=run_division)

    move = commands.add_parser("move", help="put a record in another division (keeps its id, notes and history)")
    move.add_argument("kind", choices=KINDS)
    move.add_argument("id", type=int)
    move.add_argument("division")
    move.set_defaults(run=run_move)

    compact = commands.add_parser("compact", help="fold the journal into a fresh snapshot")
    compact.set_defaults(run=run_compact)


def run_demo(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    existing = directory.count(actor, RecordKind.contact)
    if existing:
        if args.if_empty:
            return FOUND
        return fail(f"{args.data_dir} already holds {existing} contacts; demo data goes into an empty directory")
    if args.contacts < 1:
        return fail(f"--contacts must be at least 1 (got {args.contacts})")
    populate(directory, actor, args.contacts, args.seed,
             progress=lambda done, total: print(f"\r{done}/{total} contacts", end="", file=sys.stderr))
    print(file=sys.stderr)
    print(f"Added {args.contacts} contacts and {max(1, args.contacts // 20)} organizations.")
    return FOUND


def run_schema(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    if args.schema_command == "list":
        schemas = [directory.schema(e) for e in ([args.entity] if args.entity else KINDS)]
        if args.json:
            print(json.dumps([s.model_dump(mode="json") for s in schemas], indent=2, ensure_ascii=False))
            return FOUND
        for schema in schemas:
            print(f"{schema.entity} fields (schema version {schema.version}):")
            for spec in schema.fields:
                state = " [disabled]" if spec.disabled else ""
                print(inert(f"  {spec.key:<20} {spec.label:<24} {spec.describe()}{state}"))
            if not schema.fields:
                print("  (none)")
        return FOUND
    if args.schema_command == "add":
        field = {
            "key": args.key, "label": args.label, "type": args.type, "max_length": args.max_length,
            "minimum": args.minimum, "maximum": args.maximum, "options": [{"value": o} for o in args.option],
        }
        schema = directory.add_custom_field(actor, args.entity, field)
    else:
        schema = directory.set_custom_field_disabled(actor, args.entity, args.key, args.schema_command == "disable")
    print(f"{args.entity} custom fields are now at version {schema.version}.")
    return FOUND


def run_division(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    command = args.division_command
    if command == "list":
        rows = [(d, directory.division_size(actor, d.name)) for d in directory.divisions()]
        if args.json:
            print(json.dumps([{**d.model_dump(mode="json"), "records": size} for d, size in rows], indent=2,
                             ensure_ascii=False))
            return FOUND
        width = max(len(d.name) for d, _ in rows)
        for division, size in rows:
            shown = "-" if size is None else f"{size:,}"
            print(inert(f"{division.name:<{width}}  {shown:>9} records  {division.description or ''}".rstrip()))
        return FOUND
    if command == "add":
        division = directory.create_division(actor, args.name, args.description)
        print(f"Added division {division.name!r}.")
    elif command == "rename":
        division = directory.rename_division(actor, args.name, args.new_name)
        print(f"Renamed division {args.name!r} to {division.name!r}; its records moved with it.")
    else:
        division = directory.describe_division(actor, args.name, args.description)
        print(f"Division {division.name!r}: {division.description or '(no description)'}")
    return FOUND


def run_move(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    print(directory.move(actor, args.kind, args.id, args.division).message)
    return FOUND


def run_compact(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    directory.compact(actor)
    print("Compacted.")
    return FOUND
