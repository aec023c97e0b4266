"""``contacts check`` and ``contacts repair``, for a store that refuses to open because a file is damaged; and
``contacts migrate``, between the embedded store and PostgreSQL."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.output import FOUND, STORE_PROBLEM, ProgressBar, fail
from core.bootstrap import DATABASE_URL, StoreCheck, check_store, database_url_argument, migrate_store, repair_store
from core.config import Settings


def add_parsers(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser("check", help="say whether the store's files are intact, changing nothing")
    check.set_defaults(run=run_check, opens=False)
    repair = commands.add_parser("repair", help="remove damaged journal lines, keeping a copy of the journal first")
    repair.add_argument("--yes", action="store_true", help="do it (without it, only show what would be removed)")
    repair.set_defaults(run=run_repair, opens=False)
    migrate = commands.add_parser("migrate", help="copy the directory from the embedded store into an empty "
                                                  "PostgreSQL database, or back")
    where = migrate.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", metavar="URL", type=database_url_argument,
                       help="postgresql://… : copy this data directory's store there")
    where.add_argument("--from", dest="origin", metavar="URL", type=database_url_argument,
                       help="postgresql://… : copy that database into this (empty) data directory")
    migrate.set_defaults(run=run_migrate, opens=False)


def _describe(found: StoreCheck) -> None:
    if found.snapshot_problem:
        print(found.snapshot_problem)
    for damage in found.damage:
        print(f"{damage}{' (never acknowledged: nothing saved is lost)' if damage.harmless else ''}")


def run_check(data_dir: Path, args: argparse.Namespace) -> int:
    found = check_store(data_dir)
    _describe(found)
    if found.intact:
        print(f"{data_dir}: the store is intact")
        return FOUND
    print("`contacts repair` shows what it would remove; `contacts repair --yes` removes it, keeping a copy"
          if not found.snapshot_problem else "restore the snapshot from a backup")
    return STORE_PROBLEM


def run_repair(data_dir: Path, args: argparse.Namespace) -> int:
    found = check_store(data_dir)
    if found.snapshot_problem:
        return fail(f"{found.snapshot_problem}. `contacts repair` mends journals only", STORE_PROBLEM)
    if not found.damage:
        print(f"{data_dir}: nothing to repair")
        return FOUND
    if not args.yes:
        print("would remove:")
        _describe(found)
        print("run `contacts repair --yes` to remove it (a copy of the journal is kept first)")
        return STORE_PROBLEM
    repaired = repair_store(data_dir)
    print("removed:")
    _describe(repaired)
    print(f"the journal as it was is in {repaired.kept_copy}")
    return FOUND


def run_migrate(data_dir: Path, args: argparse.Namespace) -> int:
    embedded = Settings()
    database = Settings.model_validate({"store": {"kind": "postgresql", "url": args.to or args.origin}})
    source, target = (embedded, database) if args.to else (database, embedded)
    with ProgressBar("Copying", "records") as bar:
        counts = migrate_store(data_dir, source, target, progress=bar.update)
    copied = ", ".join(f"{count:,} {table}" for table, count in counts.items())
    print(f"Copied and compared, document for document: {copied}.")
    print(f"Set {DATABASE_URL}, or [store] kind = \"postgresql\" and its url in contacts.toml, to use it."
          if args.to else "This data directory now holds the directory; its contacts.toml chooses the store, "
                          f"unless {DATABASE_URL} is set.")
    return FOUND

