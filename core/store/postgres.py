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

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Json

from core.errors import StoreError
from core.store.conditions import Condition, Listing
from core.store.indexes import IndexSpec
from core.store.postgres_query import Evaluator, like

SCHEMA_VERSION = 2
WRITE_LOCK = 7_404_303  # the advisory lock every writing transaction holds (any number, the same everywhere)
MIGRATIONS = {
    1: """
        CREATE TABLE contacts_schema (version integer NOT NULL);
        CREATE TABLE documents (tbl text NOT NULL, id bigint NOT NULL, doc json NOT NULL, PRIMARY KEY (tbl, id));
        CREATE TABLE index_keys (idx text NOT NULL, key text COLLATE "C" NOT NULL, tbl text NOT NULL,
                                 id bigint NOT NULL, PRIMARY KEY (idx, key, id));
        CREATE INDEX index_keys_of_document ON index_keys (tbl, id);
        CREATE TABLE id_counters (tbl text PRIMARY KEY, last bigint NOT NULL);
        CREATE TABLE revision (value bigint NOT NULL);
        INSERT INTO revision VALUES (0);
    """,
    # Conditions check a document's keys by its id (index probes while a listing walks its order); this index
    # serves that and removing a document's keys, which the first one served alone. An index's name says its
    # table, so a key's row need not. Counting a table's rows reads them all: each table's count is kept instead.
    2: """
        CREATE INDEX index_keys_by_id ON index_keys (id, idx, key);
        DROP INDEX index_keys_of_document;
        ALTER TABLE index_keys DROP COLUMN tbl;
        CREATE TABLE document_counts (tbl text PRIMARY KEY, n bigint NOT NULL);
        INSERT INTO document_counts SELECT tbl, count(*) FROM documents GROUP BY tbl;
    """,
}


class PostgresRepository:
    def __init__(self, url: str, indexes: Iterable[IndexSpec]):
        self._url = url
        self._connection = self._connect()
        self._specs: dict[str, list[IndexSpec]] = {}
        self._tables: dict[str, str] = {}  # index → its table
        for spec in indexes:
            self._specs.setdefault(spec.table, []).append(spec)
            self._tables[spec.name] = spec.table
        self._lock = threading.RLock()  # one connection: one thread's statements at a time
        self._depth = 0
        self._wrote = False
        self._migrate()
        self._seen = self.revision()
        self._conditions = Evaluator(self._all)

    def _connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(self._url, autocommit=True, connect_timeout=10)
        except psycopg.Error as error:
            raise StoreError(f"cannot reach the PostgreSQL directory ({_reason(error)})") from None

    def _connected(self) -> None:
        """A connection the server dropped (it restarted, the network failed) is made again on the next use, so
        every front end recovers without a restart once the server is back."""
        if self._connection.closed or self._connection.broken:
            self._connection = self._connect()

    # ---- schema

    def _migrate(self) -> None:
        with self._lock, self._connection.transaction():
            self._connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            exists = self._one("SELECT to_regclass('contacts_schema') IS NOT NULL")
            version = self._one("SELECT max(version) FROM contacts_schema") if exists else 0
            if version is not None and version > SCHEMA_VERSION:
                raise StoreError(f"this database holds a Contacts directory of schema version {version}, newer than "
                                 f"this program knows ({SCHEMA_VERSION}): upgrade Contacts before opening it")
            for step in range((version or 0) + 1, SCHEMA_VERSION + 1):
                self._connection.execute(MIGRATIONS[step])
                self._connection.execute("INSERT INTO contacts_schema VALUES (%s)", (step,))

    # ---- transactions

    @contextmanager
    def transaction(self, *, optimistic: bool = False) -> Iterator[None]:
        """All or nothing; nested calls join the outer one. ``optimistic`` is accepted for the interface: the
        database keeps readers unblocked already, and writers take turns on one lock."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._connected()
            self._depth, self._wrote = 1, False
            try:
                with self._connection.transaction():
                    self._connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                    yield
                    if self._wrote:
                        self._connection.execute("UPDATE revision SET value = value + 1")
            except psycopg.OperationalError as error:
                raise StoreError(f"the PostgreSQL directory is unavailable ({_reason(error)}); nothing was "
                                 "changed") from None
            finally:
                self._depth = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Several reads on one snapshot of the database."""
        with self._lock:
            if self._depth:
                yield
                return
            self._connected()
            self._depth = 1
            try:
                with self._connection.transaction():
                    self._connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    yield
            except psycopg.OperationalError as error:
                raise StoreError(f"the PostgreSQL directory is unavailable ({_reason(error)})") from None
            finally:
                self._depth = 0

    # ---- documents

    def get(self, table: str, record_id: int) -> dict | None:
        return self._one("SELECT doc FROM documents WHERE tbl = %s AND id = %s", (table, record_id))

    def get_many(self, table: str, record_ids: Iterable[int]) -> dict[int, dict]:
        wanted = list(record_ids)
        rows = self._all("SELECT id, doc FROM documents WHERE tbl = %s AND id = ANY(%s)", (table, wanted))
        found = dict(rows)
        return {i: found[i] for i in wanted if i in found}

    def insert(self, table: str, document: dict, record_id: int | None = None) -> int:
        with self.transaction():
            if record_id is None:
                record_id = self._one("INSERT INTO id_counters VALUES (%s, 1) ON CONFLICT (tbl) DO UPDATE SET "
                                      "last = id_counters.last + 1 RETURNING last", (table,))
            else:
                if self.get(table, record_id) is not None:
                    raise StoreError(f"{table} {record_id} exists already")
                self._execute("INSERT INTO id_counters VALUES (%s, %s) ON CONFLICT (tbl) DO UPDATE SET "
                              "last = greatest(id_counters.last, excluded.last)", (table, record_id))
            assert record_id is not None
            self._execute("INSERT INTO documents VALUES (%s, %s, %s)", (table, record_id, Json(document, dumps=_json)))
            self._execute("INSERT INTO document_counts VALUES (%s, 1) ON CONFLICT (tbl) DO UPDATE SET "
                          "n = document_counts.n + 1", (table,))
            self._index(table, record_id, document)
        return record_id

    def replace(self, table: str, record_id: int, document: dict) -> None:
        with self.transaction():
            self._execute("UPDATE documents SET doc = %s WHERE tbl = %s AND id = %s",
                          (Json(document, dumps=_json), table, record_id))
            self._unindex(table, record_id)
            self._index(table, record_id, document)

    def remove(self, table: str, record_id: int) -> None:
        with self.transaction():
            self._wrote = True
            if self._run("DELETE FROM documents WHERE tbl = %s AND id = %s RETURNING id", (table, record_id)):
                self._execute("UPDATE document_counts SET n = n - 1 WHERE tbl = %s", (table,))
            self._unindex(table, record_id)

    def load(self, table: str, documents: Iterable[tuple[int, dict]]) -> None:
        """Store many documents under their ids (none taken yet) at once: rows and keys go in by COPY."""
        items = list(documents)
        if not items:
            return
        with self.transaction(), self._refused(f"{table}: an id given is taken already"):
            self._wrote = True
            with self._connection.cursor() as cursor:
                with cursor.copy("COPY documents (tbl, id, doc) FROM STDIN") as copy:
                    copy.write("".join(f"{_copied(table)}\t{i}\t{_copied(orjson.dumps(d).decode())}\n"
                                       for i, d in items))
                with cursor.copy("COPY index_keys (idx, key, id) FROM STDIN") as copy:
                    copy.write("".join(f"{_copied(name)}\t{_copied(key)}\t{i}\n"
                                       for i, d in items for name, key in self._keys(table, d)))
            self._run("INSERT INTO id_counters VALUES (%s, %s) ON CONFLICT (tbl) DO UPDATE SET "
                      "last = greatest(id_counters.last, excluded.last)", (table, max(i for i, _ in items)))
            self._run("INSERT INTO document_counts VALUES (%s, %s) ON CONFLICT (tbl) DO UPDATE SET "
                      "n = document_counts.n + excluded.n", (table, len(items)))

    @contextmanager
    def _refused(self, reason: str) -> Iterator[None]:
        try:
            yield
        except psycopg.IntegrityError:
            raise StoreError(reason) from None

    def _keys(self, table: str, document: dict) -> set[tuple[str, str]]:
        return {(spec.name, key) for spec in self._specs.get(table, ()) for key in spec.keys(document)}

    def _index(self, table: str, record_id: int, document: dict) -> None:
        rows = self._keys(table, document)
        if rows:
            with self._connection.cursor() as cursor:
                cursor.executemany("INSERT INTO index_keys (idx, key, id) VALUES (%s, %s, %s)",
                                   [(name, key, record_id) for name, key in rows])

    def _unindex(self, table: str, record_id: int) -> None:
        self._execute("DELETE FROM index_keys WHERE id = %s AND idx = ANY(%s)",
                      (record_id, [spec.name for spec in self._specs.get(table, ())]))

    # ---- reading by id and by key

    def tables(self) -> list[str]:
        return [row[0] for row in self._all("SELECT DISTINCT tbl FROM documents ORDER BY tbl")]

    def ids(self, table: str) -> list[int]:
        return [row[0] for row in self._all("SELECT id FROM documents WHERE tbl = %s ORDER BY id", (table,))]

    def count(self, table: str) -> int:
        return int(self._one("SELECT n FROM document_counts WHERE tbl = %s", (table,)) or 0)

    def find(self, index: str, key: str) -> set[int]:
        return {row[0] for row in self._all("SELECT id FROM index_keys WHERE idx = %s AND key = %s", (index, key))}

    def find_prefix(self, index: str, prefix: str) -> set[int]:
        return {row[0] for row in self._all("SELECT id FROM index_keys WHERE idx = %s AND key LIKE %s",
                                            (index, like(prefix)))}

    def ids_in_order(self, index: str) -> list[int]:
        return [row[0] for row in self._all("SELECT id FROM index_keys WHERE idx = %s ORDER BY key, id", (index,))]

    def shared_keys(self, index: str) -> list[tuple[str, set[int]]]:
        rows = self._all("SELECT key, array_agg(id) FROM index_keys WHERE idx = %s GROUP BY key HAVING count(*) > 1 "
                         "ORDER BY key", (index,))
        return [(key, set(ids)) for key, ids in rows]

    def keys(self, index: str) -> list[tuple[str, tuple[int, ...]]]:
        rows = self._all("SELECT key, array_agg(id ORDER BY id) FROM index_keys WHERE idx = %s GROUP BY key "
                         "ORDER BY key", (index,))
        return [(key, tuple(ids)) for key, ids in rows]

    def count_key(self, index: str, key: str) -> int:
        return int(self._one("SELECT count(*) FROM index_keys WHERE idx = %s AND key = %s", (index, key)) or 0)

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
        with self._lock:
            self._connection.close()

    # ---- statements

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._wrote = True
        self._run(sql, params)

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        rows = self._run(sql, params)
        return rows[0][0] if rows else None

    def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._run(sql, params)

    def _run(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                if not self._depth:
                    self._connected()
                cursor = self._connection.execute(sql, params)
            except psycopg.OperationalError as error:
                raise StoreError(f"the PostgreSQL directory is unavailable ({_reason(error)})") from None
            return cursor.fetchall() if cursor.description else []


def _json(document: Any) -> str:
    return orjson.dumps(document).decode()


def _copied(text: str) -> str:
    """``text`` as a field of COPY's text format."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _reason(error: psycopg.Error) -> str:
    """What went wrong, without the connection string (it may hold a password)."""
    return type(error).__name__ + (f": {error.sqlstate}" if getattr(error, "sqlstate", None) else "")
