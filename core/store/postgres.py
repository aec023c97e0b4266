"""The PostgreSQL store: the same ``Repository`` as the embedded one, for directories many processes on many machines
share. Documents are rows of JSON; the lookup keys of ``core.indexes`` are rows of their own, indexed (prefixes
too), computed by the same functions as the embedded store's so both answer alike. Writes run in database
transactions that take one advisory lock, so the service's read-check-write steps (a version check, an id) hold
as they do under the embedded store's write lock; every commit moves a revision counter that other processes
watch.

Documents are kept as ``json`` (not ``jsonb``) so they come back exactly as written, keys in their order: a
backup of either store is the same bytes.

The schema is the project's own, versioned (``SCHEMA_VERSION``): made when missing, upgraded by ``MIGRATIONS``, and
a database newer than this program is refused by name."""

from __future__ import annotations

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

SCHEMA_VERSION = 6
KEYS_PRIMARY = "PRIMARY KEY (idx, key, id) INCLUDE (sort)"
# The documents under some keys (an agent's lookup), planned once per connection: planning the join each time
# took longer than running it (0.5 ms of a lookup's 1.3). A generic plan is right for it, never for a prefix.
DOCUMENTS_UNDER = """
    CREATE FUNCTION documents_under(indexes {index}[], keys text[], tables text[])
    RETURNS TABLE (found_index {index}, found_key text, found_id bigint, found json)
    LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
    BEGIN
        RETURN QUERY SELECT w.idx, w.key, d.id, d.doc FROM unnest(indexes, keys, tables) AS w(idx, key, tbl)
            JOIN index_keys k ON k.idx = w.idx AND k.key = w.key JOIN documents d ON d.tbl = w.tbl AND d.id = k.id
            ORDER BY d.id;
    END $$
"""
# Each step is statements run in order, given the names of every index (``indexes``) and of the one holding the
# sort key of its documents' table (``sort_indexes``; null for tables never listed in name order).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("""
        CREATE TABLE contacts_schema (version integer NOT NULL);
        CREATE TABLE documents (tbl text NOT NULL, id bigint NOT NULL, doc json NOT NULL, PRIMARY KEY (tbl, id));
        CREATE TABLE index_keys (idx text NOT NULL, key text COLLATE "C" NOT NULL, tbl text NOT NULL,
                                 id bigint NOT NULL, PRIMARY KEY (idx, key, id));
        CREATE INDEX index_keys_of_document ON index_keys (tbl, id);
        CREATE TABLE id_counters (tbl text PRIMARY KEY, last bigint NOT NULL);
        CREATE TABLE revision (value bigint NOT NULL);
        INSERT INTO revision VALUES (0);
    """,),
    # Conditions check a document's keys by its id (index probes while a listing walks its order); this index
    # serves that and removing a document's keys, which the first one served alone. An index's name says its
    # table, so a key's row need not. Counting a table's rows reads them all: each table's count is kept instead.
    2: ("""
        CREATE INDEX index_keys_by_id ON index_keys (id, idx, key);
        DROP INDEX index_keys_of_document;
        ALTER TABLE index_keys DROP COLUMN tbl;
        CREATE TABLE document_counts (tbl text PRIMARY KEY, n bigint NOT NULL);
        INSERT INTO document_counts SELECT tbl, count(*) FROM documents GROUP BY tbl;
    """,),
    # Every key carries its document's sort key, in the index with it: the matches of a word come out in name
    # order from that index alone (through the order index, ninety thousand "smith"s took a second to sort).
    3: ('ALTER TABLE index_keys ADD COLUMN sort text COLLATE "C"',
        "UPDATE index_keys k SET sort = o.key FROM unnest(%(indexes)s::text[], %(sort_indexes)s::text[]) "
        "AS m(idx, sort_idx), index_keys o WHERE k.idx = m.idx AND o.idx = m.sort_idx AND o.id = k.id",
        f"ALTER TABLE index_keys DROP CONSTRAINT index_keys_pkey, ADD {KEYS_PRIMARY}"),
    # The lookup's one statement (``DOCUMENTS_UNDER``).
    4: (DOCUMENTS_UNDER.format(index="text"),),
    # An index is named in every key row by a small number (``key_indexes``), not its name: a million contacts'
    # 24 million key rows took a gigabyte less.
    5: ("CREATE TABLE key_indexes (code smallint PRIMARY KEY, name text NOT NULL UNIQUE)",
        "INSERT INTO key_indexes SELECT row_number() OVER (ORDER BY name), name "
        "FROM (SELECT unnest(%(indexes)s::text[]) UNION SELECT DISTINCT idx FROM index_keys) n(name)",
        """
        CREATE TABLE index_keys_coded (idx smallint NOT NULL, key text COLLATE "C" NOT NULL, id bigint NOT NULL,
                                       sort text COLLATE "C");
        INSERT INTO index_keys_coded SELECT c.code, k.key, k.id, k.sort FROM index_keys k JOIN key_indexes c
            ON c.name = k.idx;
        DROP TABLE index_keys;
        ALTER TABLE index_keys_coded RENAME TO index_keys;
        CREATE INDEX index_keys_by_id ON index_keys (id, idx, key);
        DROP FUNCTION documents_under;
        """,
        DOCUMENTS_UNDER.format(index="smallint"),
        f"ALTER TABLE index_keys ADD {KEYS_PRIMARY}"),
    # The lookup looks at the keys it is given in turn, stopping at the first that find documents: a number found
    # by its stored form needs no look at its digits (41 million of ten million contacts' 236 million key rows,
    # read at random, from disk when the database outgrows memory).
    6: ("DROP FUNCTION documents_under", """
        CREATE FUNCTION documents_first(indexes smallint[], keys text[], tables text[], choices smallint[],
                                        counted smallint)
        RETURNS TABLE (found_index smallint, found_key text, found_id bigint, found json)
        LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
        BEGIN
            FOR tried IN 0 .. counted - 1 LOOP
                RETURN QUERY SELECT w.idx, w.key, d.id, d.doc
                    FROM unnest(indexes, keys, tables, choices) AS w(idx, key, tbl, choice)
                    JOIN index_keys k ON k.idx = w.idx AND k.key = w.key JOIN documents d ON d.tbl = w.tbl AND d.id = k.id
                    WHERE w.choice = tried ORDER BY d.id;
                IF FOUND THEN
                    RETURN;
                END IF;
            END LOOP;
        END $$
        """),
}


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
            names = {"indexes": list(self._tables), "sort_indexes": sort_indexes}
            for step in range((version or 0) + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step]:
                    self._execute(statement, names if "%(" in statement else ())
                self._execute("INSERT INTO contacts_schema VALUES (%s)", (step,))
            self._codes.update(self._all("SELECT name, code FROM key_indexes"))
            if new := [name for name in self._tables if name not in self._codes]:  # numbered after the others
                self._codes.update(self._execute(
                    "INSERT INTO key_indexes SELECT (SELECT coalesce(max(code), 0) FROM key_indexes) "
                    "+ row_number() OVER (ORDER BY name), name FROM unnest(%s::text[]) n(name) RETURNING name, code",
                    (new,)))

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
                "FROM stored, unnest(%(codes)s::smallint[], %(keys)s::text[]) AS k(idx, key)) "
                "SELECT id FROM stored",
                {"table": table, "id": record_id, "doc": Json(document, dumps=_json), "codes": codes, "keys": keys,
                 "sort": self._sort_key(table, document)})

    def replace(self, table: str, record_id: int, document: dict) -> None:
        """Sent with the transaction's next statement: nothing waits for its result."""
        codes, keys = self._key_columns(table, document)
        with self.transaction():
            self._later(
                "WITH changed AS (UPDATE documents SET doc = %(doc)s WHERE tbl = %(table)s AND id = %(id)s RETURNING id), "
                "kept AS (SELECT * FROM unnest(%(codes)s::smallint[], %(keys)s::text[]) AS k(idx, key)), "
                "gone AS (DELETE FROM index_keys WHERE id = %(id)s AND idx = ANY(%(indexes)s::smallint[]) "
                "AND (idx, key) NOT IN (SELECT idx, key FROM kept)), "
                "resorted AS (UPDATE index_keys SET sort = %(sort)s WHERE id = %(id)s AND idx = ANY(%(indexes)s::smallint[]) "
                "AND (idx, key) IN (SELECT idx, key FROM kept) AND sort IS DISTINCT FROM %(sort)s), "
                "added AS (INSERT INTO index_keys (idx, key, id, sort) SELECT kept.idx, kept.key, changed.id, %(sort)s "
                "FROM changed, kept ON CONFLICT DO NOTHING) "
                "SELECT 1",
                {"table": table, "id": record_id, "doc": Json(document, dumps=_json), "codes": codes, "keys": keys,
                 "indexes": self._index_codes(table), "sort": self._sort_key(table, document)})

    def remove(self, table: str, record_id: int) -> None:
        with self.transaction():
            self._later(
                "WITH gone AS (DELETE FROM documents WHERE tbl = %(table)s AND id = %(id)s RETURNING id), "
                "counted AS (UPDATE document_counts SET n = n - 1 WHERE tbl = %(table)s AND EXISTS (SELECT FROM gone)), "
                "unkeyed AS (DELETE FROM index_keys WHERE id = %(id)s AND idx = ANY(%(indexes)s::smallint[])) "
                "SELECT 1", {"table": table, "id": record_id, "indexes": self._index_codes(table)})

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
                with cursor.copy("COPY index_keys (idx, key, id, sort) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(["int2", "text", "int8", "text"])
                    for i, d in items:
                        sort = self._sort_key(table, d)
                        for code, key in self._keys(table, d):
                            copy.write_row((code, key, i, sort))
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

    def _keys(self, table: str, document: dict) -> set[tuple[int, str]]:
        return {(self._codes[spec.name], key) for spec in self._specs.get(table, ()) for key in spec.keys(document)}

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
        return int(self._one("SELECT count(*) FROM index_keys WHERE idx = %s AND key = %s",
                             (self._codes[index], key)) or 0)

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


def _json(document: Any) -> str:
    return orjson.dumps(document).decode()

