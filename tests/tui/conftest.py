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
    for _ in range(3):
        await pilot.pause()
        # a search replaced by a newer one ends cancelled, which is expected, not an error
        await asyncio.gather(*(worker.wait() for worker in pilot.app.workers), return_exceptions=True)
    await pilot.pause()


async def steady(pilot) -> None:
    """For snapshots: no blinking cursor, everything loaded."""
    for widget in pilot.app.query(Input):
        widget.cursor_blink = False
    await settle(pilot)
