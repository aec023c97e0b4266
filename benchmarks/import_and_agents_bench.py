"""An agent's note during a large import: time from sending `/contact note` in Slack to the reply that says it is
saved, while `contacts import` brings in 100,000 rows on the same data directory.

    python benchmarks/import_and_agents_bench.py --rows 100000 --notes 10

Runs the real `contacts-bot` (HTTP, against a fake Slack) and the real `contacts import` in their own processes. Beside
it, in the same run, the import as it was before: one transaction holding the write lock from start to end (the
importer told to make no attempt without the lock), during which a note waits for the lock and, after 30 s, is
refused as busy.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from bot_bench import free_port, run_bot  # noqa: E402
from store_bench import machine, percentile  # noqa: E402
from transfer_bench import _directory as fields_the_file_fills  # noqa: E402
from transfer_bench import write_csv  # noqa: E402

from core.bootstrap import open_directory  # noqa: E402
from core.policy import Actor  # noqa: E402
from tests.bot.slack import FakeSlack, SlackSender  # noqa: E402

HOLDING_THE_LOCK = r'''
import sys
from pathlib import Path
import core.transfer.plan
from core.bootstrap import open_directory
from core.policy import Actor
from core.transfer.files import import_file

core.transfer.plan.OPTIMISTIC_ATTEMPTS = 0  # straight to the attempt that holds the lock, as every import did
import_file(open_directory(Path(sys.argv[1])), Actor("bench"), Path(sys.argv[2]))
'''


def notes_during(label: str, import_command: list[str], data_dir: Path, notes: int, every: float) -> tuple:
    fake = FakeSlack()
    port = free_port()
    bot = run_bot([sys.executable, "-m", "bot", "--data-dir", str(data_dir), "--port", str(port)], port, fake, data_dir)
    sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", fake)
    started = time.monotonic()
    importing = subprocess.Popen(import_command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    timings, refused = [], 0
    time.sleep(every)  # the import under way
    for n in range(notes):
        if importing.poll() is not None:
            break
        sent = time.perf_counter()
        sender.command(f"note #1 Call {n} during the import", user="U0ADMIN", response=f"note{n}")
        reply = str(fake.wait(f"/response/note{n}", timeout=120)[-1].params)
        timings.append((time.perf_counter() - sent) * 1000)
        refused += "Note added" not in reply
        time.sleep(max(0.0, every - timings[-1] / 1000))
    importing.wait()
    took = time.monotonic() - started
    bot.terminate()
    bot.wait()
    fake.close()
    directory = open_directory(data_dir)
    kept = len(directory.notes(Actor("bench"), "contact", 1))
    imported = directory.count(Actor("bench"), "contact") - 1
    directory.close()
    return label, timings, refused, kept, imported, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--notes", type=int, default=10)
    parser.add_argument("--every", type=float, default=4.0, help="seconds between notes")
    parser.add_argument("--work-dir", type=Path, default=Path("bench-data"))
    args = parser.parse_args()
    source = args.work_dir / "import-and-agents.csv"
    args.work_dir.mkdir(parents=True, exist_ok=True)
    write_csv(source, args.rows)
    rows = []
    for label, command in (
        ("contacts import (worked out without the lock)", [sys.executable, "-m", "cli", "--as", "bench"]),
        ("one transaction holding the lock (before)", [sys.executable, "-c", HOLDING_THE_LOCK]),
    ):
        data_dir = args.work_dir / "import-and-agents"
        shutil.rmtree(data_dir, ignore_errors=True)
        directory, admin = fields_the_file_fills(data_dir)
        directory.create(admin, "contact", {"first_name": "Ann", "last_name": "Lee"})
        directory.close()
        full = ([*command, "--data-dir", str(data_dir), "import", str(source)] if command[1] == "-m"
                else [*command, str(data_dir), str(source)])
        rows.append(notes_during(label, full, data_dir, args.notes, args.every))
        shutil.rmtree(data_dir, ignore_errors=True)
    source.unlink()
    print(f"Machine: {machine()}\n")
    print(f"#### `/contact note` in Slack while {args.rows:,} rows are imported: sent → reply saying it is saved\n")
    print("| import | target | notes sent | p50 | max | refused | notes kept | rows imported | import took |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, timings, refused, kept, imported, took in rows:
        target = "saved within seconds, none refused" if "without" in label else ""
        print(f"| {label} | {target} | {len(timings)} | {percentile(timings, 50):,.0f} ms | {max(timings):,.0f} ms | "
              f"{refused} | {kept} | {imported:,} | {took:.0f} s |")


if __name__ == "__main__":
    main()
