"""Connections to the PostgreSQL store's server: a pool each process shares between its threads (the terminal UI
searches while it counts, the bot answers several requests at once), a transaction held by the thread that began
it, and what becomes of the server's faults.

Faults end in a retry or a typed error, never a half-written change: a statement outside a transaction (a read) is
sent again on a fresh connection when the one it had was dropped (the server restarted, the network failed); a
transaction that loses its connection is rolled back by the server and reported as ``StoreUnavailable`` ("nothing
was changed", or, if the connection was lost while committing, that the change may or may not have been saved);
a serialization failure or a deadlock is a ``Conflict`` to try again. A stopped server is ``StoreUnavailable`` until
it returns, and then the next statement works: no process needs a restart."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool, PoolTimeout

from core.errors import Conflict, Stopped, StoreUnavailable
from core.stopping import Stop

WRITE_LOCK = 7_404_303  # the advisory lock every writing transaction holds (any number, the same everywhere)
ROLLED_BACK = (errors.SerializationFailure, errors.DeadlockDetected, errors.TransactionRollback)
READ = ("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",)
WRITE = ("BEGIN", f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
CONNECTIONS = 8  # per process, at most
WAIT_S = 10  # for a connection, or for the server to answer a new one


@dataclass
class Held:
    """A transaction a thread is in: its connection, and whether the pool lent it; what is still to be sent with
    its next statement (a round trip is most of a statement's time): its ``BEGIN`` and the writes whose results
    nobody waits for; whether the ``BEGIN`` has gone; how deeply nested; whether it wrote."""

    connection: psycopg.Connection
    pooled: bool
    read_only: bool
    pending: list[str]
    begun: bool = False
    depth: int = 1
    wrote: bool = False


def unavailable(error: BaseException, what: str = "") -> StoreUnavailable:
    return StoreUnavailable(f"the PostgreSQL directory is unavailable ({reason(error)}){what}")


def translated(error: psycopg.Error) -> Exception:
    """A server's error inside a transaction as the service's kind of error."""
    if isinstance(error, ROLLED_BACK):  # a serialization failure, a deadlock
        return Conflict(f"another change got in the way ({reason(error)}); nothing was changed: try again")
    if isinstance(error, psycopg.OperationalError):
        return unavailable(error, "; nothing was changed")
    return error


def reason(error: BaseException) -> str:
    """What went wrong, without the connection string (it may hold a password)."""
    sqlstate = getattr(error, "sqlstate", None)
    return type(error).__name__ + (f": {sqlstate}" if sqlstate else "")


class Connections:
    def __init__(self, url: str):
        try:  # a clear answer at once when the server cannot be reached (the pool would keep trying)
            psycopg.connect(url, connect_timeout=WAIT_S).close()
        except psycopg.Error as error:
            raise StoreUnavailable(f"cannot reach the PostgreSQL directory ({reason(error)})") from None
        self._url = url
        self._pool = ConnectionPool(url, min_size=1, max_size=CONNECTIONS, timeout=WAIT_S, open=True,
                                    kwargs={"autocommit": True, "connect_timeout": WAIT_S})
        self._down = False  # a connection failed: the pool may have none, and wait longer and longer to try again
        self._local = threading.local()

    def held(self) -> Held | None:
        return getattr(self._local, "held", None)

    def run(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        """One statement: in this thread's transaction, or on its own (a read, sent again on another connection
        if the one it had was dropped)."""
        held = self.held()
        if held is not None and held.pending:
            return self._with_pending(held, sql, params)
        if held is not None:
            try:
                with self._watched(held.connection):
                    return _rows(held.connection.execute(sql, params or None))
            except psycopg.Error as error:
                raise translated(error) from None
        for attempt in range(CONNECTIONS + 1):
            try:
                with self._borrowed() as connection, self._watched(connection):
                    return _rows(connection.execute(sql, params or None))
            except psycopg.OperationalError as error:
                if attempt == CONNECTIONS:
                    raise unavailable(error) from None
                self._went_away()
        raise AssertionError("unreachable")

    @contextmanager
    def stoppable(self, stop: Stop) -> Iterator[None]:
        """Statements this thread runs inside (on their own or in its transaction) are cancelled on the server by
        ``stop.stop()`` and end with ``Stopped``; a transaction they were in is rolled back."""
        outer = getattr(self._local, "stop", None)
        self._local.stop = stop
        try:
            yield
        finally:
            self._local.stop = outer

    @contextmanager
    def _watched(self, connection: psycopg.Connection) -> Iterator[None]:
        stop: Stop | None = getattr(self._local, "stop", None)
        if stop is None:
            yield
            return

        def cancel() -> None:
            with suppress(psycopg.Error):  # the server is gone: the statement ends anyway, with the connection
                connection.cancel_safe(timeout=WAIT_S)

        try:
            with stop.watching(cancel):
                yield
        except errors.QueryCanceled:
            if stop.stopped:
                raise Stopped("stopped on the server: what it was for is no longer wanted") from None
            raise

    def later(self, sql: str, params: Any) -> None:
        """A write in this thread's transaction whose result nobody waits for: sent with the next statement."""
        held = self.held()
        assert held is not None, "a write waits inside a transaction"
        held.pending.append(self._bound(held, sql, params))

    def flushed(self) -> psycopg.Connection:
        """This thread's transaction's connection, with what was pending sent (before a COPY, which goes alone)."""
        held = self.held()
        assert held is not None, "inside a transaction"
        if held.pending:
            self._with_pending(held, "SELECT 1", ())
        return held.connection

    @staticmethod
    def _bound(held: Held, sql: str, params: Any) -> str:
        return psycopg.ClientCursor(held.connection).mogrify(sql, params) if params else sql

    def _with_pending(self, held: Held, sql: str, params: Any) -> list[tuple[Any, ...]]:
        """A statement sent in one message with what is pending (its values bound here to make that possible);
        before the ``BEGIN`` has gone, a connection the server dropped has seen nothing, so another is tried."""
        for attempt in range(CONNECTIONS + 1):
            try:
                with self._watched(held.connection):
                    cursor = held.connection.execute("; ".join((*held.pending, self._bound(held, sql, params))))
                    while cursor.nextset():  # to the statement's own results
                        pass
                held.pending, held.begun = [], True
                return _rows(cursor)
            except psycopg.OperationalError as error:
                if held.begun or not held.connection.broken or attempt == CONNECTIONS:
                    raise translated(error) from None
                self._release(held.connection, held.pooled)
                self._went_away()
                held.connection, held.pooled = self._connection()
            except psycopg.Error as error:
                raise translated(error) from None
        raise AssertionError("unreachable")

    def _connection(self) -> tuple[psycopg.Connection, bool]:
        """A connection, and whether the pool lent it. After a failure, while the pool has none ready (it tries
        again after longer and longer pauses), one of its own: a server still down is said at once instead of after
        the pool's wait, and a server back is used at once."""
        if self._down and not self._pool.get_stats()["pool_available"]:
            try:
                return psycopg.connect(self._url, autocommit=True, connect_timeout=WAIT_S), False
            except psycopg.OperationalError as error:
                raise unavailable(error) from None
        self._down = False
        try:
            return self._pool.getconn(), True
        except PoolTimeout as error:
            self._down = True
            raise unavailable(error) from None

    def _release(self, connection: psycopg.Connection, pooled: bool) -> None:
        if pooled:
            self._pool.putconn(connection)  # a broken one, the pool lets go
        else:
            connection.close()

    @contextmanager
    def _borrowed(self) -> Iterator[psycopg.Connection]:
        connection, pooled = self._connection()
        try:
            yield connection
        finally:
            self._release(connection, pooled)

    def _went_away(self) -> None:
        """A connection failed: the server may have gone (the pool's idle connections with it)."""
        self._down = True
        self._pool.check()

    @contextmanager
    def transaction(self, *, read_only: bool) -> Iterator[Held]:
        """A database transaction this thread holds; nested calls join it. A writing one takes the write lock."""
        held = self.held()
        if held is not None:
            held.depth += 1
            try:
                yield held
            finally:
                held.depth -= 1
            return
        held = self._local.held = Held(*self._connection(), read_only, list(READ if read_only else WRITE))
        try:
            yield held
            if held.begun or held.wrote:  # else nothing was sent: nothing to end
                self._commit(held)
        except BaseException:
            # begun, or begun with a statement that then failed (stopped): what the server holds is undone
            if not held.connection.broken and held.connection.info.transaction_status != TransactionStatus.IDLE:
                held.connection.execute("ROLLBACK")
            raise
        finally:
            self._local.held = None
            self._release(held.connection, held.pooled)

    @staticmethod
    def _commit(held: Held) -> None:
        ending = ("UPDATE revision SET value = value + 1", "COMMIT") if held.wrote else ("COMMIT",)
        message, held.pending, held.begun = "; ".join((*held.pending, *ending)), [], True
        try:
            held.connection.execute(message)
        except psycopg.OperationalError as error:
            if isinstance(error, ROLLED_BACK):
                raise translated(error) from None
            raise unavailable(error, " while saving: the change may or may not have been saved; look before "
                                     "making it again") from None

    def close(self) -> None:
        self._pool.close()


def _rows(cursor: psycopg.Cursor) -> list[tuple[Any, ...]]:
    return cursor.fetchall() if cursor.description else []
