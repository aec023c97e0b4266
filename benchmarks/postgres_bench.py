"""PostgreSQL store benchmark: the service, the bot, the API and the terminal UI over a PostgreSQL directory, beside
the embedded store at the same size in the same run.

    python benchmarks/postgres_bench.py --sizes 1000000 --embedded-sizes 1000000
    python benchmarks/postgres_bench.py --sizes 10000000 --embedded-sizes

Each size is loaded (contacts with 2 phones, 1 email and 2 notes each, ``dataset.py``) into a new database through
the store's bulk path (COPY, as ``contacts migrate`` loads), then measured by fresh processes: the service's phone
lookups and durable writes, the real ``contacts-bot`` answering signed `/contact` commands against a fake Slack on
127.0.0.1, the real ``contacts-api`` answering ``/api/v1/lookup`` with a real token, and the terminal UI through
Textual's Pilot (its first screen, then a search typed a key at a time). Each process's peak memory is read from
the kernel. The server is ``--server-url`` (where it may make databases), else a throwaway PostgreSQL 15
cluster started as the tests start theirs. The embedded store runs the same service, bot and UI measurements.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import dataset  # noqa: E402
from bot_bench import free_port, run_bot, time_commands, wait_until_listening  # noqa: E402
from store_bench import build_ours, machine, measure_ours, percentile  # noqa: E402

from tests.bot.slack import FakeSlack, SlackSender  # noqa: E402

CHUNK = 5000
TARGETS = {"lookup_p50": "≤ 1 ms", "lookup_p99": "≤ 5 ms", "write_p50": "≤ 5 ms", "bot_p99": "≤ 50 ms",
           "api_p99": "≤ 30 ms", "first_screen": "≤ 2 s", "keystroke_p99": "≤ 100 ms", "memory": "≤ 300 MB",
           "load": "≤ 30 min at 10M"}


def peak_mb(pid: int | None = None) -> float:
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024


def settings_file(data_dir: Path, url: str) -> None:
    data_dir.mkdir(parents=True, mode=0o700)
    (data_dir / "contacts.toml").write_text(f'[store]\nkind = "postgresql"\nurl = "{url}"\n')
    (data_dir / "contacts.toml").chmod(0o600)


# ---------------------------------------------------------------- loading

def build_postgres(data_dir: Path, size: int) -> dict:
    """Every record through the store's bulk path (COPY), as ``contacts migrate`` loads a directory."""
    from core.bootstrap import open_directory
    from core.memory import paused_gc
    from core.policy import Actor

    started = time.perf_counter()
    directory = open_directory(data_dir)
    admin = Actor("bench")
    for field in dataset.FIELDS:
        directory.add_custom_field(admin, "contact", field)
    store = directory._repo  # the dataset goes straight into the store, as a migration does
    making = 0.0  # of the load's time, making the records (the benchmark's work; a migration reads them instead)

    def made(records: Callable[[], list[tuple[int, dict]]]) -> list[tuple[int, dict]]:
        nonlocal making
        began = time.perf_counter()
        try:
            return records()
        finally:
            making += time.perf_counter() - began

    with paused_gc(), store.filling():  # a table at a time, as a migration copies them (a table's rows together on disk)
        store.load("organizations", [(i, dataset.organization(i)) for i in range(1, 51)])
        for start in range(0, size, CHUNK):
            chunk = range(start, min(start + CHUNK, size))
            store.load("contacts", made(lambda chunk=chunk: [(i + 1, dataset.contact(i)) for i in chunk]))
        for start in range(0, size, CHUNK):
            chunk = range(start, min(start + CHUNK, size))
            store.load("notes", made(lambda chunk=chunk: [(2 * i + n + 1, dataset.note(i + 1, n)) for i in chunk
                                                          for n in range(2)]))
        copied = time.perf_counter()  # what is left is building the key indexes, as the filling ends
    filled = time.perf_counter()
    loaded = filled - started
    store._all("VACUUM ANALYZE")  # what autovacuum does after a load, done now so the measurements see it
    store._all("CHECKPOINT")  # and the checkpoint that writes the load out: measured, it would slow every commit
    disk = store._one("SELECT pg_database_size(current_database())") / 1e6
    directory.close()
    return {"build_s": loaded, "making_s": making, "indexing_s": filled - copied,
            "vacuum_s": time.perf_counter() - started - loaded, "disk_mb": disk}


# ---------------------------------------------------------------- front ends

def measure_round_trip(data_dir: Path, samples: int = 1000) -> dict:
    """The floor under every statement: one that does nothing, through the store's pool."""
    from core.bootstrap import open_directory

    directory = open_directory(data_dir)
    store = directory._repo
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        store._all("SELECT 1")
        timings.append((time.perf_counter() - started) * 1000)
    directory.close()
    return {"round_trip_ms": timings}


def measure_tui(data_dir: Path) -> dict:
    from tui_bench import time_contacts_app, time_first_screen

    from core.bootstrap import open_directory

    opened, drawn = asyncio.run(time_first_screen(data_dir))
    directory = open_directory(data_dir)
    keystrokes = asyncio.run(time_contacts_app(directory))
    directory.close()
    return {"open_s": opened, "first_screen_s": drawn, "keystroke_ms": keystrokes, "peak_mb": peak_mb()}


def measure_bot(data_dir: Path, size: int, requests: int) -> dict:
    fake = FakeSlack()
    port = free_port()
    process = run_bot([sys.executable, "-m", "bot", "--data-dir", str(data_dir), "--port", str(port)], port, fake,
                      data_dir)
    try:
        sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", fake)
        time_commands(sender, fake, dataset.lookup_inputs(size, 3, seed=30), "warm")  # imports, connections
        timings = time_commands(sender, fake, dataset.lookup_inputs(size, requests, seed=3), "timed")
        return {"bot_ms": timings, "bot_peak_mb": peak_mb(process.pid)}
    finally:
        process.terminate()
        process.wait(timeout=60)
        fake.close()


def measure_api(data_dir: Path, size: int, requests: int) -> dict:
    env = {**os.environ, "CONTACTS_DATA_DIR": str(data_dir), "PYTHONPATH": str(HERE.parent)}
    made = subprocess.run([sys.executable, "-m", "cli", "token", "create", f"bench-{time.time_ns()}", "--role",
                           "agent"], env=env, capture_output=True, text=True, check=True)
    token = made.stdout.strip().splitlines()[-1]
    port = free_port()
    log = data_dir.parent / f"api-{port}.log"
    with open(log, "w") as errors:
        process = subprocess.Popen([sys.executable, "-c", "from api.main import main; main()", "--port", str(port)],
                                   env=env, stdout=subprocess.DEVNULL, stderr=errors)
    try:
        wait_until_listening(port, process, log)
        timings = []
        for n, (typed, e164) in enumerate(dataset.lookup_inputs(size, requests + 3, seed=4)):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/lookup?value={urllib.parse.quote(typed)}",
                headers={"Authorization": f"Bearer {token}"})
            started = time.perf_counter()
            with urllib.request.urlopen(request) as answer:
                body = json.loads(answer.read())
            if n >= 3:  # the first requests pay for imports and connections
                timings.append((time.perf_counter() - started) * 1000)
            assert any(p["e164"] == e164 for c in body["contacts"] for p in c["phones"]), (typed, body)
        return {"api_ms": timings, "api_peak_mb": peak_mb(process.pid)}
    finally:
        process.terminate()
        process.wait(timeout=60)


# ---------------------------------------------------------------- driver

def run_phase(*args: object) -> dict:
    result = subprocess.run([sys.executable, __file__, "--phase", *map(str, args)], capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"phase {args} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_all(data_dir: Path, size: int, store: str, lookups: int, writes: int, requests: int) -> dict:
    figures = run_phase("round_trip", store, data_dir, size, 0, 0, 0) if store == "postgresql" else {}
    figures |= run_phase("measure", store, data_dir, size, lookups, writes, requests)
    figures |= run_phase("tui", store, data_dir, size, lookups, writes, requests)
    figures |= run_phase("bot", store, data_dir, size, lookups, writes, requests)
    if store == "postgresql":
        figures |= run_phase("api", store, data_dir, size, lookups, writes, requests)
    return figures


def table(size: int, results: dict[str, dict]) -> str:
    def ms(value: float) -> str:
        return f"{value:,.2f} ms" if value < 10 else f"{value:,.0f} ms"

    rows = [
        ("a round trip to the server (`SELECT 1` through the pool), p50", "",
         lambda f: ms(percentile(f["round_trip_ms"], 50)) if "round_trip_ms" in f else "—"),
        ("phone lookup through the service, p50", "lookup_p50", lambda f: ms(percentile(f["lookup_ms"], 50))),
        ("phone lookup through the service, p99", "lookup_p99", lambda f: ms(percentile(f["lookup_ms"], 99))),
        ("durable write (add a note), p50", "write_p50", lambda f: ms(percentile(f["note_ms"], 50))),
        ("durable write (survey opt-out), p50", "write_p50", lambda f: ms(percentile(f["optout_ms"], 50))),
        ("durable write, p99", "", lambda f: ms(percentile(f["optout_ms"], 99))),
        ("`/contact` through the bot, signed request to reply, p99", "bot_p99",
         lambda f: ms(percentile(f["bot_ms"], 99))),
        ("API `/api/v1/lookup`, p99", "api_p99",
         lambda f: ms(percentile(f["api_ms"], 99)) if "api_ms" in f else "not run"),
        ("terminal UI: first screen (open, list drawn)", "first_screen", lambda f: f"{f['first_screen_s']:.2f} s"),
        ("terminal UI: a key typed in the search box, p50 / p99", "keystroke_p99",
         lambda f: f"{ms(percentile(f['keystroke_ms'], 50))} / {ms(percentile(f['keystroke_ms'], 99))}"),
        ("peak memory: service process / terminal UI", "memory",
         lambda f: f"{f['peak_mb']:,.0f} MB / {f['tui_peak_mb']:,.0f} MB"),
        ("peak memory: bot / API process", "memory",
         lambda f: f"{f['bot_peak_mb']:,.0f} MB / " + (f"{f['api_peak_mb']:,.0f} MB" if "api_peak_mb" in f else "—")),
        ("load every record (of it, making the records)", "load", lambda f: f"{f['build_s'] / 60:,.1f} min"
         + (f" ({f['making_s'] / 60:,.1f} min)" if "making_s" in f else "")),
        ("of the load, building the key indexes at its end", "",
         lambda f: f"{f['indexing_s'] / 60:,.1f} min" if "indexing_s" in f else "—"),
        ("disk used", "", lambda f: f"{f['disk_mb'] / 1000:,.1f} GB"),
    ]
    stores = list(results)
    lines = [f"#### {size:,} contacts (2 phones, 1 email, 2 notes each)", "",
             "| figure | target | " + " | ".join(stores) + " |", "|---|---|" + "---|" * len(stores)]
    for label, target, shown in rows:
        lines.append(f"| {label} | {TARGETS.get(target, '')} | " + " | ".join(shown(results[s]) for s in stores) + " |")
    lines.append("")
    for store in stores:
        lines.append(f"Slowest keys typed, {store}: " + ", ".join(
            f"{typed!r} {ms(taken)}" for typed, taken in slowest(results[store]["keystroke_ms"])))
    return "\n".join(lines)


def slowest(keystrokes: list[float], shown: int = 5) -> list[tuple[str, float]]:
    """The searches typed (``tui_bench.QUERIES``, a key at a time) that took longest to list."""
    from tui_bench import QUERIES

    typed = [query[:length] for query in QUERIES for length in range(1, len(query) + 1)]
    return sorted(zip(typed, keystrokes, strict=True), key=lambda pair: -pair[1])[:shown]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--embedded-sizes", type=int, nargs="*", default=None,
                        help="sizes at which to measure the embedded store too (default: all)")
    parser.add_argument("--server-url", help="a PostgreSQL server to make databases on (default: a throwaway cluster)")
    parser.add_argument("--work-dir", type=Path, default=Path("bench-data"))
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--phase", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        action, _, directory, size, lookups, writes, requests = args.phase
        data_dir, size, lookups, writes, requests = Path(directory), int(size), int(lookups), int(writes), int(requests)
        phases = {"build": lambda: build_postgres(data_dir, size),
                  "round_trip": lambda: measure_round_trip(data_dir),
                  "measure": lambda: measure_ours(data_dir, size, lookups, writes),
                  "tui": lambda: {("tui_" + k if k == "peak_mb" else k): v for k, v in measure_tui(data_dir).items()},
                  "bot": lambda: measure_bot(data_dir, size, requests),
                  "api": lambda: measure_api(data_dir, size, requests)}
        print(json.dumps(phases[action]()))
        return

    from tests import postgres

    servers = None if args.server_url else postgres.server()
    server_url = args.server_url or next(servers)  # type: ignore[arg-type]
    print(f"Machine: {machine()}\n")
    try:
        for size in args.sizes:
            results: dict[str, dict] = {}
            url = postgres.new_database(server_url)
            data_dir = args.work_dir / f"postgres-{size}"
            shutil.rmtree(data_dir, ignore_errors=True)
            settings_file(data_dir, url)
            results["PostgreSQL"] = run_phase("build", "postgresql", data_dir, size, 0, 0, 0)
            results["PostgreSQL"] |= measure_all(data_dir, size, "postgresql", args.lookups, args.writes, args.requests)
            if args.embedded_sizes is None or size in args.embedded_sizes:
                embedded = args.work_dir / f"embedded-{size}"
                shutil.rmtree(embedded, ignore_errors=True)
                results["embedded"] = build_ours(embedded, size)
                results["embedded"] |= measure_all(embedded, size, "embedded", args.lookups, args.writes, args.requests)
            print(table(size, results), flush=True)
            print()
    finally:
        if servers is not None:
            servers.close()


if __name__ == "__main__":
    main()
