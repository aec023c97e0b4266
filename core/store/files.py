"""The files of a store directory: a snapshot, an append-only journal, and a lock.

Layout (format version 1), for generation ``g``::

    store.<g>.snapshot   see ``core.store.snapshot``
    store.<g>.journal    one line per committed transaction (see ``core.store.journal``)
    store.<g>.indexes    the snapshot's indexes, saved so opening need not rebuild them (a cache: never trusted
                         unless its checksum, snapshot and key functions match)
    store.lock           the write lock (an advisory file lock)

A transaction is one journal line, written with a single ``write`` and ``fdatasync``-ed before the commit returns,
so a crash leaves either the whole transaction or none of it. A final line cut short by a crash was never
acknowledged: readers ignore it and the next writer cuts it off. Any other damage (a bad checksum, bytes that are not
a journal line, a truncated snapshot, an unknown format version) is refused with an error naming the file and the
byte, and never written over; ``core.store.repair`` shows it and, when asked, removes it keeping a copy. Every file
is private to its owner (0600, the directory 0700).

Compaction writes generation ``g+1`` (new snapshot via a temporary file and an atomic rename, and an empty journal),
then appends a *seal* line to journal ``g`` naming ``g+1``. A process that is reading journal ``g`` follows the seal
to the new journal without reloading, because the new snapshot holds exactly what journal ``g`` led to. Open file
descriptors keep the old journal readable after it is removed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock
import orjson

from core.errors import CorruptStore, StoreBusy, StoreError
from core.private_files import FILE_MODE, open_private, private_directory
from core.store import journal, sidecar, snapshot
from core.store.disk import fsync_directory, io_error

LOCK_TIMEOUT_SECONDS = 30.0
CLOSED = -1  # the journal descriptor while none is open

_SNAPSHOT = re.compile(r"^store\.(\d+)\.snapshot$")
JOURNAL_TEMPORARY_SUFFIX = ".journal.tmp"  # a journal being rewritten by a repair
TEMPORARY_SUFFIXES = (snapshot.TEMPORARY_SUFFIX, JOURNAL_TEMPORARY_SUFFIX)  # written only under the lock
_SIDECAR_TEMPORARY = re.compile(r"^store\.\d+\.indexes\.(\d+)\.tmp$")

# (table, document id, the document as JSON bytes, or None for a removal)
Op = tuple[str, int, bytes | None]
Apply = Callable[[str, int, bytes | None], None]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StoreFiles:
    """Reads and writes one store directory; knows nothing of what the documents mean."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.generation = -1
        self.next_ids: dict[str, int] = {}
        self._journal_fd = CLOSED
        self._offset = 0
        self._snapshot_bytes = 0
        self.snapshot_crc = ""
        self._superseded = False  # a compaction committed its snapshot but could not finish: read it whole next
        self._lock = filelock.FileLock(str(directory / "store.lock"), timeout=LOCK_TIMEOUT_SECONDS, mode=FILE_MODE)

    # ----- paths

    def snapshot_path(self, generation: int) -> Path:
        return self.directory / f"store.{generation}.snapshot"

    def journal_path(self, generation: int) -> Path:
        return self.directory / f"store.{generation}.journal"

    def generations(self) -> list[int]:
        found = (_SNAPSHOT.match(name) for name in os.listdir(self.directory))
        return sorted(int(m.group(1)) for m in found if m)

    @property
    def journal_bytes(self) -> int:
        return self._offset

    @property
    def snapshot_bytes(self) -> int:
        return self._snapshot_bytes

    # ----- locking

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's write lock (shared by every process that opens this directory)."""
        try:
            self._lock.acquire()
        except filelock.Timeout as error:
            raise StoreBusy(
                f"the store in {self.directory} stayed locked by another process for {LOCK_TIMEOUT_SECONDS:.0f} s"
            ) from error
        try:
            yield
        finally:
            self._lock.release()

    # ----- opening

    def open(self) -> dict[str, dict[int, bytes]]:
        """Load the newest snapshot: table → id → document; create an empty store in an empty or new directory.

        The journal is not read yet: the caller follows with ``catch_up``.
        """
        private_directory(self.directory)
        self._remove_leftovers()
        while True:
            generations = self.generations()
            if not generations:
                self._create_or_refuse()
                continue
            generation = generations[-1]
            try:
                file = open(self.snapshot_path(generation), "rb")  # noqa: SIM115 (closed by the with below)
            except FileNotFoundError:
                continue  # a compaction replaced it between listing and opening
            with file:
                try:
                    journal_fd = os.open(self.journal_path(generation), os.O_RDONLY)
                except FileNotFoundError:
                    self._repair_missing_journal(generation)
                    continue
                tables: dict[str, dict[int, bytes]] = {}
                try:
                    loaded = snapshot.load(file, self.snapshot_path(generation), tables)
                except BaseException:
                    os.close(journal_fd)
                    raise
            self._snapshot_bytes, self.snapshot_crc, self.next_ids = loaded.size, loaded.crc, loaded.next_ids
            if self._journal_fd != CLOSED:
                os.close(self._journal_fd)
            self._journal_fd, self._offset, self.generation = journal_fd, 0, generation
            self._superseded = False
            if generations[0] < generation:
                self._seal_leftovers(generations[:-1])
            return tables

    def _remove_leftovers(self) -> None:
        """Temporary files of processes killed mid-write: a snapshot being written (only ever under the lock, so
        none is under way while we hold it) and index files of processes no longer running."""
        try:
            self._lock.acquire(timeout=0)
        except filelock.Timeout:
            return  # someone is writing: the next open tidies up
        try:
            for name in os.listdir(self.directory):
                sidecar = _SIDECAR_TEMPORARY.match(name)
                if name.endswith(TEMPORARY_SUFFIXES) or (sidecar and not _process_alive(int(sidecar[1]))):
                    (self.directory / name).unlink(missing_ok=True)
        finally:
            self._lock.release()

    def _create_or_refuse(self) -> None:
        with self.locked():
            if self.generations():
                return
            journals = [n for n in os.listdir(self.directory) if n.startswith("store.") and n.endswith(".journal")]
            if journals:
                raise CorruptStore(
                    f"{self.directory / journals[0]} has no snapshot beside it; "
                    "the store is damaged and was left untouched"
                )
            self._write_snapshot(0, {}, {})
            self._create_journal(0)

    def _repair_missing_journal(self, generation: int) -> None:
        """A writer died between renaming snapshot ``generation`` into place and creating its journal."""
        with self.locked():
            if self.generations()[-1] == generation and not self.journal_path(generation).exists():
                self._create_journal(generation)

    def _seal_leftovers(self, old: list[int]) -> None:
        """Finish a compaction a crash interrupted: seal old journals so their readers move on, then remove them."""
        with self.locked():
            for generation in old:
                path = self.journal_path(generation)
                if path.exists() and not self._is_sealed(path):
                    # Whether the interrupted compaction held a transaction of its own is unknown: readers reload.
                    self._append_line(path, orjson.dumps({"seal": generation + 1, "reload": True}))
                path.unlink(missing_ok=True)
                self.snapshot_path(generation).unlink(missing_ok=True)
                self.sidecar_path(generation).unlink(missing_ok=True)

    def _is_sealed(self, path: Path) -> bool:
        lines = path.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)
        return b'"seal"' in lines[-1]

    # ----- reading the journal

    def catch_up(self, apply: Apply, reload: Callable[[], None], *, writing: bool = False) -> bool:
        """Apply what other processes committed since the last call; True if anything was applied.

        A seal that says ``reload`` means the next snapshot holds a transaction the journal does not (one too big
        for a journal line): ``reload`` must then read the newest snapshot whole, through ``open``. A writer
        (``writing``, holding the lock) also checks that no newer snapshot exists without a seal: a compaction that
        committed its snapshot but failed before sealing this journal, which must not be written to any more."""
        changed = False
        while True:
            if self._superseded or (writing and self.snapshot_path(self.generation + 1).exists()):
                self._reopen(reload)
                changed = True
                continue
            size = os.fstat(self._journal_fd).st_size
            if size <= self._offset:
                return changed
            data = os.pread(self._journal_fd, size - self._offset, self._offset)
            position, seal, reloaded = 0, None, False
            while (newline := data.find(b"\n", position)) >= 0:
                record = self._record(data[position:newline], self._offset + position)
                position = newline + 1
                if "seal" in record:
                    seal = int(record["seal"])
                    if record.get("reload"):
                        self._reopen(reload)
                        reloaded = True
                    break
                for table, doc_id, doc in record["ops"]:
                    raw = None if doc is None else orjson.dumps(doc)
                    apply(table, doc_id, raw)
                    self._note_id(table, doc_id, raw)
                changed = True
            if reloaded:
                changed = True
                continue
            if seal is None and not journal.is_torn(data[position:]):
                # An unterminated tail is a write under way or one a crash cut short; anything else is damage.
                self._refuse(self._offset + position, "bytes that are not a journal line")
            self._offset += position
            if seal is None:
                return changed
            self._follow_seal(seal)
            changed = True

    def committed_since(self) -> list[tuple[str, int]] | None:
        """What other processes committed after what this handle has read, without applying it: the (table, id)
        of each change, or None if they compacted or replaced the store meanwhile (then all must be read again)."""
        if self._superseded or self.snapshot_path(self.generation + 1).exists():
            return None
        size = os.fstat(self._journal_fd).st_size
        if size <= self._offset:
            return []
        data = os.pread(self._journal_fd, size - self._offset, self._offset)
        touched: list[tuple[str, int]] = []
        position = 0
        while (newline := data.find(b"\n", position)) >= 0:
            record = self._record(data[position:newline], self._offset + position)
            position = newline + 1
            if "seal" in record:
                return None
            touched.extend((table, doc_id) for table, doc_id, _ in record["ops"])
        return touched

    def _reopen(self, reload: Callable[[], None]) -> None:
        os.close(self._journal_fd)
        self._journal_fd = CLOSED
        reload()

    def _record(self, line: bytes, at: int) -> dict:
        record = journal.decode(line)
        if record is None:
            self._refuse(at, "a complete line that fails its checksum")
        return record  # type: ignore[return-value]  # _refuse never returns

    def _refuse(self, at: int, what: str) -> None:
        raise CorruptStore(
            f"{self.journal_path(self.generation)} is damaged at byte {at} ({what}); the store was left untouched. "
            "`contacts check` shows what is damaged and `contacts repair` removes it, keeping a copy"
        )

    def _note_id(self, table: str, doc_id: int, raw: bytes | None) -> None:
        if raw is not None and doc_id >= self.next_ids.get(table, 1):
            self.next_ids[table] = doc_id + 1

    def _follow_seal(self, generation: int) -> None:
        journal_fd = os.open(self.journal_path(generation), os.O_RDONLY)
        os.close(self._journal_fd)
        self._journal_fd, self._offset, self.generation = journal_fd, 0, generation
        self._snapshot_bytes = self.snapshot_path(generation).stat().st_size

    # ----- writing (the caller holds ``locked()`` and has caught up)

    def append(self, ops: list[Op]) -> None:
        """Commit ``ops`` as one transaction; returns once it is on disk."""
        payload = orjson.dumps(
            {"ops": [[table, doc_id, None if raw is None else orjson.Fragment(raw)] for table, doc_id, raw in ops]}
        )
        path = self.journal_path(self.generation)
        size = os.fstat(self._journal_fd).st_size
        if size > self._offset:  # a torn line left by a writer that crashed (catch_up refused anything else)
            os.truncate(path, self._offset)
        written = self._append_line(path, payload)
        self._offset += written
        for table, doc_id, raw in ops:
            self._note_id(table, doc_id, raw)

    def _append_line(self, path: Path, payload: bytes) -> int:
        line = journal.encode(payload)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            start = os.fstat(fd).st_size
            try:
                written = os.write(fd, line)
                if written != len(line):
                    raise OSError(28, "short write")  # the rest would not fit: as good as a full disk
                os.fdatasync(fd)
            except OSError as error:
                os.truncate(path, start)  # leave no partial transaction behind
                raise io_error(error, path, "save the change") from error
        finally:
            os.close(fd)
        return len(line)

    def commit_as_snapshot(self, ops: list[Op], tables: dict[str, dict[int, bytes]]) -> None:
        """Commit ``ops`` (already applied to ``tables``) by writing the next generation: for transactions so large
        that a journal line would cost more than a snapshot. The new snapshot appearing is the commit."""
        for table, doc_id, raw in ops:
            self._note_id(table, doc_id, raw)
        self.compact(tables, reload=True)

    def compact(self, tables: dict[str, dict[int, bytes]], *, reload: bool = False) -> None:
        """Write ``tables`` (the current state) as the next generation and retire the current one. ``reload``
        tells readers of the old journal that the new snapshot holds more than it, so they read it whole.

        The new snapshot being renamed into place is the commit. If what follows fails (a full disk), it is still
        committed: this process reads it whole before its next read or write, and the next open finishes the rest
        (creating its journal, sealing and removing the old generation)."""
        old = self.generation
        new = old + 1
        self._write_snapshot(new, self.next_ids, tables)
        try:
            self._create_journal(new)
            self._append_line(self.journal_path(old), orjson.dumps({"seal": new, "reload": True} if reload else
                                                                   {"seal": new}))
            self._follow_seal(new)
        except (OSError, StoreError):
            self._superseded = True
            return
        self.journal_path(old).unlink(missing_ok=True)
        self.snapshot_path(old).unlink(missing_ok=True)
        self.sidecar_path(old).unlink(missing_ok=True)

    def _write_snapshot(self, generation: int, next_ids: dict[str, int], tables: dict[str, dict[int, bytes]]) -> None:
        written = snapshot.write(self.snapshot_path(generation), generation, next_ids, tables)
        self._snapshot_bytes, self.snapshot_crc = written.size, written.crc

    # ----- the index sidecar

    def sidecar_path(self, generation: int) -> Path:
        return self.directory / f"store.{generation}.indexes"

    def _sidecar_header(self, signature: str) -> sidecar.Header:
        return {"generation": self.generation, "snapshot_crc32": self.snapshot_crc, "signature": signature}

    def write_sidecar(self, signature: str, indexes: Iterable[tuple[str, tuple[bytes, ...]]]) -> None:
        """Save the indexes of the current snapshot (the caller's state must be exactly that snapshot)."""
        path = self.sidecar_path(self.generation)
        saved = sidecar.write(path, self._sidecar_header(signature), indexes)
        if saved and not self.snapshot_path(self.generation).exists():  # a compaction elsewhere retired it
            path.unlink(missing_ok=True)

    def read_sidecar(self, signature: str) -> dict[str, list[bytes]] | None:
        """The saved indexes of the current snapshot, or None if there are none that can be trusted."""
        return sidecar.read(self.sidecar_path(self.generation), self._sidecar_header(signature))

    def _create_journal(self, generation: int) -> None:
        path = self.journal_path(generation)
        try:
            fd = open_private(path, os.O_WRONLY | os.O_CREAT)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            fsync_directory(self.directory)
        except OSError as error:
            raise io_error(error, path, "create the journal") from error

    def close(self) -> None:
        if self._journal_fd != CLOSED:
            os.close(self._journal_fd)
            self._journal_fd = CLOSED


def require_store_directory(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path} is a file; the data directory must be a directory")
