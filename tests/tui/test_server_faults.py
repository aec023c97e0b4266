"""The terminal UI on a PostgreSQL directory whose server stops while it is open: it says so, keeps running, and
shows the records again once the server is back, without a restart."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from textual.widgets import Static

from core.demo import populate
from tests import postgres
from tests.conftest import open_directory, write_settings
from tests.tui.conftest import ADMIN, SIZE, make_app, settle
from tui.widgets.record_list import RecordList

WAIT_S = 30  # seconds: far more than any step takes, for a loaded machine


@pytest.fixture
def own_server():
    """A server of this test's own, to stop and start again (the session's is shared)."""
    servers = postgres.server()
    yield next(servers)
    servers.close()


def count_text(app) -> str:
    return str(app.screen.query_one("#count", Static).render())


def notices(app) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def until(pilot, holds) -> None:
    """Wait (as the screen works) until ``holds()``; fail if it never does."""
    for _ in range(WAIT_S * 20):
        await pilot.pause()
        if holds():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the screen never got there")


def demo_directory(url: str, tmp_path):
    """A directory of 60 demo contacts in the database ``url``, as the terminal UI opens it."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    write_settings(data, f'[store]\nkind = "postgresql"\nurl = "{url}"\n')
    directory = open_directory(data)
    populate(directory, ADMIN, contacts=60, notes_per_contact=1)
    return directory


async def test_a_stopped_server_is_said_and_the_records_come_back_with_it(own_server, tmp_path):
    directory = demo_directory(postgres.new_database(own_server), tmp_path)
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert count_text(pilot.app) == "60 contacts"
        with postgres.down(own_server):
            await until(pilot, lambda: "unavailable" in count_text(pilot.app))
            assert any("unavailable" in notice for notice in notices(pilot.app))
            await pilot.press("slash", "a")  # a search while it is down: said again, not a crash
            await until(pilot, lambda: "unavailable" in count_text(pilot.app))
            records = pilot.app.screen.query_one(RecordList)
            records.forget_rows()
            assert records.render_line(0).text.strip() == ""  # a line to draw that it cannot read: left blank
        await until(pilot, lambda: count_text(pilot.app).endswith("matching a"))
        assert pilot.app.is_running
        assert any("available again" in notice for notice in notices(pilot.app))
    directory.close()


async def test_a_key_typed_stops_the_search_it_replaces_on_the_server(postgres_url, tmp_path):
    directory = demo_directory(postgres_url, tmp_path)
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        with psycopg.connect(postgres_url) as holder:  # the keys locked (a migration): searches wait on the server
            holder.execute("LOCK TABLE index_keys IN ACCESS EXCLUSIVE MODE")
            await pilot.press("slash", "a")
            await until(pilot, lambda: len(postgres.waiting_on_a_lock(postgres_url)) == 1)
            first = postgres.waiting_on_a_lock(postgres_url)[0]
            await pilot.press("n")
            # the search for "a" is gone from the server while the lock still holds; the one for "an" waits
            await until(pilot, lambda: postgres.waiting_on_a_lock(postgres_url) not in ([], [first]))
            assert first not in postgres.waiting_on_a_lock(postgres_url)
            holder.rollback()
        await until(pilot, lambda: count_text(pilot.app).endswith("matching an"))
        assert not any("error" in notice.lower() for notice in notices(pilot.app))
    directory.close()
