"""What the screens look like, compared with approved snapshots (`pytest --snapshot-update` to approve changes)."""

from __future__ import annotations

import pytest

from tests.tui.conftest import SIZE, make_app, press, settle


def after(*keys: str):
    """A run_before that waits for the first screen, presses ``keys`` and waits for what they set off."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        if keys:
            await press(pilot, *keys)

    return run_before


@pytest.mark.parametrize("keys", [
    pytest.param((), id="main_screen"),
    pytest.param(("slash", *"smith"), id="main_screen_searching"),
    pytest.param(("ctrl+t", "f2"), id="organizations_light_theme"),
    pytest.param(("enter",), id="contact_form"),
    pytest.param(("f1",), id="help_screen"),
])
def test_screen(snap_compare, directory, keys):
    assert snap_compare(make_app(directory), terminal_size=SIZE, run_before=after(*keys))


@pytest.mark.parametrize("size", [pytest.param((80, 24), id="80x24"), pytest.param((140, 45), id="140x45")])
def test_main_screen_at_common_terminal_sizes(snap_compare, directory, size):
    """Headings, every column and the footer's keys (Help first) fit a small terminal and a large one."""
    assert snap_compare(make_app(directory), terminal_size=size, run_before=after())


def test_import_screen_after_a_dry_run(snap_compare, directory, tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("Contact First Name,Contact Last Name,Contact Cell Phone\nAda,Lovelace,+1 415 555 2671\n"
                      "Grace,,12ab\n", encoding="utf-8")

    async def run_before(pilot) -> None:
        await settle(pilot)
        await press(pilot, "f7")
        pilot.app.screen.query_one("#path").value = "people.csv"  # a short path: the same on every machine
        await pilot.pause()
        pilot.app.screen.query_one("#path").value = str(source)
        await pilot.click("#check")
        await settle(pilot)
        pilot.app.screen.query_one("#path").value = "people.csv"
        await pilot.pause()

    assert snap_compare(make_app(directory), terminal_size=SIZE, run_before=run_before)
