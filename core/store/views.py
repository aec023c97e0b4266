"""What readers get from the journal storage: a table as TinyDB reads it, and a consistent view over several reads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from core.store.storage import JournalStorage


class DocsView(Mapping[str, dict]):
    """One table as TinyDB's ``Table`` reads it: string ids to documents, decoded on access."""

    def __init__(self, docs: dict[int, bytes]):
        self._docs = docs

    def __getitem__(self, key: str | int) -> dict:
        return orjson.loads(self._docs[int(key)])

    def __contains__(self, key: object) -> bool:
        try:
            return int(key) in self._docs  # type: ignore[call-overload]  # any key; not a number: not there
        except (TypeError, ValueError):
            return False

    def __iter__(self) -> Iterator[str]:
        return (str(k) for k in list(self._docs))

    def __len__(self) -> int:
        return len(self._docs)

    def items(self):  # TinyDB iterates a table's items: decoded one by one, as it asks
        return ((str(k), orjson.loads(v)) for k, v in list(self._docs.items()))


class Reading:
    """The context ``JournalStorage.reading()`` returns: a plain class, as this sits on every lookup's path."""

    __slots__ = ("_storage",)

    def __init__(self, storage: JournalStorage):
        self._storage = storage

    def __enter__(self) -> None:
        storage = self._storage
        storage._mutex.acquire()
        try:
            storage._refresh()
        except BaseException:
            storage._mutex.release()
            raise
        storage._reading += 1

    def __exit__(self, *exc_info: object) -> None:
        self._storage._reading -= 1
        self._storage._mutex.release()
