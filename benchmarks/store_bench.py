"""Store benchmark: this project's store beside TinyDB used the way its README shows, in one run.

    python benchmarks/store_bench.py --sizes 100000 1000000

For each size it builds both stores from the same deterministic records (``dataset.py``), then measures each in a
fresh process of its own (so "open cold" and "peak memory" belong to that store alone) and prints a markdown table
with both and their ratio. Records: contacts with 2 phones, 1 email and 2 notes each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import dataset  # noqa: E402

CHUNK = 5000
TARGETS = {
    100_000: {"lookup": "≤ 0.05 ms", "write": "≤ 5 ms", "open": "≤ 1.5 s", "memory": "≤ 600 MB"},
    1_000_000: {"lookup": "≤ 0.1 ms", "write": "≤ 25 ms", "open": "≤ 20 s", "memory": "≤ 5 GB"},
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# ---------------------------------------------------------------- this project's store

def build_ours(data_dir: Path, size: int) -> dict:
    import orjson

    from core.bootstrap import open_directory
    from core.policy import Actor

    started = time.perf_counter()
    directory = open_directory(data_dir)
    admin = Actor("bench")
    for field in dataset.FIELDS:
        directory.add_custom_field(admin, "contact", field)
    storage = directory._repo.db.storage  # the dataset goes straight into the store: building it is not timed
    with storage.transaction():
        for i in range(1, 51):
            storage.put_raw("organizations", i, orjson.dumps(dataset.organization(i)))
    note_id = 1
    for start in range(0, size, CHUNK):
        with storage.transaction():
            for i in range(start, min(start + CHUNK, size)):
                storage.put_raw("contacts", i + 1, orjson.dumps(dataset.contact(i)))
                for n in range(2):
                    storage.put_raw("notes", note_id, orjson.dumps(dataset.note(i + 1, n)))
                    note_id += 1
    storage.compact()
    directory.close()
    return {"build_s": time.perf_counter() - started, "disk_mb": _disk_mb(data_dir)}


def measure_ours(data_dir: Path, size: int, lookups: int, writes: int) -> dict:
    import random

    from core.bootstrap import open_directory
    from core.policy import Actor

    started = time.perf_counter()
    directory = open_directory(data_dir)
    open_s = time.perf_counter() - started
    from core.directory.search import lookup as index_lookup

    agent = Actor("bench")
    lookup_ms, index_ms = [], []
    for text, e164 in dataset.lookup_inputs(size, lookups):
        t = time.perf_counter()
        found = directory.lookup(agent, text)
        lookup_ms.append((time.perf_counter() - t) * 1000)
        assert any(p.e164 == e164 for c in found.contacts for p in c.phones), (text, e164)
        t = time.perf_counter()
        store = directory._repo  # the index alone, under the service: what the service adds on top shows beside
        with store.reading():
            ids = list(index_lookup(store, text, directory.region, None).contacts)
        index_ms.append((time.perf_counter() - t) * 1000)
        assert ids == [c.id for c in found.contacts]
    rng = random.Random(5)
    note_ms, optout_ms = [], []
    for i in range(writes):
        contact_id = rng.randint(1, size)
        t = time.perf_counter()
        directory.add_note(agent, "contact", contact_id, f"Benchmark note {i}")
        note_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        directory.set_survey_opt_out(agent, contact_id, i % 2 == 0)
        optout_ms.append((time.perf_counter() - t) * 1000)
    directory.close()
    return {"open_s": open_s, "lookup_ms": lookup_ms, "index_ms": index_ms, "note_ms": note_ms,
            "optout_ms": optout_ms, "peak_mb": peak_mb()}


# ---------------------------------------------------------------- TinyDB as its README shows

def build_naive(data_dir: Path, size: int) -> dict:
    from tinydb import TinyDB
    from tinydb.table import Document

    started = time.perf_counter()
    data_dir.mkdir(parents=True, exist_ok=True)
    db = TinyDB(data_dir / "db.json")
    db.table("organizations").insert_multiple(Document(dataset.organization(i), i) for i in range(1, 51))
    db.table("contacts").insert_multiple(Document(dataset.contact(i), i + 1) for i in range(size))
    db.table("notes").insert_multiple(
        Document(dataset.note(i + 1, n), 2 * i + n + 1) for i in range(size) for n in range(2))
    db.close()
    return {"build_s": time.perf_counter() - started, "disk_mb": _disk_mb(data_dir)}


def measure_naive(data_dir: Path, size: int, lookups: int, writes: int) -> dict:
    import random

    from tinydb import Query, TinyDB

    from core.phones import parse_phone

    started = time.perf_counter()
    db = TinyDB(data_dir / "db.json")
    contacts, notes = db.table("contacts"), db.table("notes")
    assert len(contacts) == size
    open_s = time.perf_counter() - started
    phone = Query()
    lookup_ms = []
    for text, e164 in dataset.lookup_inputs(size, lookups):
        t = time.perf_counter()
        wanted = parse_phone(text, "US").e164
        found = contacts.search(phone.phones.any(Query().e164 == wanted))
        lookup_ms.append((time.perf_counter() - t) * 1000)
        assert found, (text, e164)
    rng = random.Random(5)
    note_ms, optout_ms = [], []
    for i in range(writes):
        contact_id = rng.randint(1, size)
        t = time.perf_counter()
        notes.insert({**dataset.note(contact_id, 0), "text": f"Benchmark note {i}"})
        note_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        contacts.update({"survey_opt_out": i % 2 == 0}, doc_ids=[contact_id])
        optout_ms.append((time.perf_counter() - t) * 1000)
    db.close()
    return {"open_s": open_s, "lookup_ms": lookup_ms, "note_ms": note_ms, "optout_ms": optout_ms, "peak_mb": peak_mb()}


def _disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.iterdir()) / 1e6


# ---------------------------------------------------------------- driver

def run_phase(*args: object) -> dict:
    result = subprocess.run([sys.executable, __file__, "--phase", *map(str, args)], capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"phase {args} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import orjson
    import tinydb
    return (f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, tinydb {tinydb.__version__}, orjson {orjson.__version__}")


def ms(value: float) -> str:
    return f"{value:,.3f} ms" if value < 10 else f"{value:,.0f} ms"


def table(size: int, ours: dict, naive: dict | None, samples: dict) -> str:
    targets = TARGETS.get(size, {})
    rows = [
        ("phone lookup, any input format → matching documents (store and indexes), p50", targets.get("lookup", ""),
         "index_ms", 50),
        ("phone lookup, any input format → validated `Contact` records (service API), p50", "", "lookup_ms", 50),
        ("phone lookup → records, p99", "", "lookup_ms", 99),
        ("add a note (durable write), p50", targets.get("write", ""), "note_ms", 50),
        ("toggle survey opt-out (durable write), p50", targets.get("write", ""), "optout_ms", 50),
        ("durable write, p99", "", "optout_ms", 99),
    ]
    lines = [
        f"#### {size:,} contacts (2 phones, 1 email, 2 notes each)",
        "",
        "| figure | target | Contacts store | TinyDB as its README shows | ratio |",
        "|---|---|---|---|---|",
    ]
    for label, target, key, p in rows:
        mine = percentile(ours[key], p)
        theirs = percentile(naive[key if key in naive else "lookup_ms"], p) if naive else None
        lines.append(f"| {label} | {target} | {ms(mine)} | {ms(theirs) if naive else 'not run'} | "
                     f"{f'{theirs / mine:,.0f}×' if naive else ''} |")
    def row(label: str, target: str, mine: float, theirs: float | None, unit: str) -> str:
        fmt = (lambda v: f"{v:.2f} s") if unit == "s" else (lambda v: f"{v:,.0f} MB")
        shown = fmt(theirs) if theirs is not None else "not run"
        ratio = f"{theirs / mine:.1f}×" if theirs is not None else ""
        return f"| {label} | {target} | {fmt(mine)} | {shown} | {ratio} |"

    lines.append(row("open a store cold", targets.get("open", ""), ours["open_s"], naive and naive["open_s"], "s"))
    lines.append(row("peak memory (whole process)", targets.get("memory", ""), ours["peak_mb"],
                     naive and naive["peak_mb"], "MB"))
    lines.append(row("files on disk", "", ours["disk_mb"], naive and naive["disk_mb"], "MB"))
    lines.append("")
    lines.append(f"Samples: Contacts {samples['ours']}; TinyDB {samples['naive']}. "
                 f"Build: Contacts {ours['build_s']:.1f} s, TinyDB {naive['build_s']:.1f} s."
                 if naive else f"Samples: Contacts {samples['ours']}. Build: {ours['build_s']:.1f} s.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--naive-sizes", type=int, nargs="*", default=None,
                        help="sizes at which to run naive TinyDB too (default: all)")
    parser.add_argument("--work-dir", type=Path, default=Path("bench-data"))
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--phase", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        action, kind, directory, size, lookups, writes = args.phase
        size, lookups, writes = int(size), int(lookups), int(writes)
        phases = {("build", "ours"): lambda: build_ours(Path(directory), size),
                  ("build", "naive"): lambda: build_naive(Path(directory), size),
                  ("measure", "ours"): lambda: measure_ours(Path(directory), size, lookups, writes),
                  ("measure", "naive"): lambda: measure_naive(Path(directory), size, lookups, writes)}
        print(json.dumps(phases[(action, kind)]()))
        return

    naive_sizes = args.sizes if args.naive_sizes is None else args.naive_sizes
    print(f"Machine: {machine()}\n")
    for size in args.sizes:
        ours_dir, naive_dir = args.work_dir / f"ours-{size}", args.work_dir / f"naive-{size}"
        shutil.rmtree(ours_dir, ignore_errors=True)
        shutil.rmtree(naive_dir, ignore_errors=True)
        ours = run_phase("build", "ours", ours_dir, size, 0, 0)
        ours |= run_phase("measure", "ours", ours_dir, size, args.lookups, args.writes)
        naive = None
        # TinyDB re-reads (searches) or rewrites (writes) the whole file each time: a few samples tell enough.
        naive_lookups, naive_writes = (20, 10) if size <= 100_000 else (3, 3)
        if size in naive_sizes:
            naive = run_phase("build", "naive", naive_dir, size, 0, 0)
            naive |= run_phase("measure", "naive", naive_dir, size, naive_lookups, naive_writes)
        samples = {"ours": f"{args.lookups} lookups, {args.writes} of each write",
                   "naive": f"{naive_lookups} lookups, {naive_writes} of each write"}
        print(table(size, ours, naive, samples))
        print()
        shutil.rmtree(ours_dir, ignore_errors=True)
        shutil.rmtree(naive_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
