"""A TinyDB storage that writes one journal line per transaction and keeps documents and indexes in memory.

TinyDB's stock storages hand the whole database to ``write`` on every change, which makes a write O(records) and
rewrites the file. This storage keeps every document in memory as its JSON bytes (compact, and decoded only when
read), applies changes in place, and commits each transaction as a single durable journal line (see
``core.store.files``). Before every read it picks up what other processes committed, so a bot and a terminal UI can
share one data directory.

Inside ``transaction()`` changes apply to memory at once (so later reads in the same transaction see them) and are
undone if the transaction fails before its journal line is on disk.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from core.errors import ConcurrentChange, StoreError
from core.store.files import Op, StoreFiles, require_store_directory
from core.store.indexes import Index, IndexSpec
from core.store.views import DocsView, Reading

logger = logging.getLogger(__name__)

# The journal is folded into a new snapshot once it passes a quarter of the snapshot's size, within these bounds:
# a short journal keeps opening fast (replaying it rebuilds index entries), a long one makes compactions rare.
MIN_COMPACT_BYTES = 8 << 20
MAX_JOURNAL_BYTES = 64 << 20


class JournalStorage(Storage):
    def __init__(self, path: str | Path, indexes: Iterable[IndexSpec] = (), *, index_version: str = "1",
                 compact_ratio: float = 0.25, renumbered: Iterable[str] = ()):
        """``index_version`` names the version of the index key functions: change it when they change, so that
        indexes saved by an older release are rebuilt rather than trusted. ``renumbered``: tables whose entries
        nothing refers to by id, which an optimistic transaction may move to other ids (see ``_rebase_locked``)."""
        self._renumbered = frozenset(renumbered)
        self._compact_after = 0  # journal size before which no compaction is tried again after one failed
        directory = Path(path)
        require_store_directory(directory)
        self._files = StoreFiles(directory)
        self._tables: dict[str, dict[int, bytes]] = {}
        self._indexes = {spec.name: Index(spec) for spec in indexes}
        self._table_indexes: dict[str, list[Index]] = {}
        for index in self._indexes.values():
            self._table_indexes.setdefault(index.spec.table, []).append(index)
        self._mutex = threading.RLock()
        self._pending: dict[tuple[str, int], bytes | None] | None = None
        self._pending_bytes = 0
        self._undo: list[Op] = []
        self._next_in_transaction: dict[str, int] = {}
        self._compact_ratio = compact_ratio
        self._reading = 0
        self._reading_view = Reading(self)
        self.revision = 0
        self._signature = index_version + ":" + ",".join(sorted(self._indexes))
        self._tables = self._files.open()
        self._load_indexes()
        self._files.catch_up(self._apply, self._reload)

    @property
    def directory(self) -> Path:
        return self._files.directory

    # ----- applying changes to memory

    def _apply(self, table: str, doc_id: int, raw: bytes | None, *, exact: bool = False) -> None:
        docs = self._tables.get(table)
        if docs is None:
            docs = self._tables[table] = {}
        old = docs.get(doc_id)
        indexes = self._table_indexes.get(table)
        if indexes:
            old_doc = None if old is None else orjson.loads(old)
            new_doc = None if raw is None else orjson.loads(raw)
            for index in indexes:
                if old_doc is None:  # a new document, the common case in bulk work
                    assert new_doc is not None  # a change always has a document before or after it
                    index.add(doc_id, set(index.spec.keys(new_doc)))
                    continue
                old_keys = set(index.spec.keys(old_doc))
                new_keys = set(index.spec.keys(new_doc)) if new_doc is not None else set()
                if old_keys != new_keys:
                    index.discard(doc_id, old_keys - new_keys)
                    index.add(doc_id, new_keys - old_keys)
        if raw is None:
            docs.pop(doc_id, None)
        else:
            # orjson's output keeps a 4 KB buffer whatever the document's size; the copy keeps only the bytes.
            docs[doc_id] = raw if exact else memoryview(raw).tobytes()
        self.revision += 1

    def _reload(self) -> None:
        """Read the newest snapshot whole: another process committed a transaction as a snapshot."""
        self._tables = self._files.open()
        self._load_indexes()
        self.revision += 1

    def _load_indexes(self) -> None:
        """Indexes of the snapshot just loaded: from its sidecar if that can be trusted, else rebuilt and saved."""
        if not self._indexes:
            return
        saved = self._files.read_sidecar(self._signature)
        if saved is not None and saved.keys() == self._indexes.keys() and self._load_saved(saved):
            return
        for index in self._indexes.values():
            index.clear()
        for table, indexes in self._table_indexes.items():
            for doc_id, raw in self._tables.get(table, {}).items():
                doc = orjson.loads(raw)
                for index in indexes:
                    index.add(doc_id, set(index.spec.keys(doc)))
        self._save_indexes()

    def _load_saved(self, saved: dict[str, list[bytes]]) -> bool:
        """Load saved indexes; False if they turn out damaged in a way the checksum missed."""
        try:
            for name, parts in saved.items():
                self._indexes[name].load(*parts)
        except (ValueError, TypeError):
            return False
        return True

    def _save_indexes(self) -> None:
        if self._indexes:
            self._files.write_sidecar(self._signature, ((n, i.dump()) for n, i in sorted(self._indexes.items())))

    def _refresh(self) -> None:
        if self._pending is None and not self._reading:
            self._files.catch_up(self._apply, self._reload)

    # ----- reading

    def reading(self) -> Reading:
        """A consistent view for several reads: other processes' commits are picked up once, at the start."""
        return self._reading_view

    def refresh(self) -> bool:
        """Pick up changes other processes committed; True if there were any. Returns False at once while another
        thread of this process is writing (a long import, say): a poller must not queue up behind it."""
        if not self._mutex.acquire(blocking=False):
            return False
        try:
            return self._pending is None and not self._reading and self._files.catch_up(self._apply, self._reload)
        finally:
            self._mutex.release()

    # TinyDB only reads through what ``read`` returns: lazy read-only mappings, not the dicts its base declares.
    def read(self) -> dict[str, Mapping[str, dict]]:  # type: ignore[override]
        with self._mutex:
            self._refresh()
            return {name: DocsView(docs) for name, docs in self._tables.items() if docs}

    def table_view(self, table: str) -> DocsView:
        with self._mutex:
            self._refresh()
            return DocsView(self._tables.setdefault(table, {}))

    def get(self, table: str, doc_id: int) -> dict | None:
        with self._mutex:
            self._refresh()
            raw = self._tables.get(table, {}).get(doc_id)
            return None if raw is None else orjson.loads(raw)

    def get_many(self, table: str, doc_ids: Iterable[int]) -> dict[int, dict]:
        with self._mutex:
            self._refresh()
            docs = self._tables.get(table, {})
            return {i: orjson.loads(docs[i]) for i in doc_ids if i in docs}

    def tables(self) -> list[str]:
        with self._mutex:
            self._refresh()
            return sorted(name for name, docs in self._tables.items() if docs)

    def ids(self, table: str) -> list[int]:
        with self._mutex:
            self._refresh()
            return list(self._tables.get(table, {}))

    def count(self, table: str) -> int:
        with self._mutex:
            self._refresh()
            return len(self._tables.get(table, {}))

    def find(self, index: str, key: str) -> set[int]:
        with self._mutex:
            self._refresh()
            return self._index(index).get(key)

    def find_prefix(self, index: str, prefix: str) -> set[int]:
        with self._mutex:
            self._refresh()
            return self._index(index).ids_with_prefix(prefix)

    def ids_in_order(self, index: str) -> list[int]:
        with self._mutex:
            self._refresh()
            return self._index(index).ids_in_order()

    def shared_keys(self, index: str) -> list[tuple[str, set[int]]]:
        with self._mutex:
            self._refresh()
            return list(self._index(index).shared())

    def index_items(self, index: str) -> list[tuple[str, tuple[int, ...]]]:
        with self._mutex:
            self._refresh()
            return self._index(index).items()

    def index_contents(self, index: str) -> dict[str, frozenset[int]]:
        with self._mutex:
            self._refresh()
            return self._index(index).contents()

    def _index(self, name: str) -> Index:
        try:
            return self._indexes[name]
        except KeyError:
            raise StoreError(f"no index named {name!r}") from None

    # ----- writing

    @contextmanager
    def transaction(self, *, optimistic: bool = False) -> Iterator[None]:
        """Group writes into one atomic, durable commit; nested calls join the outer transaction.

        An ``optimistic`` transaction works without the write lock, on the state when it began, so other processes
        keep writing meanwhile (a long import does not hold up an agent's note). At the end it takes the lock: if
        others committed changes to none of the records it writes, their changes and its own are both kept;
        otherwise nothing of it is written and ``ConcurrentChange`` says to work it out again."""
        with self._mutex:
            if self._pending is not None:
                yield
                return
            if optimistic:
                self._files.catch_up(self._apply, self._reload)
                with self._changes():
                    yield
                    if self._pending:
                        with self._files.locked():
                            self._rebase_locked()
                            self._commit_locked()
                return
            with self._files.locked():
                self._files.catch_up(self._apply, self._reload, writing=True)
                with self._changes():
                    yield
                    self._commit_locked()

    def _rebase_locked(self) -> None:
        """Put what others committed during an optimistic transaction beside its own changes, or refuse.

        Entries of tables that nothing refers to by id (the audit trail, delivery claims: ``renumbered``) that both
        sides added under the same new id are no conflict: ours move to fresh ids. Any other record both changed is."""
        touched = self._files.committed_since()
        if touched is None:
            raise ConcurrentChange("the store was compacted or replaced while this work was worked out")
        assert self._pending is not None
        clashes = self._pending.keys() & set(touched)
        if any(table not in self._renumbered for table, _ in clashes):
            raise ConcurrentChange("records this work changes were changed meanwhile")
        moved = []
        for table, doc_id in sorted(clashes):
            raw = self._pending.pop((table, doc_id))
            self._apply(table, doc_id, None)  # an entry new here: theirs under this id comes with the catch-up
            if raw is not None:
                moved.append((table, raw))
        self._undo = [entry for entry in self._undo if (entry[0], entry[1]) not in clashes]
        self._files.catch_up(self._apply, self._reload, writing=True)  # theirs, beside ours
        for table, raw in moved:
            self.put_raw(table, self.next_id(table), raw)

    @contextmanager
    def _changes(self) -> Iterator[None]:
        """Collect a transaction's writes; undo them in memory if it fails before they are on disk."""
        self._pending, self._undo, self._next_in_transaction = {}, [], {}
        self._pending_bytes = 0
        try:
            yield
        except BaseException:
            for table, doc_id, raw in reversed(self._undo):
                self._apply(table, doc_id, raw)
            raise
        finally:
            self._pending, self._undo = None, []

    def _commit_locked(self) -> None:
        """Write the pending changes (the caller holds the lock and has caught up), then compact if it is time."""
        if not self._pending:
            return
        ops = [(t, i, raw) for (t, i), raw in self._pending.items()]
        if self._pending_bytes > MAX_JOURNAL_BYTES:
            self._files.commit_as_snapshot(ops, self._tables)
            self._save_indexes()
        else:
            self._files.append(ops)
        self._pending, self._undo = {}, []  # on disk: nothing to undo any more
        journal = self._files.journal_bytes
        if journal >= self._compact_after and journal > min(
            max(MIN_COMPACT_BYTES, self._files.snapshot_bytes * self._compact_ratio), MAX_JOURNAL_BYTES
        ):
            try:
                self._compact_locked()
                self._compact_after = 0
            except StoreError as error:
                # The commit above is on disk: a compaction that could not run (a full disk) must not make it
                # look failed. It is tried again once the journal has grown by as much again, not on every commit
                # (each try writes a whole snapshot before finding there is no room for it).
                self._compact_after = journal + MIN_COMPACT_BYTES
                logger.warning("compaction postponed: %s", error)

    def _require_transaction(self) -> dict[tuple[str, int], bytes | None]:
        if self._pending is None:
            raise StoreError("a write must run inside storage.transaction()")
        return self._pending

    def next_id(self, table: str) -> int:
        self._require_transaction()
        doc_id = max(self._files.next_ids.get(table, 1), self._next_in_transaction.get(table, 1))
        self._next_in_transaction[table] = doc_id + 1
        return doc_id

    def put(self, table: str, doc_id: int, doc: Mapping[str, Any]) -> None:
        self.put_raw(table, doc_id, orjson.dumps(doc))

    def put_raw(self, table: str, doc_id: int, raw: bytes) -> None:
        pending = self._require_transaction()
        raw = memoryview(raw).tobytes()  # one exact-size copy, shared by the pending commit and memory
        self._undo.append((table, doc_id, self._tables.get(table, {}).get(doc_id)))
        pending[(table, doc_id)] = raw
        self._pending_bytes += len(raw)
        if doc_id >= self._next_in_transaction.get(table, 1):
            self._next_in_transaction[table] = doc_id + 1
        self._apply(table, doc_id, raw, exact=True)

    def remove(self, table: str, doc_id: int) -> None:
        pending = self._require_transaction()
        old = self._tables.get(table, {}).get(doc_id)
        if old is None:
            return
        self._undo.append((table, doc_id, old))
        pending[(table, doc_id)] = None
        self._apply(table, doc_id, None)

    def write(self, data: dict[str, Mapping[str, Any]]) -> None:  # type: ignore[override]  # what read gave back
        """TinyDB's whole-database write (used by ``drop_tables`` and friends), turned into the changes it implies."""
        with self.transaction():
            for table in list(self._tables):
                wanted = data.get(table, {})
                for doc_id in [i for i in self._tables[table] if str(i) not in wanted and i not in wanted]:
                    self.remove(table, doc_id)
            for table, docs in data.items():
                for key, doc in docs.items():
                    raw = orjson.dumps(doc)
                    if self._tables.get(table, {}).get(int(key)) != raw:
                        self.put_raw(table, int(key), raw)

    # ----- maintenance

    def compact(self) -> None:
        """Fold the journal into a new snapshot now (it also happens by itself as the journal grows)."""
        with self._mutex, self._files.locked():
            self._files.catch_up(self._apply, self._reload, writing=True)
            self._compact_locked()

    def _compact_locked(self) -> None:
        self._files.compact(self._tables)
        self._save_indexes()

    def stats(self) -> dict[str, int]:
        with self._mutex:
            self._refresh()
            return {
                "generation": self._files.generation,
                "snapshot_bytes": self._files.snapshot_bytes,
                "journal_bytes": self._files.journal_bytes,
                **{f"{table}": len(docs) for table, docs in self._tables.items()},
            }

    def close(self) -> None:
        with self._mutex:
            self._files.close()
