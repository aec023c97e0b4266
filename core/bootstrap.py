"""Opening a directory: its settings (``contacts.toml``, the environment, flags), the store they choose, and the
clock. The only place outside the service that knows the stores."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import SecretStr

from core.config import Settings, StoreSettings, default_data_dir, load_settings
from core.directory import Directory
from core.directory.base import utc_now
from core.errors import StoreError
from core.indexes import INDEXES
from core.memory import paused_gc
from core.repository import Repository, TinyDBRepository
from core.store import repair
from core.store.postgres import PostgresRepository
from core.store.repair import StoreCheck

DATABASE_URL = "CONTACTS_DATABASE_URL"
__all__ = ["DATABASE_URL", "StoreCheck", "check_store", "database_url_argument", "directory_arguments", "migrate_store",
           "open_directory", "open_store", "repair_store"]


def open_store(data_dir: Path, settings: Settings) -> Repository:
    """The store ``[store] kind`` names (see ``core.config.StoreSettings`` for the kinds there are)."""
    if settings.store.kind == "embedded":
        return TinyDBRepository(data_dir)
    if not settings.store.url:
        raise StoreError(f"[store] kind = \"postgresql\" needs [store] url in contacts.toml, or {DATABASE_URL}")
    return PostgresRepository(settings.store.url.get_secret_value(), INDEXES)


def open_directory(data_dir: Path | None = None, *, settings: Settings | None = None,
                   clock: Callable[[], datetime] = utc_now, database_url: str | None = None) -> Directory:
    """The directory kept in ``data_dir`` (default: ``$CONTACTS_DATA_DIR``, else the user data directory), with
    ``settings`` read from its ``contacts.toml`` unless given. A PostgreSQL URL chooses that store over what the
    settings say: ``database_url`` (a command's ``--database-url``), else ``$CONTACTS_DATABASE_URL``."""
    directory = data_dir or default_data_dir()
    settings = settings or load_settings(directory)
    database_url = database_url or os.environ.get(DATABASE_URL)
    if database_url:
        settings = settings.model_copy(update={"store": StoreSettings(kind="postgresql", url=SecretStr(database_url))})
    return Directory(open_store(directory, settings), settings, clock)


def directory_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every command has for where its directory is: a data directory and, optionally, a server."""
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where the directory (or its settings) is kept (default: $CONTACTS_DATA_DIR, else your "
                             "user data dir)")
    parser.add_argument("--database-url", default=None, metavar="URL", type=database_url_argument,
                        help=f"use the PostgreSQL directory at postgresql://… (default: ${DATABASE_URL}, else [store] in "
                             "contacts.toml); a password belongs in those, not on a command line others can list")


def database_url_argument(url: str) -> str:
    """A PostgreSQL URL given on a command line (an argparse ``type``): one holding a password is taken, with a
    warning that others can read it there (the password itself is never printed)."""
    try:
        has_password = bool(conninfo_to_dict(url).get("password"))
    except psycopg.ProgrammingError:  # not a URL at all: opening the store says so
        has_password = False
    if has_password:
        print(f"warning: a password on the command line can be read by anyone on this machine who lists its "
              f"processes; put the URL in {DATABASE_URL} or contacts.toml, or the password in ~/.pgpass",
              file=sys.stderr)
    return url


def check_store(data_dir: Path) -> StoreCheck:
    """What in the embedded store of ``data_dir`` is damaged, without opening it or changing a byte."""
    return repair.check(data_dir)


def repair_store(data_dir: Path) -> StoreCheck:
    """Remove what ``check_store`` found damaged in the journal, keeping a copy of it first."""
    return repair.repair(data_dir)


def migrate_store(data_dir: Path, source: Settings, target: Settings,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Copy every document of the store ``source`` names into the empty store ``target`` names (embedded to
    PostgreSQL, or back), ids included, in one transaction; then read both back and compare them document for
    document. How many of each table were copied; StoreError if the target holds anything or a copy differs."""
    origin, copy = open_store(data_dir, source), open_store(data_dir, target)
    try:
        if any(copy.count(table) for table in copy.tables() if table not in _MADE_ON_OPEN):
            raise StoreError("the store to migrate into already holds a directory; migrate into an empty one")
        tables = origin.tables()
        total = sum(origin.count(table) for table in tables)
        done, counts = 0, {}
        with paused_gc(), origin.reading(), copy.filling():
            for table in tables:
                for record_id in copy.ids(table):  # made when it opened (the default division)
                    copy.remove(table, record_id)
                counts[table] = 0
                for chunk in _chunks(origin, table):
                    copy.load(table, origin.get_many(table, chunk).items())
                    done, counts[table] = done + len(chunk), counts[table] + len(chunk)
                    if progress is not None:
                        progress(done, total)
        for table in tables:
            for chunk in _chunks(origin, table):
                if origin.get_many(table, chunk) != copy.get_many(table, chunk):
                    raise StoreError(f"the copy of {table} differs from the original; the original is unchanged")
        return counts
    finally:
        origin.close()
        copy.close()


def _chunks(store: Repository, table: str, size: int = 5000) -> Iterator[list[int]]:
    after = 0
    while chunk := store.ids_after(table, after, size):
        yield chunk
        after = chunk[-1]


_MADE_ON_OPEN = ("divisions",)  # what opening a directory writes by itself (its default division)

