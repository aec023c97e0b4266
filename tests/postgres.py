"""A throwaway PostgreSQL server for the tests: ``CONTACTS_TEST_DATABASE_URL`` when set, else a cluster of its own
on a free port under a temporary directory (Debian's ``postgresql-15`` binaries; as the ``postgres`` user through
``runuser`` when the tests run as root, which PostgreSQL refuses). Where none can be had the tests skip, saying why;
with ``CI=true`` they fail instead."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

BINARIES = Path("/usr/lib/postgresql/15/bin")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests must run in CI: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server() -> Iterator[str]:
    """The URL of a server the tests may create databases on, for as long as the generator is not closed."""
    given = os.environ.get("CONTACTS_TEST_DATABASE_URL")
    if given:
        yield given
        return
    if not (BINARIES / "initdb").exists():
        _unavailable(f"no PostgreSQL server binaries at {BINARIES} (Debian's postgresql-15), and "
                     "CONTACTS_TEST_DATABASE_URL is not set")
    root = Path(tempfile.mkdtemp(prefix="contacts-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()

    def run(*command: str) -> None:
        done = subprocess.run([*as_postgres, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            _unavailable(f"{Path(command[0]).name} failed: {done.stderr.strip() or done.stdout.strip()}")

    run(str(BINARIES / "initdb"), "-D", str(data), "-U", "contacts", "-A", "trust", "-E", "UTF8", "--no-locale")
    start = [str(BINARIES / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
             f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200", "start"]
    stop = [*as_postgres, str(BINARIES / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
    run(*start)
    url = f"postgresql://contacts@127.0.0.1:{port}/postgres"
    _CONTROLS[url] = (lambda: run(*start), lambda: subprocess.run(stop, capture_output=True, timeout=120))
    try:
        yield url
    finally:
        _CONTROLS.pop(url)[1]()
        shutil.rmtree(root, ignore_errors=True)


_CONTROLS: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}  # a server's start and stop


@contextmanager
def down(server_url: str) -> Iterator[None]:
    """The server stopped as a crash would (immediate) while inside, and started again after."""
    start, stop = _CONTROLS[server_url]
    stop()
    try:
        yield
    finally:
        start()


def restart(server_url: str, stopped: Callable[[], object]) -> None:
    """Stop the server as a crash would, call ``stopped`` while it is down, then start it again."""
    with down(server_url):
        stopped()


def new_database(server_url: str) -> str:
    """A fresh, empty database on the server: one per test, so tests never see each other's records."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


def waiting_on_a_lock(url: str) -> list[tuple[int, object]]:
    """The statements on ``url``'s database waiting for a lock: (their backend, when they started)."""
    with psycopg.connect(url, autocommit=True) as admin:
        return admin.execute("SELECT pid, query_start FROM pg_stat_activity WHERE datname = current_database() "
                             "AND wait_event_type = 'Lock'").fetchall()
