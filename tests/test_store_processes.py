"""Real processes on one data directory: killed writers lose no acknowledged write, concurrent writers lose none."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ADMIN, open_directory, store

ROOT = Path(__file__).resolve().parent.parent


def worker(*args: object) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.store_worker", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_kill_9_in_the_middle_of_writes_loses_no_acknowledged_write(data_dir):
    rng = random.Random(20261123)
    acknowledged: list[str] = []
    for round_ in range(12):
        process = worker("contacts", data_dir, round_, 400, 7)
        target = rng.randint(1, 40)
        for _ in range(target):
            line = process.stdout.readline()
            if not line:
                pytest.fail(f"writer died early: {process.stderr.read()}")
            acknowledged.append(line.strip())
        time.sleep(rng.random() * 0.01)  # land the kill anywhere: inside a write, a flush, a compaction
        process.send_signal(signal.SIGKILL)
        process.wait()
        directory = open_directory(data_dir)
        names = {d["first_name"] for d in store(directory).get_many("contacts", store(directory).ids("contacts")).values()}
        missing = [name for name in acknowledged if name not in names]
        assert not missing, f"round {round_}: acknowledged writes lost: {missing}"
        for name in rng.sample(acknowledged, min(3, len(acknowledged))):
            found = directory.lookup(ADMIN, name)
            assert [c.first_name for c in found.contacts] == [name]
            assert [n.text for n in directory.notes(ADMIN, "contact", found.contacts[0].id)] == [
                f"note {name.split('n', 1)[1]}"]
        directory.close()


@pytest.mark.slow
def test_two_processes_writing_at_once_lose_nothing(directory):
    directory.add_custom_field(ADMIN, "contact", {"key": "count", "label": "Count", "type": "integer"})
    directory.create(ADMIN, "contact", {"first_name": "Shared", "last_name": "Record", "custom_fields": {"count": 0}})
    processes = [worker("notes", store(directory).db.storage.directory, w, 60) for w in (1, 2)]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    notes = directory.notes(ADMIN, "contact", 1)
    assert sorted(n.text for n in notes) == sorted(f"{w}:{i}" for w in (1, 2) for i in range(60))
    contact = directory.get(ADMIN, "contact", 1)
    assert contact.custom_fields["count"] == 120  # every increment landed: stale ones were refused and retried
    assert contact.version == 121


def test_a_second_process_sees_writes_without_reopening(directory, data_dir):
    process = worker("contacts", data_dir, 7, 3)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert sorted(c.first_name for c in directory.lookup(ADMIN, "crash").contacts) == ["W7n0", "W7n1", "W7n2"]
