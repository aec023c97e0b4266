"""The PostgreSQL store: the same ``Repository`` as the embedded one, for directories many processes on many machines
share. Documents are rows of JSON; the lookup keys of ``core.indexes`` are rows of their own, indexed (prefixes
too), computed by the same functions as the embedded store's so both answer alike. Writes run in database
transactions that take one advisory lock, so the service's read-check-write steps (a version check, an id) hold
as they do under the embedded store's write lock; every commit moves a revision counter that other processes
watch.

Documents are kept as ``json`` (not ``jsonb``) so they come back exactly as written, keys in their order: a
backup of either store is the same bytes.

The schema is the project's own, versioned (``postgres_schema``): made when missing, upgraded step by step, and a
database newer than this program is refused by name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Json

from core.errors import StoreError
from core.stopping import Stop
from core.store.conditions import Condition, Listing
from core.store.indexes import IndexSpec
from core.store.postgres_connections import Connections
from core.store.postgres_query import Evaluator, like
from core.store.postgres_schema import FILLED, KEYS_PRIMARY, MIGRATIONS, SCHEMA_VERSION


class PostgresRepository:
    def __init__(self, url: str, indexes: Iterable[IndexSpec]):
        self._connections = Connections(url)
        self._specs: dict[str, list[IndexSpec]] = {}
        self._tables: dict[str, str] = {}  # index → its table
        self._sort_keys: dict[str, IndexSpec] = {}  # table → the index of its documents' sort keys
        for spec in indexes:
            self._specs.setdefault(spec.table, []).append(spec)
            self._tables[spec.name] = spec.table
            if spec.sort_key:
                self._sort_keys[spec.table] = spec
        self._codes: dict[str, int] = {}  # index → the number its key rows name it by
        self._counted: list[int] = []  # the numbers of the indexes whose keys' documents are counted
        try:
            self._migrate()
        except BaseException:  # a database this program refuses: its pool's threads must not outlive the refusal
            self._connections.close()
            raise
        self._names = {code: name for name, code in self._codes.items()}
        self._conditions = Evaluator(self._all, self._codes)
        self._seen = self.revision()

    # ---- schema

    def _migrate(self) -> None:
        with self.transaction():
            exists = self._one("SELECT to_regclass('contacts_schema') IS NOT NULL")
            version = self._one("SELECT max(version) FROM contacts_schema") if exists else 0
            if version is not None and version > SCHEMA_VERSION:
                raise StoreError(f"this database holds a Contacts directory of schema version {version}, newer than "
                                 f"this program knows ({SCHEMA_VERSION}): upgrade Contacts before opening it")
            sort_indexes = [self._sort_keys[table].name if table in self._sort_keys else None
                            for table in self._tables.values()]
            counted = [spec.name for specs in self._specs.values() for spec in specs if spec.counted]
            names = {"indexes": list(self._tables), "sort_indexes": sort_indexes, "counted": counted}
            steps = range((version or 0) + 1, SCHEMA_VERSION + 1)
            for step in steps:
                for statement in MIGRATIONS[step]:
                    self._execute(statement, names if "%(" in statement else ())
                self._execute("INSERT INTO contacts_schema VALUES (%s)", (step,))
            self._codes.update(self._all("SELECT name, code FROM key_indexes"))
            if new := [name for name in self._tables if name not in self._codes]:  # numbered after the others
                self._codes.update(self._execute(
                    "INSERT INTO key_indexes SELECT (SELECT coalesce(max(code), 0) FROM key_indexes) "
                    "+ row_number() OVER (ORDER BY name), name FROM unnest(%s::text[]) n(name) RETURNING name, code",
                    (new,)))
            self._counted = [self._codes[name] for name in counted]
            for name in (name for step in steps for name in FILLED.get(step, ())):
                self._fill(name)

    def _fill(self, index: str) -> None:
        """Key rows of ``index`` for the documents already stored (none has them yet)."""
        table = self._tables[index]
        specs = [spec for spec in self._specs[table] if spec.name == index]
        after = 0
        while chunk := self.ids_after(table, after, 5000):
            with self._connections.flushed().cursor() as cursor:
                self._copy_keys(cursor, table, self.get_many(table, chunk).items(), specs)
            after = chunk[-1]

    # ---- transactions

    @contextmanager
    def transaction(self, *, optimistic: bool = False) -> Iterator[None]:
        """All or nothing; nested calls join the outer one. ``optimistic`` is accepted for the interface: the
        database keeps readers unblocked already, and writers take turns on one lock."""
        with self._connections.transaction(read_only=False):
            yield

    @contextmanager
    def filling(self) -> Iterator[None]:
        """One transaction that fills a store (a migration, a first load): the key indexes are built once at its
        end, many times faster than keeping them up to date row by row. Others wait for it to end (what it fills
        is not to be read half-filled)."""
        with self.transaction():
            self._execute("SET LOCAL maintenance_work_mem = '512MB'")
            self._execute("ALTER TABLE index_keys DROP CONSTRAINT index_keys_pkey")
            self._execute("DROP INDEX index_keys_by_id")
            yield
            self._execute(f"ALTER TABLE index_keys ADD {KEYS_PRIMARY}")
            self._execute("CREATE INDEX index_keys_by_id ON index_keys (id, idx, key)")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Several reads on one snapshot of the database."""
        with self._connections.transaction(read_only=True):
            yield

    def stoppable(self, stop: Stop) -> AbstractContextManager[None]:
        return self._connections.stoppable(stop)

    # ---- documents

    def get(self, table: str, record_id: int) -> dict | None:
        return self._one("SELECT doc FROM documents WHERE tbl = %s AND id = %s", (table, record_id))

    def get_many(self, table: str, record_ids: Iterable[int]) -> dict[int, dict]:
        wanted = list(record_ids)
        rows = self._all("SELECT id, doc FROM documents WHERE tbl = %s AND id = ANY(%s)", (table, wanted))
        found = dict(rows)
        return {i: found[i] for i in wanted if i in found}

    def insert(self, table: str, document: dict, record_id: int | None = None) -> int:
        """One statement: the id, the document, its keys and the table's count (a round trip is most of a write's
        time)."""
        with self.transaction():
            if record_id is not None and self.get(table, record_id) is not None:
                raise StoreError(f"{table} {record_id} exists already")
            stored = self._execute(*self._inserting(table, document, record_id))
        return int(stored[0][0])

    def append(self, table: str, document: dict) -> None:
        """``insert`` sent with the transaction's next statement (its commit, for an audit entry)."""
        with self.transaction():
            self._later(*self._inserting(table, document, None))

    def _inserting(self, table: str, document: dict, record_id: int | None) -> tuple[str, dict[str, Any]]:
        codes, keys = self._key_columns(table, document)
        numbered = ("INSERT INTO id_counters VALUES (%(table)s, 1) ON CONFLICT (tbl) DO UPDATE SET "
                    "last = id_counters.last + 1 RETURNING last" if record_id is None else
                    "INSERT INTO id_counters VALUES (%(table)s, %(id)s) ON CONFLICT (tbl) DO UPDATE SET "
                    "last = greatest(id_counters.last, excluded.last) RETURNING %(id)s::bigint AS last")
        return (f"WITH numbered AS ({numbered}), "
                "stored AS (INSERT INTO documents SELECT %(table)s, last, %(doc)s FROM numbered RETURNING id), "
                "counted AS (INSERT INTO document_counts VALUES (%(table)s, 1) ON CONFLICT (tbl) DO UPDATE SET "
                "n = document_counts.n + 1), "
                "keyed AS (INSERT INTO index_keys (idx, key, id, sort) SELECT k.idx, k.key, stored.id, %(sort)s "
                "FROM stored, unnest(%(codes)s::smallint[], %(keys)s::text[]) AS k(idx, key) RETURNING idx, key), "
                f"key_counted AS ({_COUNTED_IN.format(rows='keyed')}) "
                "SELECT id FROM stored",
                {"table": table, "id": record_id, "doc": Json(document, dumps=_json), "codes": codes, "keys": keys,
                 "sort": self._sort_key(table, document), "counted": self._counted})

    def replace(self, table: str, record_id: int, document: dict) -> None:
        """Sent with the transaction's next statement: nothing waits for its result."""
        codes, keys = self._key_columns(table, document)
        with self.transaction():
            self._later(
                "WITH changed AS (UPDATE documents SET doc = %(doc)s WHERE tbl = %(table)s AND id = %(id)s RETURNING id), "
                "kept AS (SELECT * FROM unnest(%(codes)s::smallint[], %(keys)s::text[]) AS k(idx, key)), "
                "gone AS (DELETE FROM index_keys WHERE id = %(id)s AND idx = ANY(%(indexes)s::smallint[]) "
                "AND (idx, key) NOT IN (SELECT idx, key FROM kept) RETURNING idx, key), "
                "resorted AS (UPDATE index_keys SET sort = %(sort)s WHERE id = %(id)s AND idx = ANY(%(indexes)s::smallint[]) "
                "AND (idx, key) IN (SELECT idx, key FROM kept) AND sort IS DISTINCT FROM %(sort)s), "
                "added AS (INSERT INTO index_keys (idx, key, id, sort) SELECT kept.idx, kept.key, changed.id, %(sort)s "
                "FROM changed, kept ON CONFLICT DO NOTHING RETURNING idx, key), "
                f"key_uncounted AS ({_UNCOUNTED_IN.format(rows='gone')}), "
                f"key_counted AS ({_COUNTED_IN.format(rows='added')}) "
                "SELECT 1",
                {"table": table, "id": record_id, "doc": Json(document, dumps=_json), "codes": codes, "keys": keys,
                 "indexes": self._index_codes(table), "sort": self._sort_key(table, document),
                 "counted": self._counted})

    def remove(self, table: str, record_id: int) -> None:
        with self.transaction():
            self._later(
                "WITH gone AS (DELETE FROM documents WHERE tbl = %(table)s AND id = %(id)s RETURNING id), "
                "counted AS (UPDATE document_counts SET n = n - 1 WHERE tbl = %(table)s AND EXISTS (SELECT FROM gone)), "
                "unkeyed AS (DELETE FROM index_keys WHERE id = %(id)s AND idx = ANY(%(indexes)s::smallint[]) "
                "RETURNING idx, key), "
                f"key_uncounted AS ({_UNCOUNTED_IN.format(rows='unkeyed')}) "
                "SELECT 1", {"table": table, "id": record_id, "indexes": self._index_codes(table),
                             "counted": self._counted})

    def load(self, table: str, documents: Iterable[tuple[int, dict]]) -> None:
        """Store many documents under their ids (none taken yet) at once: rows and keys go in by COPY."""
        items = list(documents)
        if not items:
            return
        with self.transaction(), self._refused(f"{table}: an id given is taken already"):
            held = self._connections.held()
            assert held is not None
            held.wrote = True
            # binary rows, made and sent as they are given: the server stores some while the next are made
            with self._connections.flushed().cursor() as cursor:
                with cursor.copy("COPY documents (tbl, id, doc) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(["text", "int8", "json"])
                    for i, d in items:
                        copy.write_row((table, i, Json(d, dumps=_json)))
                self._copy_keys(cursor, table, items)
            self._execute("INSERT INTO id_counters VALUES (%s, %s) ON CONFLICT (tbl) DO UPDATE SET "
                          "last = greatest(id_counters.last, excluded.last)", (table, max(i for i, _ in items)))
            self._execute("INSERT INTO document_counts VALUES (%s, %s) ON CONFLICT (tbl) DO UPDATE SET "
                          "n = document_counts.n + excluded.n", (table, len(items)))

    @contextmanager
    def _refused(self, reason: str) -> Iterator[None]:
        try:
            yield
        except psycopg.IntegrityError:
            raise StoreError(reason) from None

    def _copy_keys(self, cursor: psycopg.Cursor, table: str, items: Iterable[tuple[int, dict]],
                   specs: Iterable[IndexSpec] | None = None) -> None:
        """The key rows of ``items`` (id, document) in ``specs`` (default: every index of ``table``), by COPY."""
        tally: Counter[tuple[int, str]] = Counter()
        with cursor.copy("COPY index_keys (idx, key, id, sort) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int2", "text", "int8", "text"])
            for i, d in items:
                sort = self._sort_key(table, d)
                for code, key in self._keys(table, d, specs):
                    copy.write_row((code, key, i, sort))
                    if code in self._counted:
                        tally[code, key] += 1
        if tally:
            cursor.execute("INSERT INTO key_counts SELECT * FROM unnest(%s::smallint[], %s::text[], %s::bigint[]) "
                           "ON CONFLICT (idx, key) DO UPDATE SET n = key_counts.n + excluded.n",
                           ([code for code, _ in tally], [key for _, key in tally], list(tally.values())))

    def _keys(self, table: str, document: dict, specs: Iterable[IndexSpec] | None = None) -> set[tuple[int, str]]:
        return {(self._codes[spec.name], key) for spec in (self._specs.get(table, ()) if specs is None else specs)
                for key in spec.keys(document)}

    def _sort_key(self, table: str, document: dict) -> str | None:
        spec = self._sort_keys.get(table)
        return next(iter(spec.keys(document)), None) if spec is not None else None

    def _key_columns(self, table: str, document: dict) -> tuple[list[int], list[str]]:
        keys = self._keys(table, document)
        return [code for code, _ in keys], [key for _, key in keys]

    def _index_codes(self, table: str) -> list[int]:
        return [self._codes[spec.name] for spec in self._specs.get(table, ())]

    # ---- reading by id and by key

    def tables(self) -> list[str]:
        return [row[0] for row in self._all("SELECT DISTINCT tbl FROM documents ORDER BY tbl")]

    def ids(self, table: str) -> list[int]:
        return [row[0] for row in self._all("SELECT id FROM documents WHERE tbl = %s ORDER BY id", (table,))]

    def count(self, table: str) -> int:
        return int(self._one("SELECT n FROM document_counts WHERE tbl = %s", (table,)) or 0)

    def find(self, index: str, key: str) -> set[int]:
        return {row[0] for row in self._all("SELECT id FROM index_keys WHERE idx = %s AND key = %s",
                                            (self._codes[index], key))}

    def find_documents(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[int, dict]]:
        pairs = list(dict.fromkeys(wanted))
        return {pair: {} for pair in pairs} | self.find_first([pairs])

    def find_first(self, choices: Sequence[Sequence[tuple[str, str]]]) -> dict[tuple[str, str], dict[int, dict]]:
        """One statement (an agent's lookup is a round trip, keys and documents together); the server looks a
        choice up only if those before it found nothing (each lookup is index pages read, from disk at millions)."""
        asked = [(pair, number) for number, choice in enumerate(choices) for pair in dict.fromkeys(choice)]
        params = ([self._codes[index] for (index, _), _ in asked], [key for (_, key), _ in asked],
                  [self._tables[index] for (index, _), _ in asked], [number for _, number in asked], len(choices))
        rows = self._all("SELECT * FROM documents_first(%s::smallint[], %s::text[], %s::text[], %s::smallint[], "
                         "%s::smallint)", params)
        if not rows:
            return {}
        matched = {(self._names[code], key) for code, key, _, _ in rows}
        chosen = min(number for pair, number in asked if pair in matched)
        found: dict[tuple[str, str], dict[int, dict]] = {pair: {} for pair in choices[chosen]}
        for code, key, record_id, document in rows:
            found[(self._names[code], key)][record_id] = document
        return found

    def find_prefix(self, index: str, prefix: str) -> set[int]:
        return {row[0] for row in self._all("SELECT id FROM index_keys WHERE idx = %s AND key LIKE %s",
                                            (self._codes[index], like(prefix)))}

    def shared_keys(self, index: str) -> list[tuple[str, set[int]]]:
        rows = self._all("SELECT key, array_agg(id) FROM index_keys WHERE idx = %s GROUP BY key HAVING count(*) > 1 "
                         "ORDER BY key", (self._codes[index],))
        return [(key, set(ids)) for key, ids in rows]

    def ordered_keys(self, index: str, after: tuple[str, int] | None, limit: int) -> list[tuple[str, int]]:
        past = "AND (key, id) > (%s, %s) " if after is not None else ""
        rows = self._all(f"SELECT key, id FROM index_keys WHERE idx = %s {past}ORDER BY key, id LIMIT %s",
                         (self._codes[index], *(after or ()), limit))
        return [(key, record_id) for key, record_id in rows]

    def keys_of(self, index: str, record_ids: Iterable[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for record_id, key in self._all("SELECT id, key FROM index_keys WHERE id = ANY(%s) AND idx = %s ORDER BY key",
                                        (list(record_ids), self._codes[index])):
            found.setdefault(record_id, []).append(key)
        return found

    def count_key(self, index: str, key: str) -> int:
        code = self._codes[index]
        counting = ("SELECT n FROM key_counts WHERE idx = %s AND key = %s" if code in self._counted else
                    "SELECT count(*) FROM index_keys WHERE idx = %s AND key = %s")
        return int(self._one(counting, (code, key)) or 0)

    def ids_after(self, table: str, after: int, limit: int) -> list[int]:
        return [row[0] for row in self._all("SELECT id FROM documents WHERE tbl = %s AND id > %s ORDER BY id "
                                            "LIMIT %s", (table, after, limit))]

    def last_id(self, table: str) -> int:
        return int(self._one("SELECT max(id) FROM documents WHERE tbl = %s", (table,)) or 0)

    def matching(self, condition: Condition, cap: int | None = None) -> set[int]:
        return self._conditions.matching(condition, cap)

    def listing(self, order: str, condition: Condition | None = None) -> Listing:
        return self._conditions.listing(order, condition, lambda: self.count(self._tables[order]))

    # ---- other processes' changes

    def refresh(self) -> bool:
        """True if anything was committed since the last look (here or by another process)."""
        current = self.revision()
        changed, self._seen = current != self._seen, current
        return changed

    def revision(self) -> int:
        return int(self._one("SELECT value FROM revision") or 0)

    def compact(self) -> None:
        """Nothing to fold: the database keeps its own files."""

    def close(self) -> None:
        self._connections.close()

    # ---- statements

    def _execute(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        """A statement that writes (inside a transaction)."""
        held = self._connections.held()
        assert held is not None and not held.read_only, "writes happen inside transaction()"
        held.wrote = True
        return self._connections.run(sql, params)

    def _later(self, sql: str, params: Any) -> None:
        """A write sent with the transaction's next statement (or its commit)."""
        held = self._connections.held()
        assert held is not None and not held.read_only, "writes happen inside transaction()"
        held.wrote = True
        self._connections.later(sql, params)

    def _one(self, sql: str, params: Any = ()) -> Any:
        rows = self._connections.run(sql, params)
        return rows[0][0] if rows else None

    def _all(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        return self._connections.run(sql, params)


# What a change to key rows does to the counts of counted indexes: ``rows`` names the rows (idx, key) added or taken
# away, one per document.
_COUNTED_IN = ("INSERT INTO key_counts SELECT idx, key, 1 FROM {rows} WHERE idx = ANY(%(counted)s::smallint[]) "
               "ON CONFLICT (idx, key) DO UPDATE SET n = key_counts.n + 1")
_UNCOUNTED_IN = ("UPDATE key_counts c SET n = c.n - 1 FROM {rows} r WHERE c.idx = r.idx AND c.key = r.key "
                 "AND r.idx = ANY(%(counted)s::smallint[])")


def _json(document: Any) -> str:
    return orjson.dumps(document).decode()

