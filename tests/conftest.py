from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.bootstrap import DATABASE_URL
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


STORE_SECTION = "[store]"


@pytest.fixture(autouse=True)
def _store_chosen_by_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """A database URL in the shell that runs the tests would move every directory onto that server."""
    monkeypatch.delenv(DATABASE_URL, raising=False)


def open_directory(data_dir: Path, settings_text: str | None = None) -> Directory:
    """The directory in ``data_dir``, with ``settings_text`` as its contacts.toml if given (the store the test runs
    on, which the ``data_dir`` fixture wrote there, is kept)."""
    if settings_text is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        write_settings(data_dir, settings_text)
    return open_data_dir(data_dir, clock=Clock())


def write_settings(data_dir: Path, text: str) -> None:
    """``text`` as contacts.toml, keeping the ``[store]`` section there (the store this test runs on)."""
    path = data_dir / "contacts.toml"
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = existing[existing.index(STORE_SECTION):] if STORE_SECTION in existing and STORE_SECTION not in text else ""
    path.write_text(text + ("\n" + kept if kept else ""), encoding="utf-8")
    path.chmod(0o600)


STORES = ("embedded", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests in a module marked ``both_stores`` run on each store (through ``data_dir``: in-process directories,
    and the processes started on it, read the store from its contacts.toml)."""
    if "store_kind" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_stores"):
        metafunc.parametrize("store_kind", STORES, indirect=True)


@pytest.fixture
def store_kind(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "embedded")


def stored(directory: Directory, data_dir: Path) -> tuple[dict[str, bytes], dict[str, dict[int, dict]]]:
    """Everything the store holds: its files' bytes (the embedded store's) and every document (either store's), to
    show that a failed operation changed nothing."""
    repo = store(directory)
    return store_files(data_dir), {table: repo.get_many(table, repo.ids(table)) for table in repo.tables()}


def store(directory: Directory) -> Repository:
    """The store under ``directory``: for tests that check what was written, beyond what the service shows."""
    return directory._repo


def on_store(path: Path, store_kind: str, request: pytest.FixtureRequest) -> Path:
    """``path`` as a data directory on ``store_kind``: on PostgreSQL, its contacts.toml names a new database."""
    if store_kind == "postgresql":
        path.mkdir(mode=0o700, parents=True)
        url = postgres.new_database(request.getfixturevalue("postgres_server"))
        write_settings(path, f'{STORE_SECTION}\nkind = "postgresql"\nurl = "{url}"\n')
    return path


@pytest.fixture
def data_dir(tmp_path: Path, store_kind: str, request: pytest.FixtureRequest) -> Path:
    """Where the test's directory is kept, on the store it runs on."""
    return on_store(tmp_path / "data", store_kind, request)


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

