"""``contacts check`` and ``contacts repair``: for a store that refuses to open because a file is damaged."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.output import FOUND, STORE_PROBLEM, fail
from core.bootstrap import StoreCheck, check_store, repair_store


def add_parsers(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser("check", help="say whether the store's files are intact, changing nothing")
    check.set_defaults(run=run_check, opens=False)
    repair = commands.add_parser("repair", help="remove damaged journal lines, keeping a copy of the journal first")
    repair.add_argument("--yes", action="store_true", help="do it (without it, only show what would be removed)")
    repair.set_defaults(run=run_repair, opens=False)


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
