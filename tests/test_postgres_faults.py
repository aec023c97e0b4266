"""What the PostgreSQL store does when the server fails it: a server killed in the middle of a transaction, a
connection the server drops, two writers on one record. Nothing is half-written, every error is a typed one, and
the same handle works again once the server does."""

from __future__ import annotations

import threading

import psycopg
import pytest

from core.bootstrap import open_directory
from core.config import Settings
from core.errors import Conflict, Stopped, StoreUnavailable
from core.policy import Actor
from core.stopping import Stop
from tests import postgres

ADMIN = Actor("admin")


def opened(url: str, tmp_path):
    return open_directory(tmp_path / "unused", settings=Settings.model_validate(
        {"store": {"kind": "postgresql", "url": url}}))


@pytest.fixture
def own_server():
    """A server of this test's own, to kill and start again (the session's is shared)."""
    servers = postgres.server()
    yield next(servers)
    servers.close()


def test_a_server_killed_mid_transaction_keeps_none_of_it_and_the_handle_recovers(own_server, tmp_path):
    url = postgres.new_database(own_server)
    directory = opened(url, tmp_path)
    ada = directory.create(ADMIN, "contact", {"first_name": "Ada", "last_name": "Lovelace"})
    with pytest.raises(StoreUnavailable, match="nothing was changed"), directory.batch():
        directory.update(ADMIN, "contact", ada.key, {"title": "Countess"})
        directory.create(ADMIN, "contact", {"first_name": "Grace", "last_name": "Hopper"})
        postgres.restart(own_server, stopped=lambda: None)  # killed (immediate stop) and started again
        directory.create(ADMIN, "contact", {"first_name": "Alan", "last_name": "Turing"})
    again = directory.get_contact(ADMIN, ada.key)  # the same handle: a new connection, no reopening
    assert (again.title, again.version) == (None, 1)
    assert directory.search(ADMIN, "hopper").total == 0 and directory.search(ADMIN, "turing").total == 0
    assert directory.count(ADMIN, "contact") == 1
    directory.close()


def _drop_connections(url: str) -> int:
    """Ends every other session on the database, as a failing network or an administrator would."""
    with psycopg.connect(url, autocommit=True) as admin:
        rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                             "current_database() AND pid <> pg_backend_pid()").fetchall()
    return len(rows)


def test_a_dropped_connection_is_replaced_before_a_read_and_fails_a_write_cleanly(postgres_url, tmp_path):
    directory = opened(postgres_url, tmp_path)
    ada = directory.create(ADMIN, "contact", {"first_name": "Ada", "last_name": "Lovelace",
                                              "phones": [{"raw": "+1 415 555 2671"}]})
    assert _drop_connections(postgres_url) >= 1
    assert directory.lookup(ADMIN, "(415) 555-2671").contacts[0].id == ada.id  # answered on a new connection
    with pytest.raises(StoreUnavailable, match="nothing was changed"), directory.batch():
        directory.update(ADMIN, "contact", ada.key, {"title": "Countess"})
        _drop_connections(postgres_url)
        directory.update(ADMIN, "contact", ada.key, {"title": "Analyst"})
    assert directory.get_contact(ADMIN, ada.key).title is None
    directory.update(ADMIN, "contact", ada.key, {"title": "Analyst"})
    assert directory.get_contact(ADMIN, ada.key).title == "Analyst"
    directory.close()


def test_two_writers_on_one_record_one_conflict_and_nothing_lost(postgres_url, tmp_path):
    first, second = opened(postgres_url, tmp_path), opened(postgres_url, tmp_path)  # two processes' handles
    ada = first.create(ADMIN, "contact", {"first_name": "Ada", "last_name": "Lovelace"})
    both_read = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def write(directory, title: str) -> None:
        seen = directory.get_contact(ADMIN, ada.key)
        both_read.wait()  # both saw version 1 before either writes
        try:
            directory.update(ADMIN, "contact", ada.key, {"title": title}, expected_version=seen.version)
            outcomes[title] = "saved"
        except Conflict as refused:
            outcomes[title] = f"refused: {refused}"

    writers = [threading.Thread(target=write, args=(d, t)) for d, t in ((first, "CFO"), (second, "CEO"))]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    saved = [title for title, outcome in outcomes.items() if outcome == "saved"]
    refused = [outcome for outcome in outcomes.values() if outcome.startswith("refused")]
    assert len(saved) == 1 and len(refused) == 1 and "was changed since you opened it" in refused[0]
    stored = second.get_contact(ADMIN, ada.key)
    assert (stored.title, stored.version) == (saved[0], 2)  # the saved change is there, not overwritten
    assert [e.action for e in first.history(ADMIN, "contact", ada.key)].count("create") == 1
    first.close()
    second.close()


def _until(holds, what: str) -> None:
    for _ in range(400):
        if holds():
            return
        threading.Event().wait(0.025)
    raise AssertionError(f"never: {what}")


def test_a_stopped_search_ends_on_the_server_and_the_next_one_runs(postgres_url, tmp_path):
    directory = opened(postgres_url, tmp_path)
    directory.create(ADMIN, "contact", {"first_name": "Ada", "last_name": "Lovelace"})
    stop, ended = Stop(), []

    def search() -> None:
        try:
            with directory.stoppable(stop):
                directory.browse(ADMIN, "contact", "ada").window(0, 10)
        except Stopped as error:
            ended.append(error)

    with psycopg.connect(postgres_url) as holder:  # a migration holding the keys: the search waits on the server
        holder.execute("LOCK TABLE index_keys IN ACCESS EXCLUSIVE MODE")
        searching = threading.Thread(target=search)
        searching.start()
        _until(lambda: postgres.waiting_on_a_lock(postgres_url), "the search reached the server")
        stop.stop()
        searching.join(timeout=10)
        assert not searching.is_alive() and len(ended) == 1  # ended while the lock was still held
        assert postgres.waiting_on_a_lock(postgres_url) == []  # and on the server, not only here
        holder.rollback()
    with directory.stoppable(Stop()):  # the connection it had works for the next search
        assert len(directory.browse(ADMIN, "contact", "ada").window(0, 10)) == 1
    with pytest.raises(Stopped), directory.stoppable(stop):  # what a stop was given for does not start again
        directory.browse(ADMIN, "contact", "ada")
    directory.close()
