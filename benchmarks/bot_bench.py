"""Bot benchmark: `/contact <phone>` from the signed request to the reply on the response_url, and under load.

    python benchmarks/bot_bench.py --contacts 100000 --requests 200 --load-sizes 20000 100000

Builds the store with the store benchmark's records, starts the real ``contacts-bot`` in its own process in HTTP
mode against a fake Slack Web API on 127.0.0.1, sends signed slash commands with numbers typed in varied formats, and
times each until the card arrives at the response_url. Beside it, in the same run, a bot written the obvious way
(Bolt plus TinyDB, served by Bolt's built-in server as its README shows) answers the same requests, with fewer
samples since each takes seconds.

The load rows: 20 clients, each sending signed commands one after another on new connections for 30 s, timed from
sending to the HTTP answer (Slack's 3 s clock), against ``contacts-bot`` and against the same bot app on the server it
had before (the standard library's threaded WSGI server, whose listen queue holds 5 connections).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import threading
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


def wait_until_listening(port: int, process: subprocess.Popen, log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the bot exited: {log.read_text()}")
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

app.start(port=int(sys.argv[2]))
'''

BEFORE_SERVER = r'''
import os, sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from slack_bolt.adapter.wsgi import SlackRequestHandler
from bot.app import build_app
from bot.settings import slack_settings
from core.bootstrap import open_directory

class Threading(ThreadingMixIn, WSGIServer):
    daemon_threads = True

class Quiet(WSGIRequestHandler):
    def log_message(self, *args): pass

directory = open_directory(Path(sys.argv[1]))
app = build_app(directory, slack_settings(directory.settings), token="xoxb-test",
                signing_secret=os.environ["SLACK_SIGNING_SECRET"], api_url=os.environ["SLACK_API_URL"])
make_server("127.0.0.1", int(sys.argv[2]), SlackRequestHandler(app, path="/slack/events"),
            server_class=Threading, handler_class=Quiet).serve_forever()
'''


def load(sender: SlackSender, inputs: list[tuple[str, str]], clients: int, seconds: float,
         every: float | None) -> dict:
    """``clients`` threads sending commands for ``seconds``: all at once every ``every`` seconds (bursts, as a busy
    support floor sends them), or back to back when ``every`` is None (what the server can take at most). Answer
    times, errors, throughput."""
    timings: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.monotonic()
    stop = start + seconds

    def client(offset: int) -> None:
        nonlocal errors
        n, tick = offset, 0
        while time.monotonic() < stop:
            if every is not None:
                tick += 1
                delay = start + tick * every - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # the schedule of a paced client, not a wait for the server
            typed = inputs[n % len(inputs)][0]
            started = time.perf_counter()
            try:
                ok = sender.command(typed, response=f"load-{offset}-{n}").status == 200
            except OSError:
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings.append(elapsed)
                errors += not ok
            n += clients

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"timings": timings, "errors": errors, "throughput": len(timings) / seconds}


def load_rows(sizes: list[int], work_dir: Path, clients: int, seconds: float, every: float) -> list[tuple]:
    rows = []
    for size in sizes:
        data_dir = work_dir / f"bot-load-{size}"
        shutil.rmtree(data_dir, ignore_errors=True)
        build_ours(data_dir, size)
        inputs = dataset.lookup_inputs(size, 500, seed=5)
        for label, command in (
            ("contacts-bot (uvicorn, serving.limits)", [sys.executable, "-m", "bot", "--data-dir", str(data_dir)]),
            ("the same app on the server it had before", [sys.executable, "-c", BEFORE_SERVER, str(data_dir)]),
        ):
            fake = FakeSlack()
            port = free_port()
            process = run_bot(command + (["--port", str(port)] if command[1] == "-m" else [str(port)]), port, fake,
                              data_dir)
            sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", fake)
            load(sender, inputs, clients, 2, None)  # warm up
            rows.append((size, label, f"bursts of {clients} every {every * 1000:.0f} ms",
                         load(sender, inputs, clients, seconds, every)))
            rows.append((size, label, f"{clients} back to back (saturated)", load(sender, inputs, clients, seconds, None)))
            process.terminate()
            process.wait()
            fake.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def run_bot(command: list[str], port: int, fake: FakeSlack, data_dir: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env |= {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url,
            "CONTACTS_DATA_DIR": str(data_dir), "PYTHONPATH": str(HERE.parent)}
    # Its log goes to a file: a pipe nobody reads fills up, and then every write to it (the access log) blocks.
    log = open(data_dir.parent / f"bot-{port}.log", "w")  # noqa: SIM115 (open while the bot runs)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    wait_until_listening(port, process, data_dir.parent / f"bot-{port}.log")
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--naive-requests", type=int, default=10)
    parser.add_argument("--work-dir", type=Path, default=Path("bench-data"))
    parser.add_argument("--load-sizes", type=int, nargs="*", default=[], help="also run the load rows at these sizes")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--every", type=float, default=0.2, help="seconds between a paced client's requests")
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
    if args.load_sizes:
        rows = load_rows(args.load_sizes, args.work_dir, args.clients, args.seconds, args.every)
        print(f"\n#### Under load: {args.clients} clients for {args.seconds:.0f} s, signed `/contact <phone>` → HTTP answer\n")
        print("| contacts | server | clients | target | p50 | p99 | max | errors | requests/s |")
        print("|---|---|---|---|---|---|---|---|---|")
        for size, label, shape, result in rows:
            timings = result["timings"]
            target = "p99 ≤ 100 ms, 0 errors" if label.startswith("contacts-bot") and "bursts" in shape else ""
            print(f"| {size:,} | {label} | {shape} | {target} | {percentile(timings, 50):,.1f} ms | "
                  f"{percentile(timings, 99):,.1f} ms | {max(timings):,.1f} ms | {result['errors']} | "
                  f"{result['throughput']:,.0f} |")


if __name__ == "__main__":
    main()
