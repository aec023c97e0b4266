"""What a list or a search asks a store for: conditions on index keys, which each store answers its own way (the
embedded one with sets of ids, PostgreSQL with indexed SQL), and listings of the matches in an index's order that a
front end pages through without holding every id."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Key:
    """Documents with ``key`` in ``index``."""

    index: str
    key: str


@dataclass(frozen=True)
class Prefix:
    """Documents with a key starting ``prefix`` in ``index`` (an ordered one)."""

    index: str
    prefix: str


def linked_key(record_id: int) -> str:
    """How an index holds the id of a document that another links to (a contact's organization)."""
    return str(record_id)


@dataclass(frozen=True)
class Linked:
    """Documents whose key in ``index`` is the ``linked_key`` of a document matching ``target`` (a contact through
    its organization)."""

    index: str
    target: Condition


@dataclass(frozen=True)
class Ids:
    """These ids, as given (whether documents have them is for the rest of a condition to say)."""

    ids: frozenset[int]


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


Condition = Key | Prefix | Linked | Ids | All | AnyOf


def both(first: Condition | None, second: Condition | None) -> Condition | None:
    """Documents matching both (None: no condition, everything)."""
    if first is None or second is None:
        return first or second
    return All((first, second))


class Listing(Protocol):
    """Ids in an index's order, read a window at a time. ``complete``: ``size()`` is the number of matches; until
    it is, ``size()`` is a guess that grows as windows further on are read, and ``count()`` works it out (reading
    every match's key: slow at millions, so it can stop past a ``cap`` and say ``cap + 1``)."""

    @property
    def complete(self) -> bool: ...
    def size(self) -> int: ...
    def window(self, start: int, stop: int) -> list[int]: ...
    def count(self, cap: int | None = None) -> int: ...
    def position(self, record_id: int) -> int | None: ...
    def chunks(self, size: int) -> Iterator[list[int]]: ...


class Windows(ABC):
    """What every listing does with its windows."""

    @abstractmethod
    def window(self, start: int, stop: int) -> list[int]: ...

    def chunks(self, size: int) -> Iterator[list[int]]:
        """Every id, ``size`` at a time (an export's way through millions)."""
        start = 0
        while chunk := self.window(start, start + size):
            yield chunk
            start += len(chunk)


class ListedIds(Windows):
    """A listing held whole: the embedded store's, and a server store's when few documents match."""

    complete = True

    def __init__(self, ids: list[int]):
        self._ids = ids

    def size(self) -> int:
        return len(self._ids)

    def count(self, cap: int | None = None) -> int:
        return len(self._ids)

    def position(self, record_id: int) -> int | None:
        return self._ids.index(record_id) if record_id in self._ids else None

    def window(self, start: int, stop: int) -> list[int]:
        return self._ids[max(start, 0):max(stop, 0)]


class SetEvaluator:
    """A condition as a set of ids, from an index's ``find`` and ``find_prefix`` (the embedded store's way).

    Results of parts other than ``Ids`` are kept until ``revision`` moves: typing "o'brien" a key at a time asks
    for the words "o" and "br" again and again, and a one-letter word can match every record. Bounded by the ids it
    holds; the sets it returns are not to be changed."""

    def __init__(self, find: Callable[[str, str], set[int]], find_prefix: Callable[[str, str], set[int]],
                 revision: Callable[[], int], budget: int = 500_000):
        self._find, self._find_prefix, self._revision = find, find_prefix, revision
        self._budget, self._size, self._seen = budget, 0, -1
        self._held: OrderedDict[Condition, set[int]] = OrderedDict()
        self._lock = threading.Lock()

    def ids(self, condition: Condition) -> set[int]:
        if isinstance(condition, Ids):
            return set(condition.ids)
        if isinstance(condition, Key):
            return self._find(condition.index, condition.key)
        with self._lock:
            if self._revision() != self._seen:
                self._held.clear()
                self._size, self._seen = 0, self._revision()
            found = self._held.get(condition)
            if found is not None:
                self._held.move_to_end(condition)
                return found
        found = self._evaluate(condition)
        with self._lock:
            if len(found) <= self._budget and condition not in self._held:
                self._held[condition] = found
                self._size += len(found)
                while self._size > self._budget:
                    self._size -= len(self._held.popitem(last=False)[1])
        return found

    def _evaluate(self, condition: Condition) -> set[int]:
        if isinstance(condition, Prefix):
            return self._find_prefix(condition.index, condition.prefix)
        if isinstance(condition, Linked):
            found: set[int] = set()
            for target in self.ids(condition.target):
                found |= self._find(condition.index, linked_key(target))
            return found
        if isinstance(condition, AnyOf):
            return set().union(*(self.ids(part) for part in condition.parts))
        assert isinstance(condition, All)
        parts = sorted(condition.parts, key=lambda p: not isinstance(p, Ids))  # given ids narrow fastest
        found = set(self.ids(parts[0])) if parts else set()
        for part in parts[1:]:
            if not found:
                break
            found &= self.ids(part)
        return found
