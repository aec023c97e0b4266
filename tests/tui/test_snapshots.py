"""What the screens look like, compared with approved snapshots (`pytest --snapshot-update` to approve changes)."""

from __future__ import annotations

from tests.tui.conftest import SIZE, make_app, settle


def test_main_screen(snap_compare, directory):
    assert snap_compare(make_app(directory), terminal_size=SIZE, run_before=settle)


def test_main_screen_searching(snap_compare, directory):
    async def search(pilot):
        await pilot.press("slash", *"smith")
        await pilot.pause(0.4)
        await settle(pilot)

    assert snap_compare(make_app(directory), terminal_size=SIZE, run_before=search)


def test_organizations_light_theme(snap_compare, directory):
    async def organizations(pilot):
        await pilot.press("ctrl+t", "f2")
        await settle(pilot)

    assert snap_compare(make_app(directory), terminal_size=SIZE, run_before=organizations)


def test_contact_form(snap_compare, directory):
    async def edit(pilot):
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(directory), terminal_size=SIZE, run_before=edit)


def test_help_screen(snap_compare, directory):
    async def help_screen(pilot):
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(directory), terminal_size=SIZE, run_before=help_screen)
