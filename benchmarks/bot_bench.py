"""Bot benchmark: `/contact <phone>` from the signed request to the reply on the response_url.

    python benchmarks/bot_bench.py --contacts 100000 --requests 200

Builds the store with the store benchmark's records, starts the real ``contacts-bot`` in its own process in HTTP
mode against a fake Slack Web API on 127.0.0.1, sends signed slash commands with numbers typed in varied formats, and
times each until the card arrives at the response_url. Beside it, in the same run, a bot written the obvious way
(Bolt plus TinyDB as its README shows) answers the same requests, with fewer samples since each takes seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import dataset  # noqa: E402
from store_bench import build_naive, build_ours, machine, percentile  # noqa: E402

from tests.bot.slack import SECRET, FakeSlack, SlackSender  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the bot exited: {process.stderr.read()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("the bot did not start listening")


def time_commands(sender: SlackSender, fake: FakeSlack, inputs: list[tuple[str, str]], prefix: str) -> list[float]:
    """Milliseconds from sending each command to its reply arriving; every reply must show the caller's number."""
    timings = []
    for n, (typed, e164) in enumerate(inputs):
        name = f"{prefix}{n}"
        started = time.perf_counter()
        answer = sender.command(typed, response=name)
        assert answer.status == 200, answer
        reply = fake.wait(f"/response/{name}", timeout=60)[-1]
        timings.append((reply.at - started) * 1000)
        assert "No contact" not in str(reply.params) and e164[-4:] in str(reply.params), (typed, reply.params)
    return timings


NAIVE_BOT = r'''
import os, sys
from tinydb import Query, TinyDB
from slack_bolt import App
from slack_sdk import WebClient
from bot.server import http_server
from core.phones import parse_phone

db = TinyDB(os.path.join(sys.argv[1], "db.json"))
app = App(client=WebClient(token="xoxb-test", base_url=os.environ["SLACK_API_URL"]),
          signing_secret=os.environ["SLACK_SIGNING_SECRET"])

@app.command("/contact")
def contact(ack, command, respond):
    ack()
    e164 = parse_phone(command["text"], "US").e164
    found = db.table("contacts").search(Query().phones.any(Query().e164 == e164))
    respond(text="\n".join(f"{c['first_name']} {c['last_name']} {[p['raw'] for p in c['phones']]}" for c in found))

http_server(app, "127.0.0.1", int(sys.argv[2])).serve_forever()
'''


def run_bot(command: list[str], port: int, fake: FakeSlack, data_dir: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env |= {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url,
            "CONTACTS_DATA_DIR": str(data_dir), "PYTHONPATH": str(HERE.parent)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_until_listening(port, process)
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--naive-requests", type=int, default=10)
    parser.add_argument("--work-dir", type=Path, default=Path("bench-data"))
    args = parser.parse_args()

    print(f"Machine: {machine()}\n")
    ours_dir, naive_dir = args.work_dir / "bot-ours", args.work_dir / "bot-naive"
    for path in (ours_dir, naive_dir):
        shutil.rmtree(path, ignore_errors=True)
    build_ours(ours_dir, args.contacts)
    build_naive(naive_dir, args.contacts)
    fake = FakeSlack()
    inputs = dataset.lookup_inputs(args.contacts, args.requests, seed=21)
    results = {}
    for label, command, data_dir, count in (
        ("Contacts bot", [sys.executable, "-m", "bot", "--data-dir", str(ours_dir)], ours_dir, args.requests),
        ("Bolt + TinyDB as its README shows", [sys.executable, "-c", NAIVE_BOT, str(naive_dir)], naive_dir,
         args.naive_requests),
    ):
        port = free_port()
        command = command + (["--port", str(port)] if command[1] == "-m" else [str(port)])
        process = run_bot(command, port, fake, data_dir)
        sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", fake)
        time_commands(sender, fake, inputs[-3:], f"warm{port}-")  # first requests pay for imports and connections
        results[label] = time_commands(sender, fake, inputs[:count], f"run{port}-")
        process.terminate()
        process.wait()
    fake.close()

    print(f"#### `/contact <phone>` at {args.contacts:,} contacts: signed request → card on the response_url\n")
    print("| bot | target | p50 | p99 | samples |")
    print("|---|---|---|---|---|")
    for label, timings in results.items():
        target = "p50 ≤ 20 ms, p99 ≤ 100 ms" if label == "Contacts bot" else ""
        print(f"| {label} | {target} | {percentile(timings, 50):,.1f} ms | {percentile(timings, 99):,.1f} ms | "
              f"{len(timings)} |")
    shutil.rmtree(ours_dir, ignore_errors=True)
    shutil.rmtree(naive_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
