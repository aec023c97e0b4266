"""In-memory secondary indexes: key → document ids, optionally with keys kept sorted for prefix search."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter

import orjson
from sortedcontainers import SortedList

KeysOf = Callable[[dict], Iterable[str]]


@dataclass(frozen=True)
class IndexSpec:
    """``keys`` maps a document to its index keys; ``ordered`` keeps keys sorted so prefixes can be searched;
    ``sort_key``: the one key is the document's place in its table's name order (what lists are ordered by);
    ``counted``: how many documents each key has is asked often (a division's size), so a store that would count
    them one by one keeps the number."""

    name: str
    table: str
    keys: KeysOf
    ordered: bool = False
    sort_key: bool = False
    counted: bool = False


class Index:
    """Most keys belong to one document, so a single id is stored bare. Shared keys hold a set, or, as loaded
    from disk, a list that becomes a set when it first changes (so loading converts nothing)."""

    def __init__(self, spec: IndexSpec):
        self.spec = spec
        self._ids: dict[str, int | list[int] | set[int]] = {}
        self._sorted: SortedList | None = SortedList() if spec.ordered else None

    def add(self, doc_id: int, keys: Iterable[str]) -> None:
        for key in keys:
            held = self._ids.get(key)
            if held is None:
                self._ids[key] = doc_id
                if self._sorted is not None:
                    self._sorted.add(key)
            elif isinstance(held, int):
                if held != doc_id:
                    self._ids[key] = {held, doc_id}
            elif isinstance(held, set):
                held.add(doc_id)
            else:
                self._ids[key] = {*held, doc_id}

    def discard(self, doc_id: int, keys: Iterable[str]) -> None:
        for key in keys:
            held = self._ids.get(key)
            if held is None:
                continue
            if isinstance(held, int):
                if held == doc_id:
                    del self._ids[key]
                    if self._sorted is not None:
                        self._sorted.remove(key)
                continue
            remaining = set(held) if isinstance(held, list) else held
            remaining.discard(doc_id)
            self._ids[key] = next(iter(remaining)) if len(remaining) == 1 else remaining

    def get(self, key: str) -> set[int]:
        held = self._ids.get(key)
        if held is None:
            return set()
        return {held} if isinstance(held, int) else set(held)

    def ids_with_prefix(self, prefix: str) -> set[int]:
        if self._sorted is None:
            raise TypeError(f"index {self.spec.name} is not ordered; prefix search needs ordered=True")
        # One-letter prefixes span a hundred thousand keys at 100,000 records: slicing and fetching them in C, and
        # taking the bare ids in one comprehension, halves the time a loop over the keys takes.
        start, stop = self._sorted.bisect_left(prefix), self._sorted.bisect_left(prefix + "\U0010ffff")
        if start >= stop:
            return set()
        keys = self._sorted[start:stop]
        held = itemgetter(*keys)(self._ids) if len(keys) > 1 else (self._ids[keys[0]],)
        found = {ids for ids in held if ids.__class__ is int}
        if len(found) < len(held):
            for ids in held:
                if not isinstance(ids, int):
                    found.update(ids)
        return found

    def ids_in_order(self) -> list[int]:
        """Every id, in key order (an ordered index); ids under one key in id order."""
        if self._sorted is None:
            raise TypeError(f"index {self.spec.name} is not ordered")
        ordered: list[int] = []
        for key in self._sorted:
            held = self._ids[key]
            if isinstance(held, int):
                ordered.append(held)
            else:
                ordered.extend(sorted(held))
        return ordered

    def shared(self) -> Iterator[tuple[str, set[int]]]:
        """Keys that more than one document has, with those documents' ids."""
        for key, held in list(self._ids.items()):
            if not isinstance(held, int) and len(held) > 1:
                yield key, set(held)

    def items(self) -> list[tuple[str, tuple[int, ...]]]:
        """Every key with the ids under it."""
        return [(k, (v,) if isinstance(v, int) else tuple(v)) for k, v in self._ids.items()]

    def contents(self) -> dict[str, frozenset[int]]:
        """Every key with its ids (for checking an index against a full scan)."""
        return {k: frozenset((v,)) if isinstance(v, int) else frozenset(v) for k, v in self._ids.items()}

    def dump(self) -> tuple[bytes, bytes, bytes]:
        """The index in three parts that load fast: keys with one id (newline-separated), those ids (int64),
        and the shared keys (JSON). Ordered indexes write keys in order, so loading needs no real sort."""
        keys: Iterable[str] = self._sorted if self._sorted is not None else self._ids
        single: list[str] = []
        single_ids = array("q")
        shared: dict[str, list[int]] = {}
        for key in keys:
            held = self._ids[key]
            if isinstance(held, int):
                single.append(key)
                single_ids.append(held)
            else:
                shared[key] = sorted(held)
        return "\n".join(single).encode(), single_ids.tobytes(), orjson.dumps(shared)

    def load(self, single: bytes, single_ids: bytes, shared: bytes) -> None:
        ids = array("q")
        ids.frombytes(single_ids)
        keys = single.decode().split("\n") if single else []
        if len(keys) != len(ids):
            raise ValueError(f"index {self.spec.name}: {len(keys)} keys but {len(ids)} ids")
        self._ids = dict(zip(keys, ids, strict=True))
        others = orjson.loads(shared)
        self._ids.update(others)
        if self._sorted is not None:
            self._sorted = SortedList(keys + list(others))  # two sorted runs: merged, not sorted from scratch

    def clear(self) -> None:
        self._ids.clear()
        if self._sorted is not None:
            self._sorted.clear()
