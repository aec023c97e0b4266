from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input

from core.demo import populate
from core.policy import Actor
from tests.conftest import open_directory
from tui.app import ContactsApp

ADMIN = Actor("admin")
SIZE = (130, 40)


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch):
    """A blinking cursor would make every screenshot depend on the moment it was taken."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def directory(tmp_path):
    directory = open_directory(tmp_path / "data")
    populate(directory, ADMIN, contacts=60, notes_per_contact=1)
    yield directory
    directory.close()


def make_app(directory) -> ContactsApp:
    return ContactsApp(directory, ADMIN)


async def settle(pilot) -> None:
    """Let workers finish and the screen catch up (searches and detail loads run in threads)."""
    for _ in range(100):  # workers start workers (the detail waits for the list to rest): until none is left
        await pilot.pause()
        running = [worker for worker in pilot.app.workers if not worker.is_finished]
        if not running:
            break
        # a search replaced by a newer one ends cancelled, which is expected, not an error
        await asyncio.gather(*(worker.wait() for worker in running), return_exceptions=True)
    await pilot.pause()



async def press(pilot, *keys: str) -> None:
    """Press keys as a person would, then wait for what they set off."""
    await pilot.press(*keys)
    await settle(pilot)
