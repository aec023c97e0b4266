"""Bulk import and export benchmark, beside the naive way (a loop over the service API), in one run.

    python benchmarks/transfer_bench.py --sizes 100000 1000000

For each size it writes a CSV in Genesys Cloud's bulk-import columns (contact and account columns on each row,
two phones typed in assorted formats, an email, two custom fields; 5,000 distinct accounts), then, each in a fresh
process of its own:
- imports it into an empty directory with ``contacts import``'s function (validated, normalized, matched);
- imports the same file again (every row matched and unchanged: the idempotent re-import);
- exports every contact to CSV;
- does the same import the naive way: csv.DictReader and ``Directory.create`` per row (one durable write each),
  on the first rows only, extrapolated to the whole file; and exports by reading each contact through the API.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import dataset  # noqa: E402
from store_bench import machine, peak_mb  # noqa: E402

ACCOUNTS = 5000
NAIVE_ROWS = 2000
TARGETS = {100_000: {"import": "≤ 15 s", "export": "≤ 5 s"}, 1_000_000: {"memory": "≤ 5 GB"}}
HEADER = ["Contact ID", "Contact First Name", "Contact Last Name", "Contact Title", "Contact Work Phone",
          "Contact Cell Phone", "Contact Work Email", "Account ID", "Account Name", "custom.customer_id",
          "custom.tier"]


def write_csv(path: Path, size: int) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(size):
            record = dataset.contact(i)
            work, cell = record["phones"]
            account = i % ACCOUNTS
            writer.writerow([f"C{i:07d}", record["first_name"], record["last_name"], "Buyer", work["raw"],
                             cell["raw"], record["emails"][0]["address"], f"A{account:05d}", f"Org {account}",
                             record["custom_fields"]["customer_id"], record["custom_fields"]["tier"]])


def _directory(data_dir: Path):
    from core.bootstrap import open_directory
    from core.policy import Actor

    directory = open_directory(data_dir)
    admin = Actor("bench")
    if not directory.schema("contact").fields:
        for field in dataset.FIELDS:
            directory.add_custom_field(admin, "contact", field)
    return directory, admin


def import_ours(data_dir: Path, source: Path) -> dict:
    from core.transfer.files import import_file

    directory, admin = _directory(data_dir)
    started = time.perf_counter()
    result = import_file(directory, admin, source)
    seconds = time.perf_counter() - started
    counts = dict(result.report.counts)
    directory.close()
    return {"seconds": seconds, "counts": counts, "peak_mb": peak_mb()}


def export_ours(data_dir: Path, target: Path) -> dict:
    from core.transfer.files import export_file

    directory, admin = _directory(data_dir)
    started = time.perf_counter()
    count = export_file(directory, admin, target).count
    return {"seconds": time.perf_counter() - started, "count": count, "peak_mb": peak_mb()}


def import_naive(data_dir: Path, source: Path) -> dict:
    """What a script against the service API does: a row, a create (validated, durable), the next row."""
    directory, admin = _directory(data_dir)
    organizations: dict[str, int] = {}
    started = time.perf_counter()
    with open(source, encoding="utf-8", newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle)):
            if n == NAIVE_ROWS:
                break
            account = row["Account ID"]
            if account not in organizations:
                organizations[account] = directory.create(admin, "organization", {
                    "name": row["Account Name"], "external_ids": [{"source": "import", "value": account}]}).id
            directory.create(admin, "contact", {
                "first_name": row["Contact First Name"], "last_name": row["Contact Last Name"],
                "title": row["Contact Title"], "organization_id": organizations[account],
                "phones": [{"kind": "work", "raw": row["Contact Work Phone"]},
                           {"kind": "cell", "raw": row["Contact Cell Phone"]}],
                "emails": [{"address": row["Contact Work Email"]}],
                "external_ids": [{"source": "import", "value": row["Contact ID"]}],
                "custom_fields": {"customer_id": row["custom.customer_id"], "tier": row["custom.tier"]},
            })
    return {"seconds": time.perf_counter() - started, "rows": NAIVE_ROWS, "peak_mb": peak_mb()}


def export_naive(data_dir: Path, target: Path) -> dict:
    """Every contact read through the API one by one and written with csv.DictWriter."""
    directory, admin = _directory(data_dir)
    started = time.perf_counter()
    ids = [i for chunk in directory.browse(admin, "contact").chunks(5000) for i in chunk]
    with open(target, "w", encoding="utf-8", newline="") as out:
        writer = None
        for contact_id in ids:
            row = directory.get(admin, "contact", contact_id).model_dump(mode="json")
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
    return {"seconds": time.perf_counter() - started, "count": len(ids), "peak_mb": peak_mb()}


PHASES = {"import-ours": import_ours, "import-naive": import_naive, "export-ours": export_ours,
          "export-naive": export_naive}


def run_phase(name: str, data_dir: Path, path: Path) -> dict:
    result = subprocess.run([sys.executable, __file__, "--phase", name, str(data_dir), str(path)],
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"phase {name} failed:\n{result.stderr}")
    return json.loads(result.stdout.splitlines()[-1])


def table(size: int, first: dict, again: dict | None, exported: dict, naive_import: dict | None,
          naive_export: dict | None) -> str:
    targets = TARGETS.get(size, {})
    naive_rate = naive_import["seconds"] / naive_import["rows"] if naive_import else None
    lines = [f"#### {size:,}-row CSV (Genesys columns, contact and account on each row)", "",
             "| figure | target | Contacts | naive: a loop over the service API | ratio |", "|---|---|---|---|---|"]

    def row(label: str, target: str, mine: float, theirs: float | None, note: str = "") -> None:
        shown = f"{theirs:,.1f} s{note}" if theirs is not None else "not run"
        ratio = f"{theirs / mine:,.1f}×" if theirs is not None else ""
        lines.append(f"| {label} | {target} | {mine:,.1f} s | {shown} | {ratio} |")

    row("import into an empty directory (validated, normalized, matched; one durable commit)",
        targets.get("import", ""), first["seconds"], naive_rate and naive_rate * size,
        f" (extrapolated from {NAIVE_ROWS:,} rows)")
    if again:
        row("import the same file again (every row matched, nothing changes)", "", again["seconds"], None)
    row("export every contact to CSV", targets.get("export", ""), exported["seconds"],
        naive_export and naive_export["seconds"])
    naive_memory = f"{naive_import['peak_mb']:,.0f} MB ({NAIVE_ROWS:,} rows)" if naive_import else ""
    lines.append(f"| peak memory of the import process | {targets.get('memory', '')} | {first['peak_mb']:,.0f} MB | "
                 f"{naive_memory} | |")
    second = f", {again['counts']} on the second" if again else ""
    lines += ["", f"Rows: {first['counts']} on the first import{second}; exported {exported['count']:,} records."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--naive-sizes", type=int, nargs="*", default=None,
                        help="sizes at which to run the naive way too (default: all)")
    parser.add_argument("--work-dir", type=Path, default=Path("bench-data"))
    parser.add_argument("--no-reimport", type=int, nargs="*", default=[], metavar="SIZE",
                        help="sizes at which to skip the second import (it takes as long as the first)")
    parser.add_argument("--phase", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, data_dir, path = args.phase
        print(json.dumps(PHASES[name](Path(data_dir), Path(path))))
        return
    naive_sizes = args.sizes if args.naive_sizes is None else args.naive_sizes
    print(f"Machine: {machine()}\n")
    for size in args.sizes:
        work = args.work_dir / f"transfer-{size}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        source = work / "contacts.csv"
        write_csv(source, size)
        first = run_phase("import-ours", work / "ours", source)
        again = None if size in args.no_reimport else run_phase("import-ours", work / "ours", source)
        exported = run_phase("export-ours", work / "ours", work / "export.csv")
        naive_import = naive_export = None
        if size in naive_sizes:
            naive_import = run_phase("import-naive", work / "naive", source)
            naive_export = run_phase("export-naive", work / "ours", work / "naive-export.csv")
        print(table(size, first, again, exported, naive_import, naive_export))
        print()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
