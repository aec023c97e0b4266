"""Conditions (``core.store.conditions``) as SQL over the PostgreSQL store's ``index_keys`` table.

Matching (a search, capped): when some part of a condition matches no more than ``NARROW`` documents (a name, a
number, a division), those are fetched and the rest of the condition is checked on them alone; otherwise the first
matches found are read.

A listing (``postgres_listing``) is read one of two ways. Matches many and spread along the list (a page of them
within its first ``WALKED`` lines: a one-letter word, a tier) are found by walking the order index, each document
on the way checked by index probes. Otherwise they come from the rows of the keys they matched, which carry their
document's sort key: the 180,000 key rows of a common name are put in name order (top-N) without visiting the
documents or the order index; several words are driven by the one expected to have the fewest rows."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping

from core.store import postgres_listing as listings
from core.store.conditions import All, AnyOf, Condition, Ids, Key, Linked, Listing, Prefix, linked_key
from core.store.postgres_listing import KeysetListing, Run, Sql, walked

NARROW = 100_000  # a part of a condition matching this many documents or fewer is fetched whole when matching
PROBED = 5000  # documents few enough to check the rest of a condition on one by one
WALKED = 1600  # a listing walks the order index if a page of matches is within this many of its first lines
LINKED = 1000  # linked records matching no more than this are looked up by their ids


def like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


Codes = Mapping[str, int]  # an index's name → the number its key rows name it by


def _leaf(condition: Key | Prefix, codes: Codes, alias: str = "") -> Sql:
    if isinstance(condition, Key):
        return f"{alias}idx = %s AND {alias}key = %s", (codes[condition.index], condition.key)
    return f"{alias}idx = %s AND {alias}key LIKE %s", (codes[condition.index], like(condition.prefix))


def _linked_keys(targets: Iterable[int]) -> list[str]:
    return [linked_key(i) for i in targets]


def _linked(condition: Linked, codes: Codes, columns: str) -> Sql:
    """``columns`` of the rows of ``condition.index`` whose key names a document matching its target."""
    if isinstance(condition.target, Ids):
        return (f"SELECT {columns} FROM index_keys l WHERE l.idx = %s AND l.key = ANY(%s::text[])",
                (codes[condition.index], _linked_keys(condition.target.ids)))
    target, params = key_rows(condition.target, codes)
    return (f"SELECT {columns} FROM index_keys l WHERE l.idx = %s AND l.key IN (SELECT t.id::text FROM ({target}) t)",
            (codes[condition.index], *params))


def _probe(alias: str, id_sql: str, where: str, probed: bool) -> str:
    if not probed:
        return f"EXISTS (SELECT 1 FROM index_keys {alias} WHERE {alias}.id = {id_sql} AND {where})"
    # OFFSET 0 keeps the planner from turning the probe into a join, and "id >= 0" (the outer row mentioned once
    # more) from hashing it: either reads every matching key first (seconds for a one-letter word at millions of
    # records) where a listing checks a few hundred documents.
    return (f"EXISTS (SELECT 1 FROM index_keys {alias} WHERE {alias}.id = {id_sql} AND {id_sql} >= 0 AND {where} "
            "OFFSET 0)")


def predicate(condition: Condition, id_sql: str, codes: Codes, aliases: itertools.count | None = None, *,
              probed: bool = True) -> Sql:
    """SQL true for the document whose id is ``id_sql`` if it matches: index probes by id (``index_keys_by_id``),
    or, not ``probed``, whatever the planner makes of them (a join, when every matching document is wanted)."""
    aliases = aliases if aliases is not None else itertools.count()
    if isinstance(condition, Ids):
        return f"{id_sql} = ANY(%s)", (list(condition.ids),)
    if isinstance(condition, (Key, Prefix)):
        alias = f"p{next(aliases)}"
        where, params = _leaf(condition, codes, f"{alias}.")
        return _probe(alias, id_sql, where, probed), params
    if isinstance(condition, Linked):
        alias = f"p{next(aliases)}"
        if isinstance(condition.target, Ids):
            # compared as an expression, the document's one link is checked against the ids; as the key column,
            # the index would be searched once for each id
            inner, params = f"{alias}.key || '' = ANY(%s::text[])", (_linked_keys(condition.target.ids),)
        else:
            inner, params = predicate(condition.target, f"{alias}.key::bigint", codes, aliases, probed=probed)
        return _probe(alias, id_sql, f"{alias}.idx = %s AND {inner}", probed), (codes[condition.index], *params)
    joiner = " AND " if isinstance(condition, All) else " OR "
    parts = [predicate(part, id_sql, codes, aliases, probed=probed) for part in condition.parts]
    if not parts:
        return ("TRUE" if isinstance(condition, All) else "FALSE"), ()
    return "(" + joiner.join(sql for sql, _ in parts) + ")", tuple(p for _, params in parts for p in params)


def key_rows(condition: Condition, codes: Codes, order: str | None = None, *, first: int | None = None) -> Sql:
    """A statement giving the ids matching ``condition`` (some more than once), or, given the ``order`` index,
    each with its sort key there (as ``key``), read from the rows of the keys matched, which carry it. ``All`` is
    driven by its first part, the others checked on its rows: by index probes for ids (a capped count, a few
    wanted); for an order, as the planner chooses (every match is sorted for a page; hashing the others' keys is
    faster than a probe per row while they are few), or by probes on the ``first`` rows of the first part in order
    alone, as they are read (the start of the matches: where most of those rows match, a page in a few hundred)."""
    def columns(alias: str = "") -> str:
        return f"{alias}id" if order is None else f"{alias}sort AS key, {alias}id"

    if isinstance(condition, Ids):
        if order is None:
            return "SELECT unnest(%s::bigint[]) AS id", (list(condition.ids),)
        return ("SELECT key, id FROM index_keys WHERE idx = %s AND id = ANY(%s::bigint[])",
                (codes[order], list(condition.ids)))
    if isinstance(condition, (Key, Prefix)):
        where, params = _leaf(condition, codes)
        return f"SELECT {columns()} FROM index_keys WHERE {where}", params
    if isinstance(condition, Linked):
        return _linked(condition, codes, columns("l."))
    if isinstance(condition, AnyOf):
        nothing = "NULL::bigint AS id" if order is None else "NULL AS key, NULL::bigint AS id"
        parts = [key_rows(part, codes, order) for part in condition.parts] or [(f"SELECT {nothing} WHERE FALSE", ())]
        return " UNION ALL ".join(f"({sql})" for sql, _ in parts), tuple(p for _, ps in parts for p in ps)
    if not condition.parts:  # all of nothing: every document, as the order index lists them
        if order is None:
            raise ValueError("all of nothing is every document: ask for them in an order")
        return "SELECT key, id FROM index_keys WHERE idx = %s", (codes[order],)
    driver, params = key_rows(condition.parts[0], codes, order)
    if order is not None and first is not None:
        driver = f"SELECT * FROM ({driver}) r ORDER BY r.key, r.id LIMIT {int(first)}"
    where, more = predicate(All(condition.parts[1:]), "d.id", codes, probed=order is None or first is not None)
    return f"SELECT {'d.id' if order is None else 'd.key, d.id'} FROM ({driver}) d WHERE {where}", (*params, *more)


def flattened(condition: Condition) -> Condition:
    """``condition`` with the parts of an ``All`` that are ``All`` themselves taken in as its own: the words of a
    search and what one may see are parts alike."""
    if not isinstance(condition, All):
        return condition
    return All(tuple(part for inner in map(flattened, condition.parts)
                     for part in (inner.parts if isinstance(inner, All) else (inner,))))


class Evaluator:
    """Answers conditions through ``run`` (a statement and its parameters → rows)."""

    def __init__(self, run: Run, codes: Codes):
        self._run, self._codes = run, codes

    def narrow(self, condition: Condition, cap: int | None = None, wanted: int | None = None) -> set[int] | None:
        """The ids matching ``condition`` if a part of it that must hold matches ``cap`` (``NARROW``) or fewer;
        else None. Given ``wanted``, once more than that many match, ``wanted + 1`` of them are enough."""
        cap = NARROW if cap is None else cap
        if isinstance(condition, Ids):
            return set(condition.ids) if len(condition.ids) <= cap else None
        if isinstance(condition, (Key, Prefix)):
            # a document has a key once, but a prefix may match several of its keys ("smith" and "smith12@…")
            limit = cap + 1 if isinstance(condition, Key) else 2 * cap + 1
            where, params = _leaf(condition, self._codes)
            rows = self._run(f"SELECT id FROM index_keys WHERE {where} LIMIT %s", (*params, limit))
            keyed = {row[0] for row in rows}
            return keyed if len(rows) < limit and len(keyed) <= cap else None
        if isinstance(condition, Linked):
            targets = self.narrow(condition.target, cap)
            if targets is None:
                return None
            rows = self._run("SELECT id FROM index_keys WHERE idx = %s AND key = ANY(%s) LIMIT %s",
                             (self._codes[condition.index], _linked_keys(targets), cap + 1))
            return {row[0] for row in rows} if len(rows) <= cap else None
        if isinstance(condition, AnyOf):
            either: set[int] = set()
            for part in condition.parts:
                ids = self.narrow(part, cap)
                if ids is None:
                    return None
                either |= ids
            return either if len(either) <= cap else None
        found: set[int] | None = None
        checked: list[Condition] = []  # parts checked on the documents found, one by one
        for part in sorted(condition.parts, key=lambda p: not isinstance(p, Ids)):
            ids = None if found is not None and len(found) <= PROBED else self.narrow(part, cap)
            if ids is None:
                checked.append(part)
            else:
                found = ids if found is None else found & ids  # two common names together: a hash each
        if found is None:
            return None
        return self.among(All(tuple(checked)), found, wanted) if checked else found

    def among(self, condition: Condition, ids: set[int], wanted: int | None = None) -> set[int]:
        """Those of ``ids`` that match ``condition`` (given ``wanted``, no more than ``wanted + 1`` of them: a broad
        search needs only to know it is broad; at a million contacts, checking all 91,000 O'Briens for a word starting
        "o" made a search for "o'brien" take 0.7–0.9 s, 0.3 s stopping at the 1,001st)."""
        if not ids or (isinstance(condition, All) and not condition.parts):
            return set(ids)
        where, params = predicate(condition, "i.id", self._codes)
        limit = "" if wanted is None else f" LIMIT {int(wanted) + 1}"
        rows = self._run(f"SELECT i.id FROM unnest(%s::bigint[]) AS i(id) WHERE {where}{limit}",
                         (list(ids), *params))
        return {row[0] for row in rows}

    def matching(self, condition: Condition, cap: int | None) -> set[int]:
        """Every id matching ``condition``, or (when it is broad) at least ``cap + 1`` of them once more than
        ``cap`` match."""
        condition = flattened(condition)
        if cap is not None and not isinstance(condition, All):  # its first rows say whether it is broad
            return self._first(condition, cap)
        found = self.narrow(condition, NARROW if cap is None else max(cap, NARROW), cap)
        return found if found is not None else self._first(condition, cap)

    def _first(self, condition: Condition, cap: int | None) -> set[int]:
        """Every id matching ``condition``, or the first ``cap + 1`` found."""
        rows_sql, params = key_rows(condition, self._codes)
        limit = None if cap is None else 2 * (cap + 1)
        while True:
            sql = rows_sql if limit is None else f"{rows_sql} LIMIT {limit}"
            rows = self._run(sql, params)
            found = {row[0] for row in rows}
            if limit is None or cap is None or len(found) > cap or len(rows) < limit:
                return found
            limit *= 4  # the same documents came up under several keys: read further

    def resolved(self, condition: Condition) -> Condition:
        """``condition`` with what a linked record must match replaced by the ids of the few that do (a word
        matches a handful of organizations, not the million contacts that probes would check it for), and with
        what matches nothing left out."""
        if isinstance(condition, Linked):
            targets = self.narrow(condition.target, LINKED)
            if targets is None:
                return condition
            return Linked(condition.index, Ids(frozenset(targets))) if targets else AnyOf(())
        if isinstance(condition, AnyOf):
            parts = tuple(part for part in map(self.resolved, condition.parts) if part != AnyOf(()))
            return parts[0] if len(parts) == 1 else AnyOf(parts)
        if isinstance(condition, All):
            return flattened(All(tuple(map(self.resolved, condition.parts))))
        return condition

    def listing(self, order: str, condition: Condition | None, total: Callable[[], int]) -> Listing:
        if condition is None:
            return KeysetListing(self._run, walked(self._codes[order], None), total())
        condition = self.resolved(condition)
        where, params = predicate(condition, "o.id", self._codes)
        first = self._run(f"SELECT o.key, o.id FROM (SELECT key, id FROM index_keys WHERE idx = %s ORDER BY key, id "
                          f"LIMIT {WALKED}) o WHERE {where} ORDER BY o.key, o.id LIMIT {listings.PAGE}",
                          (self._codes[order], *params))
        if len(first) == listings.PAGE:  # many matches spread along the list: walking it finds each page at once
            return KeysetListing(self._run, walked(self._codes[order], (where, params)), None,
                                 key_rows(condition, self._codes),
                                 first=[(key, record_id) for key, record_id in first])
        # Otherwise the matches' own key rows are put in order, however many: at three million contacts, walking
        # to a common surname's sparse matches, or intersecting two common words whole, took 10–25 s where this
        # takes about a second.
        driven, passing = self._driven(condition, total())
        matches = key_rows(driven, self._codes, order)
        start = self._start(order, driven) if passing * PROBED >= listings.PAGE else None
        listing = KeysetListing(self._run, matches, None, matches, repeats=True, first=start)
        if start is None:
            listing.window(0, listings.PAGE)  # wanted next anyway; if short, the listing is complete (counted)
        return listing

    def _driven(self, condition: Condition, total: int) -> tuple[Condition, float]:
        """``condition``, an ``All`` driven by the part the planner expects fewest keys of (expected, not counted:
        counting a common word's keys takes as long as ordering them), and the share of that part's rows the others
        are expected to pass."""
        if not isinstance(condition, All) or len(condition.parts) < 2:
            return condition, 1.0
        expected = [(self._expected(key_rows(part, self._codes)), part) for part in condition.parts]
        fewest = min(expected, key=lambda guess: guess[0])[1]
        passing = math.prod(min(rows / max(total, 1), 1.0) for rows, part in expected if part is not fewest)
        return All((fewest, *(part for part in condition.parts if part is not fewest))), passing

    def _start(self, order: str, driven: Condition) -> list[tuple[str, int]] | None:
        """The first page of matches, if it is among the first ``PROBED`` rows of the driving part in order: those
        are found by a top-N of its rows and a probe each for the others, stopping when the page is full ("o'brien":
        every O'Brien has a word starting "o"); putting all ninety thousand in order first took 0.2 s."""
        if not isinstance(driven, All) or len(driven.parts) < 2:
            return None
        sql, params = key_rows(driven, self._codes, order, first=PROBED)
        rows = self._run(f"SELECT s.key, s.id FROM ({sql}) s ORDER BY s.key, s.id "
                         f"LIMIT {listings.REPEATS * listings.PAGE}", params)
        page: list[tuple[str, int]] = []
        for key, record_id in rows:
            if not page or page[-1] != (key, record_id):  # a document's keys matched come together
                page.append((key, record_id))
        return page[:listings.PAGE] if len(page) >= listings.PAGE else None

    def _expected(self, statement: Sql) -> float:
        """How many rows the planner expects ``statement`` to give (its estimate: a millisecond, however many)."""
        sql, params = statement
        return float(self._run(f"EXPLAIN (FORMAT JSON) {sql}", params)[0][0][0]["Plan"]["Plan Rows"])
