"""Text from records and files stays text: control characters and direction overrides are refused on the way in,
and records that already hold them (stored by an older release) show them as stand-ins in the terminal UI, the CLI
and Slack, where nothing they hold can run or format."""

from __future__ import annotations

import re

import pytest
from textual.geometry import Region

from core.errors import ValidationFailed
from core.policy import Actor
from core.text import CONTROL_RULE
from tests.conftest import open_directory, store
from tests.test_cli import run
from tests.tui.conftest import make_app, settle

ADMIN = Actor("admin")
ATTACK = "\x1b[2J\x1b]0;PWNED\x07"
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plant(directory, first_name: str) -> int:
    """A contact stored as an older release could have stored it, past today's checks."""
    record = directory.create(ADMIN, "contact", {"first_name": "Placeholder", "last_name": "Mallory",
                                                 "title": "Head of Ops", "phones": [{"raw": "+1 415 555 2671"}]})
    document = store(directory).get("contacts", record.id)
    with store(directory).transaction():
        store(directory).replace("contacts", record.id, {**document, "first_name": first_name,
                                                         "title": "Evil \u202eexe.txt"})
    directory.refresh(ADMIN)
    return record.id


@pytest.mark.parametrize("field, value", [
    ("first_name", ATTACK), ("last_name", "Lee\u202e"), ("title", "a\x85b"), ("first_name", "Bell\x07"),
])
def test_control_characters_are_refused_on_the_way_in_naming_the_field(directory, field, value):
    data = {"first_name": "Ann", "last_name": "Lee", field: value}
    with pytest.raises(ValidationFailed) as refused:
        directory.create(ADMIN, "contact", data)
    [problem] = refused.value.problems
    assert problem.field == field and problem.message == CONTROL_RULE


def test_a_note_keeps_its_line_breaks_but_not_escapes(directory):
    record = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee"})
    assert directory.add_note(ADMIN, "contact", record.id, "Line one\n\tLine two").text == "Line one\n\tLine two"
    with pytest.raises(ValidationFailed, match="control characters"):
        directory.add_note(ADMIN, "contact", record.id, "ring \x07 the bell")


async def test_the_terminal_ui_shows_stored_escapes_as_stand_ins(directory):
    plant(directory, ATTACK)
    async with make_app(directory).run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the form too
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        drawn = []
        for widget in pilot.app.screen.walk_children():
            if widget.display and widget.region.area:
                for strip in widget.render_lines(Region(0, 0, widget.region.width, widget.region.height)):
                    drawn.append("".join(segment.text for segment in strip))
        screen = "\n".join(drawn)
        assert "␛[2J␛]0;PWNED␇" in screen and "Evil �exe.txt" in screen
        assert not RAW_CONTROLS.search(screen)


def test_contacts_lookup_prints_stand_ins(tmp_path):
    data_dir = tmp_path / "data"
    directory = open_directory(data_dir)
    plant(directory, ATTACK)
    directory.close()
    result = run(data_dir, "lookup", "mallory")
    assert result.returncode == 0 and "␛[2J␛]0;PWNED␇" in result.stdout
    assert not RAW_CONTROLS.search(result.stdout)
    as_json = run(data_dir, "lookup", "--json", "mallory")
    assert "\\u001b[2J" in as_json.stdout and "\x1b" not in as_json.stdout  # JSON escapes them: exact, inert


def test_notes_stored_before_the_rule_are_still_read(directory):
    record_id = plant(directory, "Mallory")
    note = directory.add_note(ADMIN, "contact", record_id, "placeholder")
    document = store(directory).get("notes", note.id)
    with store(directory).transaction():
        store(directory).replace("notes", note.id, {**document, "text": f"Call {ATTACK} back"})
    directory.refresh(ADMIN)
    assert [n.text for n in directory.notes(ADMIN, "contact", record_id)] == [f"Call {ATTACK} back"]
    assert directory.profile(ADMIN, "contact", record_id).notes[0].text.startswith("Call \x1b")
