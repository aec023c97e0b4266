from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Button, Input

from core.demo import populate
from core.policy import Actor
from tests.conftest import open_directory
from tui.app import ContactsApp
from tui.screens.record_form import RecordForm

ADMIN = Actor("admin")
SIZE = (130, 40)


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch):
    """A blinking cursor would make every screenshot depend on the moment it was taken."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def directory(data_dir):
    directory = open_directory(data_dir)
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


async def new_contact_form(pilot, first: str, last: str = "") -> RecordForm:
    """Ctrl+N on the first screen, the names typed."""
    await settle(pilot)
    await press(pilot, "ctrl+n")
    form = pilot.app.screen
    assert isinstance(form, RecordForm)
    form.query_one("#f-first_name", Input).value = first
    form.query_one("#f-last_name", Input).value = last
    return form


async def new_contact_with_a_phone(pilot, first: str, last: str, number: str):
    """A new contact's form with one phone row added holding ``number``: the form and the phone's row."""
    form = await new_contact_form(pilot, first, last)
    form.query_one("#add-phones", Button).press()
    await settle(pilot)
    row = form.query("#section-phones .list-row").first()
    row.query_one(".text", Input).value = number
    await settle(pilot)
    return form, row
