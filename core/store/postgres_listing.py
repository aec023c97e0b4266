"""Listings of the PostgreSQL store read a page at a time, by the sort key of the rows a statement gives (keyset),
so that no read holds a table's ids however far down the list it is."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from core.store.conditions import Windows

PAGE = 200  # rows a listing reads at a time
PAGES_HELD = 500
REPEATS = 4  # rows read for each document wanted where a document may come up under several keys

Run = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]
Sql = tuple[str, tuple[Any, ...]]


def walked(order: int, where: Sql | None) -> Sql:
    """The rows of the order index numbered ``order`` (the documents matching ``where``), as a listing reads
    them."""
    condition, params = where or ("TRUE", ())
    return f"SELECT o.key, o.id FROM index_keys o WHERE o.idx = %s AND {condition}", (order, *params)


class KeysetListing(Windows):
    """A listing read a page at a time from ``source``'s rows (a sort key and an id; with ``repeats``, a document
    may come up more than once) in their order: the page after one already read starts past its last key, the one
    before ends before its first, so moving through the list costs a page however far down it is. A jump (the last
    line, a scrollbar dragged) starts from the nearer end. The number of matches is known when it is cheap to count
    (no condition), once counted from ``matches`` (rows with the ids matching), or once the last page is read."""

    def __init__(self, run: Run, source: Sql, total: int | None, matches: Sql | None = None, *,
                 repeats: bool = False, first: list[tuple[str, int]] | None = None):
        self._run, self._source, self._total, self._matches, self._repeats = run, source, total, matches, repeats
        self._pages: OrderedDict[int, list[tuple[str, int]]] = OrderedDict()
        self._furthest = -1  # the last page read
        if first is not None:  # read already
            self._pages[0], self._furthest = first, 0

    @property
    def complete(self) -> bool:
        return self._total is not None

    def size(self) -> int:
        if self._total is not None:
            return self._total
        return (self._furthest + 2) * PAGE  # a page more than read so far: reading it finds more or the end

    def count(self, cap: int | None = None) -> int:
        """Counted from the matches' own keys (the order index is not walked); past ``cap``, ``cap + 1``."""
        if self._total is None and self._matches is not None:
            rows, params = self._matches
            limit = "" if cap is None else f" LIMIT {int(cap) + 1}"
            counted = int(self._run(f"SELECT count(*) FROM (SELECT id FROM ({rows}) r GROUP BY id{limit}) c",
                                    params)[0][0])
            if cap is None or counted <= cap:
                self._total = counted
            return counted
        assert self._total is not None
        return self._total

    def position(self, record_id: int) -> int | None:
        """Where ``record_id`` is (counting the rows before it: the further down, the slower), or None."""
        source, params = self._source
        rows = self._run(f"SELECT s.key FROM ({source}) s WHERE s.id = %s LIMIT 1", (*params, record_id))
        if not rows:
            return None
        before = self._run(f"SELECT count(DISTINCT s.id) FROM ({source}) s WHERE (s.key, s.id) < (%s, %s)",
                           (*params, rows[0][0], record_id))
        return int(before[0][0])

    def window(self, start: int, stop: int) -> list[int]:
        if self._total is not None:
            stop = min(stop, self._total)
        found: list[int] = []
        page = max(start, 0) // PAGE
        while page * PAGE < stop:
            rows = self._page(page)
            first = page * PAGE
            found += [row[1] for row in rows[max(start - first, 0):stop - first]]
            if len(rows) < PAGE:
                break
            page += 1
        return found

    def _page(self, page: int) -> list[tuple[str, int]]:
        held = self._pages.get(page)
        if held is not None:
            self._pages.move_to_end(page)
            return held
        before, after = self._pages.get(page - 1), self._pages.get(page + 1)
        if before is not None and len(before) == PAGE:
            rows = self._read(after=before[-1])
        elif after is not None:
            rows = self._read(before=after[0])
        elif self._total is not None and page * PAGE > self._total - page * PAGE:
            last = min(self._total, (page + 1) * PAGE)
            rows = self._read(from_end=self._total - last, count=last - page * PAGE)
        else:
            rows = self._read(skip=page * PAGE)
        if len(rows) < PAGE and not (after is not None or self._total is not None):
            self._total = page * PAGE + len(rows)  # read to the end
        self._furthest = max(self._furthest, page)
        self._pages[page] = rows
        while len(self._pages) > PAGES_HELD:
            self._pages.popitem(last=False)
        return rows

    def _read(self, *, after: tuple[str, int] | None = None, before: tuple[str, int] | None = None,
              skip: int = 0, from_end: int | None = None, count: int | None = None) -> list[tuple[str, int]]:
        wanted = PAGE if count is None else count
        descending = before is not None or from_end is not None
        offset = from_end if from_end is not None else skip
        if self._repeats:  # a document's rows come together, by its key: read on past them (and through an offset)
            rows = self._distinct(after, before, descending, offset + wanted)[offset:]
        else:
            rows = self._query(after, before, descending, wanted, offset)
        return rows[::-1] if descending else rows

    def _distinct(self, after: tuple[str, int] | None, before: tuple[str, int] | None, descending: bool,
                  wanted: int) -> list[tuple[str, int]]:
        found: list[tuple[str, int]] = []
        while len(found) < wanted:
            asked = REPEATS * (wanted - len(found))  # a read costs about the same for a few rows more
            rows = self._query(after, before, descending, asked, 0)
            for row in rows:
                if not found or found[-1] != row:
                    found.append(row)
            if len(rows) < asked:
                break
            after, before = (after, rows[-1]) if descending else (rows[-1], before)
        return found[:wanted]

    def _query(self, after: tuple[str, int] | None, before: tuple[str, int] | None, descending: bool, limit: int,
               offset: int) -> list[tuple[str, int]]:
        source, params = self._source
        sql, args = f"SELECT s.key, s.id FROM ({source}) s WHERE TRUE", params
        if after is not None:
            sql, args = sql + " AND (s.key, s.id) > (%s, %s)", (*args, *after)
        if before is not None:
            sql, args = sql + " AND (s.key, s.id) < (%s, %s)", (*args, *before)
        sql += " ORDER BY s.key DESC, s.id DESC" if descending else " ORDER BY s.key, s.id"
        return [(row[0], row[1]) for row in self._run(f"{sql} LIMIT %s OFFSET %s", (*args, limit, offset))]
