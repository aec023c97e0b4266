"""Divisions in the terminal UI: moving a record, managing divisions, and what a person limited to some sees."""

from __future__ import annotations

from textual.widgets import Button, Input, OptionList, Select, Static

from core.policy import Actor
from tests.conftest import open_directory
from tests.tui.conftest import ADMIN, SIZE, make_app, press, settle
from tui.app import ContactsApp
from tui.screens.divisions import DivisionsManager, MoveDialog
from tui.widgets.detail import DetailPane
from tui.widgets.record_list import RecordList

HOME_VIEWER = Actor("vic")


def detail_text(app) -> str:
    return str(app.screen.query_one(DetailPane).query_one("#detail-body", Static).render())


def list_lines(app) -> list[str]:
    records = app.screen.query_one(RecordList)
    return [records.render_line(y).text.rstrip() for y in range(min(records.length, records.size.height))]


async def test_f9_moves_the_highlighted_contact_keeping_its_id_and_notes(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        record_id = pilot.app.screen.query_one(RecordList).highlighted
        before = directory.get_contact(ADMIN, record_id)
        notes = directory.notes(ADMIN, "contact", record_id)
        target = "EMEA" if before.division != "EMEA" else "Home"
        await press(pilot, "f9")
        dialog = pilot.app.screen
        assert isinstance(dialog, MoveDialog)
        question = " ".join(str(s.render()) for s in dialog.query(Static))
        assert f"from division {before.division}" in question and "notes, interactions and history" in question
        assert dialog.query_one("#move", Button).disabled  # until a division is chosen
        dialog.query_one(Select).value = target
        await settle(pilot)
        await pilot.click("#move")
        await settle(pilot)
        moved = directory.get_contact(ADMIN, record_id)
        assert (moved.id, moved.division, moved.full_name) == (record_id, target, before.full_name)
        assert directory.notes(ADMIN, "contact", record_id) == notes
        assert directory.history(ADMIN, "contact", record_id)[0].action == "move"
        assert f"Division  {target}" in detail_text(pilot.app) or target in detail_text(pilot.app)


async def test_escape_leaves_the_move_dialog_without_moving(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        record_id = pilot.app.screen.query_one(RecordList).highlighted
        before = directory.get_contact(ADMIN, record_id)
        await press(pilot, "f9")
        pilot.app.screen.query_one(Select).value = "EMEA" if before.division != "EMEA" else "Home"
        await press(pilot, "escape")
        assert not isinstance(pilot.app.screen, MoveDialog)
        assert directory.get_contact(ADMIN, record_id).version == before.version


async def test_f10_adds_renames_and_describes_divisions(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f10")
        manager = pilot.app.screen
        assert isinstance(manager, DivisionsManager)
        listed = [str(manager.query_one(OptionList).get_option_at_index(i).prompt)
                  for i in range(manager.query_one(OptionList).option_count)]
        assert any(line.startswith("EMEA") and "records" in line for line in listed)
        await press(pilot, "a")
        await press(pilot, *"APAC")
        manager.query_one("#division-description", Input).value = "Served from Singapore"
        await press(pilot, "enter")
        assert [d.description for d in directory.divisions() if d.name == "APAC"] == ["Served from Singapore"]
        options = manager.query_one(OptionList)
        options.highlighted = next(i for i in range(options.option_count) if options.get_option_at_index(i).id == "APAC")
        options.focus()
        manager.query_one("#division-name", Input).value = "Asia Pacific"
        await press(pilot, "r")
        assert "Asia Pacific" in [d.name for d in directory.divisions()]
        manager.query_one("#division-name", Input).value = "EMEA"  # taken: refused, and said why
        await press(pilot, "r")
        assert "exists already" in str(manager.query_one("#manager-error").render())
        assert "Asia Pacific" in [d.name for d in directory.divisions()]


async def test_a_home_viewer_never_sees_an_emea_organization_through_its_contacts(tmp_path):
    directory = open_directory(tmp_path / "data", '[access.default]\nrole = "admin"\n'
                                                  '[access.users.vic]\nrole = "viewer"\ndivisions = ["Home"]\n')
    directory.create_division(ADMIN, "EMEA")
    zenith = directory.create(ADMIN, "organization", {"name": "Zenith Freight", "division": "EMEA",
                                                      "industry": "Shipping"})
    directory.create(ADMIN, "contact", {"first_name": "Zed", "last_name": "Home", "organization_id": zenith.id,
                                        "phones": [{"raw": "+1 415 555 0101"}]})
    try:
        async with ContactsApp(directory, HOME_VIEWER).run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert list_lines(pilot.app)[0].startswith("Zed Home")
            assert "Zenith" not in "\n".join(list_lines(pilot.app)) and "Zenith" not in detail_text(pilot.app)
            await press(pilot, "ctrl+t")
            assert list_lines(pilot.app) == []
            await press(pilot, "ctrl+t", "slash", *"zenith")
            assert list_lines(pilot.app) == []  # not found through the contact linked to it either
    finally:
        directory.close()
