from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.bootstrap import open_directory as open_data_dir
from core.directory import Directory
from core.policy import Actor
from core.repository import Repository
from tests import postgres

ADMIN = Actor("admin")


class Clock:
    """Time that moves one second per reading, so ordering by time is deterministic."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def open_directory(data_dir: Path, settings_text: str | None = None) -> Directory:
    if settings_text is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "contacts.toml").write_text(settings_text, encoding="utf-8")
    return open_data_dir(data_dir, clock=Clock())


def store(directory: Directory) -> Repository:
    """The store under ``directory``: for tests that check what was written, beyond what the service shows."""
    return directory._repo


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def directory(data_dir: Path):
    directory = open_directory(data_dir)
    yield directory
    directory.close()


def store_files(data_dir: Path) -> dict[str, bytes]:
    """Every store file's bytes: to show that a failed operation changed nothing on disk."""
    return {p.name: p.read_bytes() for p in sorted(data_dir.iterdir()) if p.name.startswith("store.") and p.name != "store.lock"}


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for this test session (see ``tests/postgres.py``)."""
    yield from postgres.server()


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A new empty database on it."""
    return postgres.new_database(postgres_server)

