"""TinyDB's ``Table`` over ``JournalStorage``: every write touches only the documents it changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.table import Document, Table

from core.store.storage import JournalStorage


class _RecordingTable(MutableMapping[int, dict]):
    """What TinyDB's updaters see instead of a full copy of the table: documents are decoded when first touched,
    and only those that end up different are written back."""

    def __init__(self, storage: JournalStorage, name: str):
        self._storage, self._name = storage, name
        self._stored: Mapping[int, bytes] = storage._tables.setdefault(name, {})
        self._touched: dict[int, dict] = {}
        self._removed: set[int] = set()

    def __getitem__(self, doc_id: int) -> dict:
        doc = self._touched.get(doc_id)
        if doc is None:
            if doc_id in self._removed or doc_id not in self._stored:
                raise KeyError(doc_id)
            doc = self._touched[doc_id] = orjson.loads(self._stored[doc_id])
        return doc

    def __setitem__(self, doc_id: int, doc: dict) -> None:
        self._removed.discard(doc_id)
        self._touched[doc_id] = dict(doc)

    def __delitem__(self, doc_id: int) -> None:
        self[doc_id]  # raises KeyError for a missing document, as a dict would
        del self._touched[doc_id]
        self._removed.add(doc_id)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._touched or (doc_id in self._stored and doc_id not in self._removed)

    def __iter__(self) -> Iterator[int]:
        yield from self._touched
        yield from (i for i in list(self._stored) if i not in self._touched and i not in self._removed)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        self._removed |= set(self._stored)
        self._touched.clear()

    def commit(self) -> None:
        for doc_id in self._removed:
            self._storage.remove(self._name, doc_id)
        for doc_id, doc in self._touched.items():
            raw = orjson.dumps(doc)
            if raw != self._stored.get(doc_id):
                self._storage.put_raw(self._name, doc_id, raw)


class JournalTable(Table):
    _storage: JournalStorage

    def __init__(self, storage: JournalStorage, name: str, **kwargs: Any):
        super().__init__(storage, name, **kwargs)
        self._cached_revision = storage.revision

    # TinyDB's Table only reads what these return; ours are read-only views over the storage, not its dicts.
    def _read_table(self) -> Mapping[str, Mapping]:  # type: ignore[override]
        return self._storage.table_view(self.name)

    def _update_table(self, updater: Callable[[dict[int, Mapping]], None]) -> None:
        with self._storage.transaction():
            recording = _RecordingTable(self._storage, self.name)
            updater(recording)  # type: ignore[arg-type]  # records each change instead of being a dict
            recording.commit()
        self.clear_cache()

    def _get_next_id(self) -> int:
        return self._storage.next_id(self.name)

    def insert(self, document: Mapping) -> int:
        with self._storage.transaction():  # the id is taken under the store's write lock
            return super().insert(document)

    def insert_multiple(self, documents) -> list[int]:
        with self._storage.transaction():
            return super().insert_multiple(documents)

    def search(self, cond) -> list[Document]:
        self._storage.refresh()
        if self._cached_revision != self._storage.revision:
            self.clear_cache()  # another process (or a write elsewhere) may have changed what matched
            self._cached_revision = self._storage.revision
        return super().search(cond)

    def replace(self, doc_id: int, document: Mapping) -> None:
        """Make document ``doc_id`` exactly ``document`` (TinyDB's ``update`` only merges fields in)."""

        def replace_all(doc: MutableMapping) -> None:
            doc.clear()
            doc.update(document)

        if not self.update(replace_all, doc_ids=[doc_id]):
            raise KeyError(doc_id)


class ContactsDB(TinyDB):
    """TinyDB with the journal storage and table class."""

    # TinyDB annotates these as its own classes; it only ever instantiates them, as it does ours.
    table_class = JournalTable  # type: ignore[assignment]
    default_storage_class = JournalStorage  # type: ignore[assignment]

    def table(self, name: str, **kwargs: Any) -> JournalTable:
        table = super().table(name, **kwargs)
        assert isinstance(table, JournalTable)
        return table

    @property
    def storage(self) -> JournalStorage:
        return self._storage  # type: ignore[return-value]  # default_storage_class above
