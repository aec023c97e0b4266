"""The ``contacts`` command. Exit status: 0 found or done, 1 nothing found (or, for import, some rows rejected),
2 bad input (reason on stderr)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from core.config import default_data_dir
from core.customfields import FieldType
from core.demo import populate
from core.directory import Directory, Lookup
from core.errors import ContactsError
from core.models import DEFAULT_DIVISION, Contact, Organization
from core.policy import Actor
from core.transfer.columns import COLUMNS
from core.transfer.files import ImportOptions, export_file, import_file
from core.transfer.plan import MATCH_KINDS
from core.transfer.salesforce import SalesforceClient, SalesforceSettings, sync_salesforce
from core.transfer.vcard import VERSIONS as VCARD_VERSIONS

FOUND, NOTHING, BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contacts", description="External contacts directory.")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where the directory is kept (default: $CONTACTS_DATA_DIR, else your user data dir)")
    parser.add_argument("--as", dest="actor", default=None, help="act as this user (default: your login name)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="fill an empty directory with realistic sample records")
    demo.add_argument("--contacts", type=int, default=500, help="how many contacts (default 500)")
    demo.add_argument("--seed", type=int, default=7, help="the same seed gives the same records")
    demo.add_argument("--if-empty", action="store_true", help="do nothing (and succeed) if there are contacts")

    lookup = commands.add_parser("lookup", help="find contacts by phone (any format), email, @handle or words")
    lookup.add_argument("value")
    lookup.add_argument("--json", action="store_true", help="print JSON")

    schema = commands.add_parser("schema", help="list, add, disable and enable custom fields")
    schema_commands = schema.add_subparsers(dest="schema_command", required=True, metavar="ACTION")
    listing = schema_commands.add_parser("list", help="the custom fields of contacts and organizations")
    listing.add_argument("entity", nargs="?", choices=["contact", "organization"])
    listing.add_argument("--json", action="store_true", help="print JSON")
    add = schema_commands.add_parser("add", help="add a custom field")
    add.add_argument("entity", choices=["contact", "organization"])
    add.add_argument("key", help="lower-case letters, digits and _; fixed once added")
    add.add_argument("--label", required=True)
    add.add_argument("--type", required=True, choices=[t.value for t in FieldType])
    add.add_argument("--max-length", type=int)
    add.add_argument("--minimum", type=float)
    add.add_argument("--maximum", type=float)
    add.add_argument("--option", action="append", default=[], help="an enum option (repeat for each)")
    for name, text in (("disable", "disable a field (its values are kept)"), ("enable", "enable a disabled field")):
        toggle = schema_commands.add_parser(name, help=text)
        toggle.add_argument("entity", choices=["contact", "organization"])
        toggle.add_argument("key")

    commands.add_parser("compact", help="fold the journal into a fresh snapshot")

    importing = commands.add_parser("import", help="import contacts and organizations from CSV, vCard or JSON Lines")
    importing.add_argument("file", type=Path, nargs="?")
    importing.add_argument("--format", choices=["csv", "vcard", "jsonl"], help="default: by the file's extension")
    importing.add_argument("--mapping", type=Path, help="a TOML file mapping another export's headers to ours")
    importing.add_argument("--division", default=DEFAULT_DIVISION, help="where new records go (default Home)")
    importing.add_argument("--match", default=",".join(MATCH_KINDS),
                           help="how rows find existing contacts, in order (default external_id,email,phone)")
    importing.add_argument("--source", default="import",
                           help="the system the file's Contact ID and Account ID come from (default import)")
    importing.add_argument("--encoding", help="the file's text encoding when it is not UTF-8, e.g. cp1252")
    importing.add_argument("--dry-run", action="store_true", help="say what each row would do; change nothing")
    importing.add_argument("--strict", action="store_true", help="import nothing if any row is rejected")
    importing.add_argument("--rejects", type=Path, help="where rejected rows go (default FILE.rejects.EXT)")
    importing.add_argument("--columns", action="store_true", help="list the CSV columns import reads, and stop")

    sync = commands.add_parser("sync", help="pull records from a CRM")
    sync.add_argument("system", choices=["salesforce"])
    sync.add_argument("--full", action="store_true", help="ask for every record, not only those changed since the "
                                                          "last sync")
    sync.add_argument("--division", default=None, help="where new records go (default: [salesforce] division, "
                                                       "else Home)")
    sync.add_argument("--dry-run", action="store_true", help="say what would change; change nothing")

    exporting = commands.add_parser("export", help="export to CSV, vCard or JSON Lines (a full backup)")
    exporting.add_argument("file", type=Path)
    exporting.add_argument("--format", choices=["csv", "vcard", "jsonl"], help="default: by the file's extension")
    exporting.add_argument("--vcard-version", choices=list(VCARD_VERSIONS), default="3.0")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    actor = Actor(args.actor or getpass.getuser())
    try:
        directory = Directory.open(args.data_dir or default_data_dir())
    except ContactsError as error:
        print(f"contacts: {error}", file=sys.stderr)
        return BAD_INPUT
    try:
        status = _run(directory, actor, args)
        sys.stdout.flush()  # a reader that went away shows here, not as noise when the interpreter exits
        return status
    except ContactsError as error:
        print(f"contacts: {error}", file=sys.stderr)
        return BAD_INPUT
    except BrokenPipeError:
        # Whoever read the output stopped (`| head`): stop quietly, as Unix tools do. Output comes after the work,
        # so what was imported or changed stays done.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    finally:
        directory.close()


def _run(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    if args.command == "demo":
        existing = directory.repo.count("contacts")
        if existing:
            if args.if_empty:
                return FOUND
            print(f"contacts: {args.data_dir or default_data_dir()} already holds {existing} contacts; demo data "
                  "goes into an empty directory", file=sys.stderr)
            return BAD_INPUT
        if args.contacts < 1:
            print(f"contacts: --contacts must be at least 1 (got {args.contacts})", file=sys.stderr)
            return BAD_INPUT
        populate(directory, actor, args.contacts, args.seed,
                 progress=lambda done, total: print(f"\r{done}/{total} contacts", end="", file=sys.stderr))
        print(file=sys.stderr)
        print(f"Added {args.contacts} contacts and {max(1, args.contacts // 20)} organizations.")
        return FOUND
    if args.command == "lookup":
        found = directory.lookup(actor, args.value)
        organizations = {o.id: o.name for o in directory.records(
            "organization", {c.organization_id for c in found.contacts if c.organization_id})}
        print(_lookup_json(found) if args.json else _lookup_text(found, organizations))
        return FOUND if found.found else NOTHING
    if args.command == "schema":
        return _schema(directory, actor, args)
    if args.command == "compact":
        directory.repo.compact()
        print("Compacted.")
        return FOUND
    if args.command == "import":
        return _import(directory, actor, args)
    if args.command == "sync":
        return _sync(directory, actor, args)
    if args.command == "export":
        with ProgressBar("Exporting", "records") as bar:
            count = export_file(directory, actor, args.file, format=args.format, vcard_version=args.vcard_version,
                                progress=bar.update)
        print(f"Exported {count} records to {args.file}.")
        return FOUND
    raise AssertionError(args.command)


def _import(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    if args.columns:
        print("\n".join(c.name for c in COLUMNS))
        print("custom.<key>  (a contact custom field)\naccount.custom.<key>  (an organization custom field)")
        return FOUND
    if args.file is None:
        print("contacts: import needs a FILE (or --columns)", file=sys.stderr)
        return BAD_INPUT
    options = ImportOptions(format=args.format, mapping=args.mapping, division=args.division,
                            match=tuple(m.strip() for m in args.match.split(",") if m.strip()), source=args.source,
                            encoding=args.encoding, dry_run=args.dry_run, strict=args.strict, rejects=args.rejects)
    with ProgressBar("Checking" if args.dry_run else "Importing", "rows") as bar:
        result = import_file(directory, actor, args.file, options, progress=bar.update)
    report = result.report
    if result.ignored_columns:
        print("Ignored columns (not ones import reads): " + ", ".join(result.ignored_columns), file=sys.stderr)
    for outcome in report.outcomes:
        if args.dry_run or outcome.action == "error" or outcome.warnings:
            print(outcome.report_line())
    print(report.summary() + ("" if report.written else "; nothing was written"))
    if result.rejects:
        print(f"Rejected rows are in {result.rejects}: fix them there and import that file.")
    if report.errors and args.strict:
        print("contacts: --strict: rows were rejected, so nothing was imported", file=sys.stderr)
        return BAD_INPUT
    return NOTHING if report.errors else FOUND


def _sync(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    settings = SalesforceSettings.load(directory)
    client = SalesforceClient(settings)
    with ProgressBar("Syncing", "records") as bar:
        result = sync_salesforce(directory, actor, client, full=args.full, dry_run=args.dry_run,
                                 division=args.division or settings.division, progress=bar.update)
    for outcome in result.report.outcomes:
        if args.dry_run or outcome.action == "error" or outcome.warnings:
            print(outcome.report_line().replace("line ", "record ", 1))
    since = f"changed since {result.since}" if result.since else "all records"
    print(f"Salesforce ({since}): {result.accounts} accounts, {result.contacts} contacts. "
          + result.report.summary().split(": ", 1)[1] + ("" if result.report.written else "; nothing was written"))
    return NOTHING if result.report.errors else FOUND


class ProgressBar:
    """A one-line progress bar on stderr, shown on a terminal once the work has taken a second."""

    def __init__(self, verb: str, unit: str, stream=None):
        self.verb, self.unit = verb, unit
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.shown = False

    def __enter__(self) -> ProgressBar:
        return self

    def update(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed < 1 or not self.stream.isatty():
            return
        total = max(total, done, 1)
        filled = round(30 * done / total)
        self.stream.write(f"\r{self.verb} [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,} {self.unit} "
                          f"{elapsed:.0f} s")
        self.stream.flush()
        self.shown = True

    def __exit__(self, *exc_info: object) -> None:
        if self.shown:
            self.stream.write("\n")


def _schema(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    if args.schema_command == "list":
        entities = [args.entity] if args.entity else ["contact", "organization"]
        schemas = [directory.schema(e) for e in entities]
        if args.json:
            print(json.dumps([s.model_dump(mode="json") for s in schemas], indent=2, ensure_ascii=False))
            return FOUND
        for schema in schemas:
            print(f"{schema.entity} fields (schema version {schema.version}):")
            for spec in schema.fields:
                state = " [disabled]" if spec.disabled else ""
                print(f"  {spec.key:<20} {spec.label:<24} {spec.describe()}{state}")
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


def _lookup_json(found: Lookup) -> str:
    return json.dumps({
        "query": found.query,
        "searched_as": found.kind,
        "normalized": found.normalized,
        "contacts": [c.model_dump(mode="json") for c in found.contacts],
        "organizations": [o.model_dump(mode="json") for o in found.organizations],
        "total": found.search.total if found.search else len(found.contacts) + len(found.organizations),
        "refine": bool(found.search and found.search.refine),
    }, indent=2, ensure_ascii=False)


def _lookup_text(found: Lookup, organizations: dict[int, str]) -> str:
    if found.search is not None and found.search.refine:
        return found.search.message
    if not found.found:
        if found.kind == "search":
            return f"Nothing matches {found.query!r}."
        what = {"phone": "the number", "email": "the address", "social": "the handle"}[found.kind]
        return f"No contact or organization has {what} {found.normalized}."
    blocks = [_contact_text(c, organizations.get(c.organization_id)) for c in found.contacts] + [_organization_text(o) for o in found.organizations]
    if found.search is not None:
        blocks.append(found.search.message)
    return "\n\n".join(blocks)


def _contact_text(contact: Contact, organization: str | None) -> str:
    lines = [f"{contact.full_name}  (contact {contact.id}, division {contact.division})"]
    role = " at ".join(p for p in (contact.title, organization) if p)
    if role:
        lines.append(f"  {role}")
    for phone in contact.phones:
        normalized = f"  [{phone.e164}]" if phone.e164 and phone.e164 != phone.raw else ""
        lines.append(f"  {phone.kind.value:<6} {phone.raw}{normalized}  SMS {'on' if phone.sms else 'off'}")
    lines += [f"  {email.kind.value:<6} {email.address}" for email in contact.emails]
    lines += [f"  {social.network.value}: {social.handle}" for social in contact.socials]
    if contact.survey_opt_out:
        lines.append("  Opted out of surveys")
    lines += [f"  {key}: {value}" for key, value in contact.custom_fields.items()]
    if contact.external_system_url:
        lines.append(f"  {contact.external_system_url}")
    return "\n".join(lines)


def _organization_text(organization: Organization) -> str:
    lines = [f"{organization.name}  (organization {organization.id}, division {organization.division})"]
    if organization.phone:
        lines.append(f"  phone  {organization.phone.raw}")
    lines += [f"  {site}" for site in organization.websites]
    lines += [f"  {key}: {value}" for key, value in organization.custom_fields.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
