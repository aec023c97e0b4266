"""``contacts import``, ``export`` and ``sync``: whole address books in and out."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from cli.output import FOUND, NOTHING, ProgressBar, fail
from core.directory import Directory
from core.models import DEFAULT_DIVISION
from core.policy import Actor
from core.text import inert
from core.transfer.columns import COLUMNS
from core.transfer.files import DEFAULT_SOURCE, ImportOptions, export_file, import_file
from core.transfer.plan import MATCH_KINDS
from core.transfer.presets import PRESETS
from core.transfer.report import Report
from core.transfer.salesforce import SOURCE, sync_salesforce
from core.transfer.salesforce_api import SalesforceClient, SalesforceSettings
from core.transfer.sync_watch import SyncWatcher
from core.transfer.vcard_export import VERSIONS as VCARD_VERSIONS

FORMATS = ["csv", "vcard", "jsonl"]


def add_parsers(commands: argparse._SubParsersAction) -> None:
    importing = commands.add_parser("import", help="import contacts and organizations from CSV, vCard or JSON Lines")
    importing.add_argument("file", type=Path, nargs="?")
    importing.add_argument("--format", choices=FORMATS, help="default: by the file's extension")
    importing.add_argument("--from", dest="preset", choices=list(PRESETS),
                           help="the exporter that wrote a CSV file: its columns and labels are read as they are")
    importing.add_argument("--mapping", type=Path, help="a TOML file mapping another export's headers to ours")
    importing.add_argument("--division", default=DEFAULT_DIVISION,
                           help=f"where new records go (default {DEFAULT_DIVISION})")
    importing.add_argument("--match", default=",".join(MATCH_KINDS),
                           help="how rows find existing contacts, in order (default external_id,email,phone)")
    importing.add_argument("--source", default=DEFAULT_SOURCE,
                           help="the system the file's Contact ID and Account ID come from (default: the preset's, "
                                f"else {DEFAULT_SOURCE})")
    importing.add_argument("--encoding", help="the file's text encoding when it is not UTF-8, e.g. cp1252")
    importing.add_argument("--dry-run", action="store_true", help="say what each row would do; change nothing")
    importing.add_argument("--strict", action="store_true", help="reject a row with a value that cannot be stored "
                           "(instead of leaving the value out), and import nothing if any row is rejected")
    importing.add_argument("--rejects", type=Path, help="where rejected rows go (default FILE.rejects.EXT)")
    importing.add_argument("--columns", action="store_true", help="list the CSV columns import reads, and stop")
    importing.set_defaults(run=run_import)

    sync = commands.add_parser("sync", help="pull records from a CRM (once, or --watch to keep pulling)")
    sync.add_argument("system", choices=["salesforce", "status"],
                      help="the CRM to pull from, or status: how the last run went")
    sync.add_argument("--watch", action="store_true", help="keep running, syncing every [salesforce] interval")
    sync.add_argument("--every", help="with --watch: how often, e.g. 5m (default: [salesforce] interval, else 15m)")
    sync.add_argument("--full", action="store_true", help="ask for every record, not only those changed since the "
                                                          "last sync")
    sync.add_argument("--division", default=None, help="where new records go (default: [salesforce] division, "
                                                       f"else {DEFAULT_DIVISION})")
    sync.add_argument("--dry-run", action="store_true", help="say what would change; change nothing")
    sync.set_defaults(run=run_sync)

    exporting = commands.add_parser("export", help="export to CSV, vCard or JSON Lines (a full backup)")
    exporting.add_argument("file", type=Path)
    exporting.add_argument("--format", choices=FORMATS, help="default: by the file's extension")
    exporting.add_argument("--vcard-version", choices=list(VCARD_VERSIONS), default="3.0")
    exporting.add_argument("--query", help="export only the records a search for these words finds")
    exporting.set_defaults(run=run_export)


def run_import(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    if args.columns:
        print("\n".join(c.name for c in COLUMNS))
        print("custom.<key>  (a contact custom field)\naccount.custom.<key>  (an organization custom field)")
        return FOUND
    if args.file is None:
        return fail("import needs a FILE (or --columns)")
    options = ImportOptions(format=args.format, mapping=args.mapping, preset=args.preset, division=args.division,
                            match=tuple(m.strip() for m in args.match.split(",") if m.strip()), source=args.source,
                            encoding=args.encoding, dry_run=args.dry_run, strict=args.strict, rejects=args.rejects)
    with ProgressBar("Checking" if args.dry_run else "Importing", "rows") as bar:
        result = import_file(directory, actor, args.file, options, progress=bar.update)
    if result.ignored_columns:
        print(inert("Ignored columns (not ones import reads): " + ", ".join(result.ignored_columns)), file=sys.stderr)
    _print_outcomes(result.report, args.dry_run, "line")
    print(result.report.summary())
    if result.report.not_kept:
        print(inert(result.report.not_kept_line("card" if result.format == "vcard" else "row")))
    if result.rejects:
        print(f"Rejected rows are in {result.rejects}: fix them there and import that file.")
    if result.report.errors and args.strict:
        return fail("--strict: rows were rejected, so nothing was imported")
    return NOTHING if result.report.errors else FOUND


def run_sync(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    if args.system == "status":
        return _sync_status(directory, actor)
    settings = SalesforceSettings.load(directory, every=args.every)
    if args.watch:
        return _watch(directory, actor, settings)
    client = SalesforceClient(settings)
    with ProgressBar("Syncing", "records") as bar:
        result = sync_salesforce(directory, actor, client, full=args.full, dry_run=args.dry_run,
                                 division=args.division or settings.division, on_delete=settings.on_delete,
                                 archive_division=settings.archive_division, progress=bar.update)
    _print_outcomes(result.report, args.dry_run, "record")
    print(result.summary())
    return NOTHING if result.report.errors else FOUND


def _sync_status(directory: Directory, actor: Actor) -> int:
    state = directory.sync_state(actor, SOURCE)
    if state is None:
        print("Salesforce: never synced.")
        return NOTHING
    when = state.at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if state.at else "?"
    print(f"Salesforce: last run {when}, {'ok' if state.ok else 'FAILED'}")
    print(inert(state.outcome))
    if state.mark:
        print(f"Changes pulled up to {state.mark}")
    return FOUND if state.ok else NOTHING


def _watch(directory: Directory, actor: Actor, settings: SalesforceSettings) -> int:
    """Sync on the interval until interrupted (Ctrl+C) or told to stop (SIGTERM, as a service manager does)."""
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    print(f"Syncing from Salesforce every {settings.interval}; Ctrl+C stops.", flush=True)
    watcher = SyncWatcher(directory, actor, settings, say=_say)
    watcher.run(stop)
    return FOUND


def _say(text: str) -> None:
    print(time.strftime("%H:%M:%S ") + inert(text), flush=True)


def _print_outcomes(report: Report, every_row: bool, unit: str) -> None:
    for outcome in report.outcomes:
        if every_row or outcome.worth_reading:
            print(inert(outcome.report_line(unit)))  # the file's text, shown, never obeyed


def run_export(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    with ProgressBar("Exporting", "records") as bar:
        exported = export_file(directory, actor, args.file, format=args.format, vcard_version=args.vcard_version,
                               progress=bar.update, query=args.query)
    print(f"Exported {exported.count} records to {args.file}.")
    print("Not in this format: " + ", ".join(exported.not_carried) + ".")
    return FOUND

