"""At 100,000 contacts the UI keeps taking keys while a search runs."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from tests.conftest import open_directory
from tests.tui.conftest import ADMIN, SIZE, settle
from tui.app import ContactsApp

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from store_bench import build_ours


@pytest.mark.slow
async def test_a_search_over_100k_contacts_does_not_block_input(tmp_path):
    build_ours(tmp_path / "big", 100_000)
    directory = open_directory(tmp_path / "big")
    browse = directory.browse

    def slow_browse(*args, **kwargs):  # as if the disk or the machine were slow: the UI must not wait for it
        time.sleep(0.3)
        return browse(*args, **kwargs)

    directory.browse = slow_browse
    app = ContactsApp(directory, ADMIN)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert str(screen.query_one("#count").render()) == "100,000 contacts"
        await pilot.press("slash", "e", "x", "a", "m", "p", "l", "e")  # matches every contact: the slowest search
        assert screen.query_one("#search").value == "example"
        assert any(w.group == "search" and w.is_running for w in app.workers)  # keys were taken while it searched
        await settle(pilot)
        assert screen.shown == ("contact", "example")
        assert str(screen.query_one("#count").render()) == "100,000 contacts matching example"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("down", "down", "end")
        await settle(pilot)
        records = screen.query_one("RecordList")
        assert records.cursor == 99_999 and records.highlighted is not None
    directory.close()
