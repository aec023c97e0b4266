"""The store as the service layer sees it: one interface, so a server-backed store can replace TinyDB later
without the front ends noticing."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, Protocol, TypeVar

from core.errors import StoreError
from core.indexes import INDEX_TABLES, INDEX_VERSION, INDEXES, UNREFERENCED_TABLES
from core.stopping import Stop
from core.store.conditions import Condition, ListedIds, Listing, SetEvaluator
from core.store.table import ContactsDB

T = TypeVar("T")


class Repository(Protocol):
    """Tables of JSON documents with integer ids, the indexes of ``core.indexes``, and atomic transactions.

    Writes happen inside ``transaction()``: they all reach durable storage together when it ends, or none do. An
    optimistic transaction does not keep others from writing while it runs; it raises ``ConcurrentChange`` at the end
    if they changed a record it writes.
    Reads see what other processes committed; inside ``reading()`` several reads see one consistent state.

    No read needs a whole table in memory: ``ids_after`` pages through a table, ``listing`` through the matches of
    a condition in an index's order, ``matching`` stops past a cap, and ``count_key`` counts without reading ids.
    """

    def transaction(self, *, optimistic: bool = False) -> AbstractContextManager[None]: ...
    def reading(self) -> AbstractContextManager[None]: ...
    def filling(self) -> AbstractContextManager[None]: ...
    def stoppable(self, stop: Stop) -> AbstractContextManager[None]: ...
    def get(self, table: str, record_id: int) -> dict | None: ...
    def get_many(self, table: str, record_ids: Iterable[int]) -> dict[int, dict]: ...
    def insert(self, table: str, document: dict, record_id: int | None = None) -> int: ...
    def append(self, table: str, document: dict) -> None: ...
    def replace(self, table: str, record_id: int, document: dict) -> None: ...
    def remove(self, table: str, record_id: int) -> None: ...
    def load(self, table: str, documents: Iterable[tuple[int, dict]]) -> None: ...
    def tables(self) -> list[str]: ...
    def ids(self, table: str) -> list[int]: ...
    def count(self, table: str) -> int: ...
    def find(self, index: str, key: str) -> set[int]: ...
    def find_documents(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[int, dict]]: ...
    def find_first(self, choices: Sequence[Sequence[tuple[str, str]]]) -> dict[tuple[str, str], dict[int, dict]]: ...
    def find_prefix(self, index: str, prefix: str) -> set[int]: ...
    def shared_keys(self, index: str) -> list[tuple[str, set[int]]]: ...
    def ordered_keys(self, index: str, after: tuple[str, int] | None, limit: int) -> list[tuple[str, int]]: ...
    def keys_of(self, index: str, record_ids: Iterable[int]) -> dict[int, list[str]]: ...
    def count_key(self, index: str, key: str) -> int: ...
    def ids_after(self, table: str, after: int, limit: int) -> list[int]: ...
    def last_id(self, table: str) -> int: ...
    def matching(self, condition: Condition, cap: int | None = None) -> set[int]: ...
    def listing(self, order: str, condition: Condition | None = None) -> Listing: ...
    def refresh(self) -> bool: ...
    def revision(self) -> int: ...
    def compact(self) -> None: ...
    def close(self) -> None: ...


class TinyDBRepository:
    """The embedded store: TinyDB over ``JournalStorage`` in a data directory."""

    def __init__(self, directory: Path):
        self.db = ContactsDB(directory, indexes=INDEXES, index_version=INDEX_VERSION, renumbered=UNREFERENCED_TABLES)
        self._storage = self.db.storage
        self._evaluator = SetEvaluator(self.find, self.find_prefix, self.revision)
        self._held: dict[str, tuple[int, Any]] = {}  # what _kept read → (revision, it)

    def transaction(self, *, optimistic: bool = False) -> AbstractContextManager[None]:
        return self._storage.transaction(optimistic=optimistic)

    def reading(self) -> AbstractContextManager[None]:
        return self._storage.reading()

    def filling(self) -> AbstractContextManager[None]:
        """One transaction that fills an empty store (its indexes are in memory: nothing to put off)."""
        return self._storage.transaction()

    def stoppable(self, stop: Stop) -> AbstractContextManager[None]:
        """Its reads run in this process's memory and keep no server from others: a superseded one is left to end."""
        return nullcontext()

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

    def append(self, table: str, document: dict) -> None:
        """``insert`` where nobody waits for the id (an audit entry)."""
        self.insert(table, document)

    def load(self, table: str, documents: Iterable[tuple[int, dict]]) -> None:
        """Store many documents under their ids (none taken yet) at once."""
        with self._storage.transaction():
            for record_id, document in documents:
                if self._storage.get(table, record_id) is not None:
                    raise StoreError(f"{table}: an id given is taken already")
                self._storage.put(table, record_id, document)

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

    def find_documents(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[int, dict]]:
        """The documents filed under each (index, key), by id: several lookups and what they found, at once."""
        with self.reading():
            return {(index, key): self.get_many(INDEX_TABLES[index], sorted(self.find(index, key)))
                    for index, key in wanted}

    def find_first(self, choices: Sequence[Sequence[tuple[str, str]]]) -> dict[tuple[str, str], dict[int, dict]]:
        """``find_documents`` of the first of ``choices`` that finds any document (empty if none does); the ones
        after it are not looked up (a number typed: its stored form first, its digits only if that finds none)."""
        with self.reading():
            for choice in choices:
                found = self.find_documents(choice)
                if any(found.values()):
                    return found
            return {}

    def find_prefix(self, index: str, prefix: str) -> set[int]:
        return self._storage.find_prefix(index, prefix)

    def shared_keys(self, index: str) -> list[tuple[str, set[int]]]:
        return self._storage.shared_keys(index)

    def ordered_keys(self, index: str, after: tuple[str, int] | None, limit: int) -> list[tuple[str, int]]:
        """(key, id) of an ordered index in that order, ``limit`` of them past ``after``: a scan of every key."""
        pairs = self._kept(f"{index} pairs", lambda: sorted((key, i) for key, ids in self._storage.index_items(index)
                                                            for i in ids))
        start = bisect_right(pairs, after) if after is not None else 0
        return pairs[start:start + limit]

    def keys_of(self, index: str, record_ids: Iterable[int]) -> dict[int, list[str]]:
        """The keys each of ``record_ids`` has in ``index`` (those with none are left out)."""
        by_id = self._kept(f"{index} by id", lambda: _keys_by_id(self._storage.index_items(index)))
        return {i: by_id[i] for i in record_ids if i in by_id}

    def count_key(self, index: str, key: str) -> int:
        return len(self._storage.find(index, key))

    def ids_after(self, table: str, after: int, limit: int) -> list[int]:
        ids = self._kept(table, lambda: sorted(self._storage.ids(table)))
        start = bisect_right(ids, after)
        return ids[start:start + limit]

    def last_id(self, table: str) -> int:
        ids = self._kept(table, lambda: sorted(self._storage.ids(table)))
        return ids[-1] if ids else 0

    def matching(self, condition: Condition, cap: int | None = None) -> set[int]:
        """Every id matching ``condition`` (held in memory already: the cap saves nothing here)."""
        return self._evaluator.ids(condition)

    def listing(self, order: str, condition: Condition | None = None) -> Listing:
        ordered = self._kept(order, lambda: self._storage.ids_in_order(order))
        if condition is None:
            return ListedIds(ordered)
        wanted = self._evaluator.ids(condition)
        if len(wanted) == len(ordered):  # a broad prefix ("e" for every address at example.com) matches everything
            return ListedIds(ordered)
        return ListedIds(list(filter(wanted.__contains__, ordered)))  # in C: twice a comprehension's speed

    def _kept(self, name: str, read: Callable[[], T]) -> T:
        """What ``read`` gives (a table's ids in order, an index's pairs), kept until anything changes: lists and
        scans page through it."""
        revision = self.revision()
        held = self._held.get(name)
        if held is None or held[0] != revision:
            held = self._held[name] = (revision, read())
        return held[1]

    def refresh(self) -> bool:
        return self._storage.refresh()

    def revision(self) -> int:
        """A number that changes whenever the data does (in this process or, once read, in another)."""
        return self._storage.revision

    def compact(self) -> None:
        self._storage.compact()

    def close(self) -> None:
        self.db.close()


def _keys_by_id(items: list[tuple[str, tuple[int, ...]]]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for key, ids in items:
        for i in ids:
            found.setdefault(i, []).append(key)
    return found
