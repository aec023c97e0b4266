"""In-memory secondary indexes: key → document ids, optionally with keys kept sorted for prefix search."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sortedcontainers import SortedList

KeysOf = Callable[[dict], Iterable[str]]


@dataclass(frozen=True)
class IndexSpec:
    """``keys`` maps a document to its index keys; ``ordered`` keeps keys sorted so prefixes can be searched."""

    name: str
    table: str
    keys: KeysOf
    ordered: bool = False


class Index:
    """Most keys belong to one document, so a single id is stored bare and only shared keys get a set."""

    def __init__(self, spec: IndexSpec):
        self.spec = spec
        self._ids: dict[str, int | set[int]] = {}
        self._sorted: SortedList | None = SortedList() if spec.ordered else None

    def add(self, doc_id: int, keys: Iterable[str]) -> None:
        for key in keys:
            held = self._ids.get(key)
            if held is None:
                self._ids[key] = doc_id
                if self._sorted is not None:
                    self._sorted.add(key)
            elif isinstance(held, set):
                held.add(doc_id)
            elif held != doc_id:
                self._ids[key] = {held, doc_id}

    def discard(self, doc_id: int, keys: Iterable[str]) -> None:
        for key in keys:
            held = self._ids.get(key)
            if held is None:
                continue
            if isinstance(held, set):
                held.discard(doc_id)
                if len(held) == 1:
                    self._ids[key] = next(iter(held))
            elif held == doc_id:
                del self._ids[key]
                if self._sorted is not None:
                    self._sorted.remove(key)

    def get(self, key: str) -> set[int]:
        held = self._ids.get(key)
        if held is None:
            return set()
        return set(held) if isinstance(held, set) else {held}

    def keys_with_prefix(self, prefix: str) -> Iterator[str]:
        if self._sorted is None:
            raise TypeError(f"index {self.spec.name} is not ordered; prefix search needs ordered=True")
        return self._sorted.irange(prefix, prefix + "\U0010ffff", inclusive=(True, False))

    def ids_with_prefix(self, prefix: str) -> set[int]:
        found: set[int] = set()
        for key in self.keys_with_prefix(prefix):
            held = self._ids[key]
            if isinstance(held, set):
                found |= held
            else:
                found.add(held)
        return found

    def clear(self) -> None:
        self._ids.clear()
        if self._sorted is not None:
            self._sorted.clear()

    def shared(self) -> Iterator[tuple[str, set[int]]]:
        """Keys that more than one document has, with those documents' ids."""
        for key, held in list(self._ids.items()):
            if isinstance(held, set) and len(held) > 1:
                yield key, set(held)

    def contents(self) -> dict[str, frozenset[int]]:
        """Every key with its ids (for checking an index against a full scan)."""
        return {k: frozenset(v) if isinstance(v, set) else frozenset((v,)) for k, v in self._ids.items()}
