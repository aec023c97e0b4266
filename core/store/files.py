"""The files of a store directory: a snapshot, an append-only journal, and a lock.

Layout (format version 1), for generation ``g``::

    store.<g>.snapshot   a header line; per table a section line, the ids (int64) and the documents (JSON, one a
                         line); a trailer line with the CRC-32 of everything before it
    store.<g>.journal    one line per committed transaction: "<crc32 hex> <json>\\n"
    store.lock           the write lock (an advisory file lock)

A transaction is one journal line, written with a single ``write`` and ``fdatasync``-ed before the commit returns,
so a crash leaves either the whole transaction or none of it. A final line without its newline is an
unacknowledged write cut short by a crash: readers ignore it and the next writer cuts it off. Any other damage
(a bad checksum, a truncated snapshot, an unknown format version) is refused with an error and never written over.

Compaction writes generation ``g+1`` (new snapshot via a temporary file and an atomic rename, and an empty journal),
then appends a *seal* line to journal ``g`` naming ``g+1``. A process that is reading journal ``g`` follows the seal
to the new journal without reloading, because the new snapshot holds exactly what journal ``g`` led to. Open file
descriptors keep the old journal readable after it is removed.
"""

from __future__ import annotations

import os
import re
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

import filelock
import orjson

from core.errors import CorruptStore, StoreBusy, StoreError, UnsupportedStoreFormat

FORMAT_NAME = "contacts-store"
FORMAT_VERSION = 1
LOCK_TIMEOUT_SECONDS = 30.0
SNAPSHOT_CHUNK = 16 << 20
CLOSED = -1  # the journal descriptor while none is open

_SNAPSHOT = re.compile(r"^store\.(\d+)\.snapshot$")

# (table, document id, the document as JSON bytes, or None for a removal)
Op = tuple[str, int, bytes | None]
Apply = Callable[[str, int, bytes | None], None]


def _crc(data: bytes, start: int = 0) -> str:
    return f"{zlib.crc32(data, start) & 0xFFFFFFFF:08x}"


def _sidecar_trailer(crc: str) -> bytes:
    return b'\n{"end":true,"crc32":"%s"}\n' % crc.rjust(8, "0").encode()


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        self._lock = filelock.FileLock(str(directory / "store.lock"), timeout=LOCK_TIMEOUT_SECONDS)

    # ----- paths

    def snapshot_path(self, generation: int) -> Path:
        return self.directory / f"store.{generation}.snapshot"

    def journal_path(self, generation: int) -> Path:
        return self.directory / f"store.{generation}.journal"

    def _generations(self) -> list[int]:
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
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            generations = self._generations()
            if not generations:
                self._create_or_refuse()
                continue
            generation = generations[-1]
            try:
                snapshot = open(self.snapshot_path(generation), "rb")  # noqa: SIM115 (closed by the with below)
            except FileNotFoundError:
                continue  # a compaction replaced it between listing and opening
            with snapshot:
                try:
                    journal_fd = os.open(self.journal_path(generation), os.O_RDONLY)
                except FileNotFoundError:
                    self._repair_missing_journal(generation)
                    continue
                tables: dict[str, dict[int, bytes]] = {}
                try:
                    self._load_snapshot(snapshot, generation, tables)
                except (ValueError, KeyError, TypeError, AttributeError):  # a section that does not parse
                    raise CorruptStore(f"{self.snapshot_path(generation)} is damaged; it was left untouched. "
                                       "Restore it from a backup") from None
            self._journal_fd, self._offset, self.generation = journal_fd, 0, generation
            if generations[0] < generation:
                self._seal_leftovers(generations[:-1])
            return tables

    def _create_or_refuse(self) -> None:
        with self.locked():
            if self._generations():
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
            if self._generations()[-1] == generation and not self.journal_path(generation).exists():
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

    def _load_snapshot(self, snapshot, generation: int, tables: dict[str, dict[int, bytes]]) -> None:
        name = self.snapshot_path(generation)
        header_line = snapshot.readline()
        try:
            header = orjson.loads(header_line)
        except orjson.JSONDecodeError:
            raise CorruptStore(f"{name} does not start with a store header; it was left untouched") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
            raise CorruptStore(f"{name} is not a Contacts store file; it was left untouched")
        version = header.get("version")
        if version != FORMAT_VERSION:
            raise UnsupportedStoreFormat(
                f"{name} is in store format {version!r}; this release of Contacts reads format {FORMAT_VERSION}. "
                "Open it with the release that wrote it (or a newer one); it was left untouched"
            )
        damaged = CorruptStore(f"{name} is damaged (truncated or altered); it was left untouched. "
                               "Restore it from a backup")
        crc, count = zlib.crc32(header_line), 0
        while True:
            line = snapshot.readline()
            try:
                section = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise damaged from None
            if section.get("end"):
                break
            crc = zlib.crc32(line, crc)
            documents, size = int(section["documents"]), int(section["bytes"])
            id_bytes = snapshot.read(8 * documents)
            crc = zlib.crc32(id_bytes, crc)
            ids = array("q")
            ids.frombytes(id_bytes)
            if len(ids) != documents:
                raise damaged
            docs = tables.setdefault(section["table"], {})
            loaded, held = 0, b""
            while size:
                chunk = snapshot.read(min(SNAPSHOT_CHUNK, size))
                if not chunk:
                    raise damaged
                size -= len(chunk)
                crc = zlib.crc32(chunk, crc)
                data = held + chunk
                cut = data.rfind(b"\n") + 1
                lines, held = data[:cut].split(b"\n"), data[cut:]
                lines.pop()
                docs.update(zip(ids[loaded:loaded + len(lines)], lines, strict=False))  # counts checked below
                loaded += len(lines)
            if held or loaded != documents:
                raise damaged
            count += documents
        self._snapshot_bytes = snapshot.tell()
        self.snapshot_crc = f"{crc & 0xFFFFFFFF:08x}"
        if section.get("documents") != count or section.get("crc32") != self.snapshot_crc:
            raise damaged
        self.next_ids = {str(k): int(v) for k, v in header.get("next_ids", {}).items()}

    # ----- reading the journal

    def catch_up(self, apply: Apply, reload: Callable[[], None]) -> bool:
        """Apply what other processes committed since the last call; True if anything was applied.

        A seal that says ``reload`` means the next snapshot holds a transaction the journal does not (one too big
        for a journal line): ``reload`` must then read the newest snapshot whole, through ``open``."""
        changed = False
        while True:
            size = os.fstat(self._journal_fd).st_size
            if size <= self._offset:
                return changed
            data = os.pread(self._journal_fd, size - self._offset, self._offset)
            position, seal, reloaded = 0, None, False
            # An unterminated last line is a write still under way, or one a crash cut short: leave it for later.
            while (newline := data.find(b"\n", position)) >= 0:
                record = self._decode(data[position:newline], self._offset + position, last=newline + 1 == len(data))
                if record is None:
                    break
                position = newline + 1
                if "seal" in record:
                    seal = int(record["seal"])
                    if record.get("reload"):
                        os.close(self._journal_fd)
                        self._journal_fd = CLOSED
                        reload()
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
            self._offset += position
            if seal is None:
                return changed
            self._follow_seal(seal)
            changed = True

    def _note_id(self, table: str, doc_id: int, raw: bytes | None) -> None:
        if raw is not None and doc_id >= self.next_ids.get(table, 1):
            self.next_ids[table] = doc_id + 1

    def _decode(self, line: bytes, at: int, *, last: bool) -> dict | None:
        checksum, _, payload = line.partition(b" ")
        try:
            if _crc(payload).encode() != checksum:
                raise ValueError
            return orjson.loads(payload)
        except ValueError:
            if last:
                return None  # a torn final write that was never acknowledged
            raise CorruptStore(
                f"{self.journal_path(self.generation)} is damaged at byte {at}; the store was left untouched. "
                "Restore it from a backup"
            ) from None

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
        if size > self._offset:  # a torn line left by a writer that crashed
            os.truncate(path, self._offset)
        written = self._append_line(path, payload)
        self._offset += written
        for table, doc_id, raw in ops:
            self._note_id(table, doc_id, raw)

    def _append_line(self, path: Path, payload: bytes) -> int:
        line = _crc(payload).encode() + b" " + payload + b"\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            start = os.fstat(fd).st_size
            try:
                written = os.write(fd, line)
                if written != len(line):
                    raise OSError(f"short write to {path}")
                os.fdatasync(fd)
            except OSError:
                os.truncate(path, start)  # leave no partial transaction behind
                raise
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
        tells readers of the old journal that the new snapshot holds more than it, so they read it whole."""
        old = self.generation
        new = old + 1
        self._write_snapshot(new, self.next_ids, tables)
        self._create_journal(new)
        self._append_line(self.journal_path(old), orjson.dumps({"seal": new, "reload": True} if reload else
                                                               {"seal": new}))
        self._follow_seal(new)
        self.journal_path(old).unlink(missing_ok=True)
        self.snapshot_path(old).unlink(missing_ok=True)
        self.sidecar_path(old).unlink(missing_ok=True)

    def _write_snapshot(self, generation: int, next_ids: dict[str, int], tables: dict[str, dict[int, bytes]]) -> None:
        path = self.snapshot_path(generation)
        temporary = path.with_suffix(".snapshot.tmp")
        header = orjson.dumps(
            {"format": FORMAT_NAME, "version": FORMAT_VERSION, "generation": generation, "next_ids": next_ids}
        ) + b"\n"
        crc, count = zlib.crc32(header), 0
        with open(temporary, "wb", buffering=1 << 20) as out:
            out.write(header)
            for table, docs in tables.items():
                if not docs:
                    continue
                size = sum(map(len, docs.values())) + len(docs)
                section = orjson.dumps({"table": table, "documents": len(docs), "bytes": size}) + b"\n"
                for piece in (section, array("q", docs).tobytes()):
                    crc = zlib.crc32(piece, crc)
                    out.write(piece)
                documents = iter(docs.values())
                while batch := list(islice(documents, 10_000)):
                    piece = b"\n".join(batch) + b"\n"
                    crc = zlib.crc32(piece, crc)
                    out.write(piece)
                count += len(docs)
            out.write(orjson.dumps({"end": True, "documents": count, "crc32": f"{crc & 0xFFFFFFFF:08x}"}) + b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
        _fsync_directory(self.directory)
        self._snapshot_bytes = path.stat().st_size
        self.snapshot_crc = f"{crc & 0xFFFFFFFF:08x}"

    # ----- the index sidecar

    def sidecar_path(self, generation: int) -> Path:
        return self.directory / f"store.{generation}.indexes"

    def write_sidecar(self, signature: str, indexes: Iterable[tuple[str, tuple[bytes, ...]]]) -> None:
        """Save the indexes of the current snapshot (the caller's state must be exactly that snapshot).

        Layout: a header line, then per index a JSON line naming it and the byte lengths of its parts followed
        by those parts, then a trailer line with the CRC-32 of everything before it.
        """
        path = self.sidecar_path(self.generation)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        header = orjson.dumps({"generation": self.generation, "snapshot_crc32": self.snapshot_crc,
                               "signature": signature}) + b"\n"
        crc = zlib.crc32(header)
        with open(temporary, "wb", buffering=1 << 20) as out:
            out.write(header)
            for name, parts in indexes:
                for piece in (orjson.dumps({"index": name, "parts": [len(p) for p in parts]}) + b"\n", *parts):
                    crc = zlib.crc32(piece, crc)
                    out.write(piece)
            out.write(_sidecar_trailer(f"{crc & 0xFFFFFFFF:08x}"))
        os.replace(temporary, path)
        if not self.snapshot_path(self.generation).exists():  # a compaction elsewhere retired this generation
            path.unlink(missing_ok=True)

    def read_sidecar(self, signature: str) -> dict[str, list[bytes]] | None:
        """The saved indexes of the current snapshot, or None if there are none that can be trusted."""
        try:
            data = self.sidecar_path(self.generation).read_bytes()
        except FileNotFoundError:
            return None
        expected = {"generation": self.generation, "snapshot_crc32": self.snapshot_crc, "signature": signature}
        try:
            body_end = len(data) - len(_sidecar_trailer(""))  # binary parts may hold newlines: the trailer's size is fixed
            if data[body_end:] != _sidecar_trailer(_crc(data[:body_end])):
                return None
            position = data.index(b"\n") + 1
            if orjson.loads(data[:position]) != expected:
                return None
            indexes: dict[str, list[bytes]] = {}
            while position < body_end:
                line_end = data.index(b"\n", position) + 1
                entry = orjson.loads(data[position:line_end])
                position = line_end
                parts = []
                for length in entry["parts"]:
                    parts.append(data[position:position + length])
                    position += length
                indexes[entry["index"]] = parts
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return indexes

    def _create_journal(self, generation: int) -> None:
        path = self.journal_path(generation)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        os.fsync(fd)
        os.close(fd)
        _fsync_directory(self.directory)

    def close(self) -> None:
        if self._journal_fd != CLOSED:
            os.close(self._journal_fd)
            self._journal_fd = CLOSED


def require_store_directory(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path} is a file; the data directory must be a directory")
