"""Duplicate scan benchmark: how long ``Directory.find_duplicates`` takes over the whole directory.

    python benchmarks/duplicates_bench.py --sizes 100000 1000000 --naive-size 10000

Builds the store benchmark's contacts with names as varied as the demo data's (50 first names, 44 last names) at
2,000 organizations of 50 people each, plus planted duplicates (1 in 500 contacts copied with the same email and
its first name typed differently), and times the scan. Beside it, in the same run, the naive way: every pair of contacts sharing a last
name compared by first name (what the terminal UI did before), at a size it finishes in.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from itertools import combinations
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import dataset  # noqa: E402
import orjson  # noqa: E402
from store_bench import machine  # noqa: E402

from core.bootstrap import open_directory  # noqa: E402
from core.demo import FIRST_NAMES, LAST_NAMES  # noqa: E402
from core.directory.duplicates import _similar_first_names  # noqa: E402
from core.policy import Actor  # noqa: E402
from core.text import fold  # noqa: E402

ACTOR = Actor("bench")
PLANTED_EVERY = 500
ORGANIZATIONS = 2000


def build(data_dir: Path, size: int) -> int:
    """The contacts, and a near copy of every 500th; returns how many copies were planted."""
    directory = open_directory(data_dir)
    storage = directory._repo.db.storage  # the dataset goes straight into the store: building it is not timed
    planted = 0
    for start in range(0, size, 50_000):
        with storage.transaction():
            for i in range(start, min(start + 50_000, size)):
                rng = random.Random(i)
                doc = {**dataset.contact(i), "first_name": rng.choice(FIRST_NAMES),
                       "last_name": rng.choice(LAST_NAMES), "organization_id": 1 + i % ORGANIZATIONS}
                storage.put_raw("contacts", i + 1, orjson.dumps(doc))
                if i % PLANTED_EVERY == 0:
                    copy = {**doc, "first_name": doc["first_name"] + "e", "phones": []}
                    storage.put_raw("contacts", size + 1 + planted, orjson.dumps(copy))
                    planted += 1
    storage.compact()
    directory.close()
    return planted


def ours(data_dir: Path) -> tuple[float, int]:
    directory = open_directory(data_dir)
    started = time.perf_counter()
    found = directory.find_duplicates(ACTOR, limit=10**9)
    seconds = time.perf_counter() - started
    directory.close()
    return seconds, len(found)


def naive(data_dir: Path) -> tuple[float, int]:
    """Every pair sharing a last name, compared by first name: the work grows with the square of a surname's size."""
    directory = open_directory(data_dir)
    started = time.perf_counter()
    by_last: dict[str, list[tuple[int, str]]] = {}
    for i in (i for chunk in directory.browse(ACTOR, "contact").chunks(5000) for i in chunk):
        contact = directory.get_contact(ACTOR, i)
        by_last.setdefault(fold(contact.last_name), []).append((i, contact.first_name))
    pairs = sum(1 for members in by_last.values() for (_, a), (_, b) in combinations(members, 2)
                if _similar_first_names(a, b))
    seconds = time.perf_counter() - started
    directory.close()
    return seconds, pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--naive-size", type=int, default=10_000)
    parser.add_argument("--work-dir", type=Path, default=Path("bench-data"))
    args = parser.parse_args()
    print(f"Machine: {machine()}\n")
    print("| contacts | way | target | scan | pairs found |")
    print("|---|---|---|---|---|")
    targets = {100_000: "≤ 3 s", 1_000_000: "≤ 30 s"}
    for size in args.sizes:
        data_dir = args.work_dir / f"duplicates-{size}"
        shutil.rmtree(data_dir, ignore_errors=True)
        planted = build(data_dir, size)
        seconds, found = ours(data_dir)
        print(f"| {size:,} (+{planted:,} planted) | blocking keys (`find_duplicates`) | {targets.get(size, '')} | "
              f"{seconds:.2f} s | {found:,} |")
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir = args.work_dir / f"duplicates-naive-{args.naive_size}"
    shutil.rmtree(data_dir, ignore_errors=True)
    planted = build(data_dir, args.naive_size)
    seconds, pairs = naive(data_dir)
    print(f"| {args.naive_size:,} (+{planted:,} planted) | every pair sharing a last name | | {seconds:.2f} s | "
          f"{pairs:,} name pairs |")
    seconds, found = ours(data_dir)
    print(f"| {args.naive_size:,} (+{planted:,} planted) | blocking keys (`find_duplicates`) | | {seconds:.2f} s | "
          f"{found:,} |")
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
