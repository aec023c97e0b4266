"""The store as the service layer sees it: one interface, so a server-backed store can replace TinyDB later
without the front ends noticing."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from core.errors import StoreError
from core.indexes import INDEX_VERSION, INDEXES, UNREFERENCED_TABLES
from core.store.table import ContactsDB


class Repository(Protocol):
    """Tables of JSON documents with integer ids, the indexes of ``core.indexes``, and atomic transactions.

    Writes happen inside ``transaction()``: they all reach durable storage together when it ends, or none do. An
    optimistic transaction does not keep others from writing while it runs; it raises ``ConcurrentChange`` at the end
    if they changed a record it writes.
    Reads see what other processes committed; inside ``reading()`` several reads see one consistent state.
    """

    def transaction(self, *, optimistic: bool = False) -> AbstractContextManager[None]: ...
    def reading(self) -> AbstractContextManager[None]: ...
    def get(self, table: str, record_id: int) -> dict | None: ...
    def get_many(self, table: str, record_ids: Iterable[int]) -> dict[int, dict]: ...
    def insert(self, table: str, document: dict, record_id: int | None = None) -> int: ...
    def replace(self, table: str, record_id: int, document: dict) -> None: ...
    def remove(self, table: str, record_id: int) -> None: ...
    def tables(self) -> list[str]: ...
    def ids(self, table: str) -> list[int]: ...
    def count(self, table: str) -> int: ...
    def find(self, index: str, key: str) -> set[int]: ...
    def find_prefix(self, index: str, prefix: str) -> set[int]: ...
    def ids_in_order(self, index: str) -> list[int]: ...
    def shared_keys(self, index: str) -> list[tuple[str, set[int]]]: ...
    def keys(self, index: str) -> list[tuple[str, tuple[int, ...]]]: ...
    def refresh(self) -> bool: ...
    def revision(self) -> int: ...
    def compact(self) -> None: ...
    def close(self) -> None: ...


class TinyDBRepository:
    """The embedded store: TinyDB over ``JournalStorage`` in a data directory."""

    def __init__(self, directory: Path):
        self.db = ContactsDB(directory, indexes=INDEXES, index_version=INDEX_VERSION, renumbered=UNREFERENCED_TABLES)
        self._storage = self.db.storage

    def transaction(self, *, optimistic: bool = False) -> AbstractContextManager[None]:
        return self._storage.transaction(optimistic=optimistic)

    def reading(self) -> AbstractContextManager[None]:
        return self._storage.reading()

    def get(self, table: str, record_id: int) -> dict | None:
        return self._storage.get(table, record_id)

    def get_many(self, table: str, record_ids: Iterable[int]) -> dict[int, dict]:
        return self._storage.get_many(table, record_ids)

    def insert(self, table: str, document: dict, record_id: int | None = None) -> int:
        """Store a new document under the next free id, or under ``record_id`` (which must be free)."""
        with self._storage.transaction():  # straight to the storage: TinyDB's Table.insert costs 4× as much
            if record_id is None:
                record_id = self._storage.next_id(table)
            elif self._storage.get(table, record_id) is not None:
                raise StoreError(f"{table} {record_id} exists already")
            self._storage.put(table, record_id, document)
        return record_id

    def replace(self, table: str, record_id: int, document: dict) -> None:
        self.db.table(table).replace(record_id, document)

    def remove(self, table: str, record_id: int) -> None:
        self.db.table(table).remove(doc_ids=[record_id])

    def tables(self) -> list[str]:
        """The tables that hold documents."""
        return self._storage.tables()

    def ids(self, table: str) -> list[int]:
        return self._storage.ids(table)

    def count(self, table: str) -> int:
        return self._storage.count(table)

    def find(self, index: str, key: str) -> set[int]:
        return self._storage.find(index, key)

    def find_prefix(self, index: str, prefix: str) -> set[int]:
        return self._storage.find_prefix(index, prefix)

    def ids_in_order(self, index: str) -> list[int]:
        return self._storage.ids_in_order(index)

    def shared_keys(self, index: str) -> list[tuple[str, set[int]]]:
        return self._storage.shared_keys(index)

    def keys(self, index: str) -> list[tuple[str, tuple[int, ...]]]:
        """Every key of ``index`` with the ids of the documents that have it."""
        return self._storage.index_items(index)

    def refresh(self) -> bool:
        return self._storage.refresh()

    def revision(self) -> int:
        """A number that changes whenever the data does (in this process or, once read, in another)."""
        return self._storage.revision

    def compact(self) -> None:
        self._storage.compact()

    def close(self) -> None:
        self.db.close()
