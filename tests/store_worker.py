"""A second process for store tests: ``python -m tests.store_worker MODE DATA_DIR ...``.

Each mode prints one line per write after the write has returned, so the test knows which writes were acknowledged.
"""

from __future__ import annotations

import sys
from pathlib import Path

from core.errors import Conflict
from core.policy import Actor
from tests.conftest import open_directory


def write_contacts(data_dir: Path, worker: str, count: int, compact_every: int) -> None:
    directory = open_directory(data_dir)
    actor = Actor(f"worker-{worker}")
    for i in range(count):
        contact = directory.create(actor, "contact", {
            "first_name": f"W{worker}n{i}", "last_name": "Crash",
            "phones": [{"raw": f"+1 415 {200 + int(worker) % 700} {i:04d}"}],
        })
        directory.add_note(actor, "contact", contact.id, f"note {i}")
        print(f"{contact.first_name}", flush=True)
        if compact_every and i % compact_every == compact_every - 1:
            directory.compact(actor)


def add_notes(data_dir: Path, worker: str, count: int) -> None:
    directory = open_directory(data_dir)
    actor = Actor(f"worker-{worker}")
    for i in range(count):
        directory.add_note(actor, "contact", 1, f"{worker}:{i}")
        while True:  # read, then write only if nobody wrote in between: the way a form saves
            contact = directory.get(actor, "contact", 1)
            try:
                directory.update(actor, "contact", 1, {"custom_fields": {"count": contact.custom_fields["count"] + 1}},
                                 expected_version=contact.version)
                break
            except Conflict:
                continue
        print(i, flush=True)


if __name__ == "__main__":
    mode, data_dir, worker, count, *rest = sys.argv[1:]
    if mode == "contacts":
        write_contacts(Path(data_dir), worker, int(count), int(rest[0]) if rest else 0)
    else:
        add_notes(Path(data_dir), worker, int(count))
