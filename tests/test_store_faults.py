"""The store on a bad day, through the real `contacts` command: damaged files refused and repaired with a copy kept,
a full disk (a real file size limit on the process) with acknowledged ⇔ present, private file modes, and temporary
files of killed processes tidied up."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.test_cli import CONTACTS, run


def files(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data_dir.iterdir()) if p.is_file()}


def import_people(data_dir: Path, *names: str) -> subprocess.CompletedProcess:
    source = data_dir.parent / "people.csv"
    source.write_text("Contact First Name,Contact Last Name\n" + "".join(f"{n},Tester\n" for n in names))
    return run(data_dir, "import", str(source))


def add_people(data_dir: Path, *names: str) -> None:
    for name in names:
        result = import_people(data_dir, name)
        assert result.returncode == 0, result.stderr


def first_names(data_dir: Path) -> set[str]:
    out = data_dir.parent / "everyone.jsonl"
    assert run(data_dir, "export", str(out)).returncode == 0
    return {r["first_name"] for r in map(json.loads, out.read_text().splitlines()) if "first_name" in r}


def journal(data_dir: Path) -> Path:
    [path] = sorted(data_dir.glob("store.*.journal"))
    return path


def test_a_flipped_byte_in_the_last_line_is_refused_until_repaired_and_a_copy_is_kept(tmp_path):
    data_dir = tmp_path / "data"
    add_people(data_dir, "Ann", "Bob")
    damaged = bytearray(journal(data_dir).read_bytes())
    damaged[-30] ^= 0x01  # inside the last complete line: Bob's import
    journal(data_dir).write_bytes(bytes(damaged))
    before = files(data_dir)

    refused = run(data_dir, "lookup", "Ann")
    assert refused.returncode == 3 and "Traceback" not in refused.stderr
    assert "store.0.journal is damaged at byte" in refused.stderr and "contacts repair" in refused.stderr
    checked = run(data_dir, "check")
    assert checked.returncode == 3 and "fails its checksum" in checked.stdout
    shown = run(data_dir, "repair")
    assert shown.returncode == 3 and "would remove" in shown.stdout
    assert files(data_dir) == before  # neither opening, checking nor showing changed a byte

    repaired = run(data_dir, "repair", "--yes")
    assert repaired.returncode == 0, repaired.stderr
    [kept] = data_dir.glob("damaged-*/store.0.journal")
    assert kept.read_bytes() == bytes(damaged)
    assert run(data_dir, "check").returncode == 0
    assert run(data_dir, "lookup", "Ann").returncode == 0
    assert run(data_dir, "lookup", "Bob").returncode == 1  # the damaged transaction is the one that went


def test_garbage_after_the_last_line_is_refused_byte_for_byte(tmp_path):
    data_dir = tmp_path / "data"
    add_people(data_dir, "Ann")
    with open(journal(data_dir), "ab") as out:
        out.write(os.urandom(4096).replace(b"\n", b"x") + b"\n")
    before = files(data_dir)
    assert run(data_dir, "lookup", "Ann").returncode == 3
    assert import_people(data_dir, "Cy").returncode == 3
    assert files(data_dir) == before


def test_store_files_are_private_whatever_the_umask(tmp_path):
    data_dir = tmp_path / "data"
    subprocess.run(["sh", "-c", f'umask 000 && "{CONTACTS}" --data-dir "{data_dir}" demo --contacts 30'],
                   check=True, capture_output=True, timeout=120)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data_dir.iterdir() if p.is_file()}
    assert modes and set(modes.values()) == {0o600}, modes


def test_temporary_files_of_killed_processes_are_removed_at_the_next_open(tmp_path):
    data_dir = tmp_path / "data"
    add_people(data_dir, "Ann")
    leftovers = [data_dir / "store.1.snapshot.tmp", data_dir / "store.0.indexes.999999999.tmp"]
    for path in leftovers:
        path.write_bytes(b"half a file")
    running = data_dir / f"store.0.indexes.{os.getpid()}.tmp"  # a live process's: not ours to remove
    running.write_bytes(b"being written")
    assert run(data_dir, "lookup", "Ann").returncode == 0
    assert not any(p.exists() for p in leftovers) and running.exists()


FILL = """
import signal, resource, sys
from pathlib import Path
import core.store.storage
from core.bootstrap import open_directory
from core.errors import StoreError
from core.policy import Actor

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails with EFBIG instead of killing us
core.store.storage.MIN_COMPACT_BYTES = 40_000  # compact early and often: snapshots soon outgrow the limit
directory = open_directory(Path(sys.argv[1]))
actor = Actor("admin")
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), resource.RLIM_INFINITY))
for n in range(300):
    try:
        directory.create(actor, "contact", {"first_name": f"P{n}", "last_name": "Filler", "title": "x" * 900})
        print("saved", n, flush=True)
    except StoreError as error:
        print("failed", n, type(error).__name__, error, flush=True)
try:
    directory.compact(actor)
except StoreError as error:
    print("compaction", type(error).__name__, error, flush=True)
"""


def test_a_full_disk_fails_only_writes_that_are_absent_and_leaves_no_temporary_files(tmp_path):
    """No file may grow past 120 KB (a real limit the kernel enforces on the process): compactions fail first,
    after the writes that set them off were saved, then journal lines do."""
    data_dir = tmp_path / "data"
    add_people(data_dir, "Ann")
    result = subprocess.run([sys.executable, "-c", FILL, str(data_dir), str(120_000)], capture_output=True,
                            text=True, timeout=300, cwd=Path(__file__).parent.parent)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    lines = [line.split(" ", 3) for line in result.stdout.splitlines()]
    saved = {f"P{n}" for word, n, *_ in lines if word == "saved"}
    failed = [rest for word, _, *rest in lines if word == "failed"]
    assert len(saved) > 20 and failed, result.stdout[-2000:]
    assert all(kind == "StoreFull" and "no space left" in text for kind, text in failed)
    assert "compaction StoreFull" in result.stdout
    assert "compaction postponed" in result.stderr  # a compaction after a saved write failed without failing it
    assert not list(data_dir.glob("*.tmp"))
    assert first_names(data_dir) - {"Ann"} == saved  # acknowledged ⇔ present
    assert run(data_dir, "check").returncode == 0
    add_people(data_dir, "Zed")  # with the limit gone, the store takes writes again
    assert "Zed" in first_names(data_dir)
