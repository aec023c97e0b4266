"""What the screens look like at a small terminal (80×24) and a large one (140×45), compared with approved
snapshots (`pytest --snapshot-update` to approve changes, after looking at them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.tui.conftest import ADMIN, make_app, new_contact_form, new_contact_with_a_phone, press, settle

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((140, 45), id="140x45")]
Steps = Callable[..., Awaitable[None]]


def keys(*pressed: str) -> Steps:
    async def steps(pilot, directory, tmp_path: Path) -> None:
        await press(pilot, *pressed)

    return steps


async def a_berlin_number_typed(pilot, directory, tmp_path: Path) -> None:
    _, row = await new_contact_with_a_phone(pilot, "Berta", "Berlin", "030 1234567")
    row.query_one(".region", Input).value = "DE"
    row.query_one(".extension", Input).value = "12"
    await settle(pilot)


async def saved_with_problems(pilot, directory, tmp_path: Path) -> None:
    form = await new_contact_form(pilot, "Zed")
    form.query_one("#f-organization", Input).value = "No Such Company"
    await press(pilot, "ctrl+s")


async def a_relationship_suggested(pilot, directory, tmp_path: Path) -> None:
    await press(pilot, "ctrl+t", "f4")
    pilot.app.screen.query_one("#user", Input).focus()
    await press(pilot, *directory.known_people(ADMIN)[0][:4].lower())


async def an_import_checked(pilot, directory, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("Contact First Name,Contact Last Name,Contact Cell Phone\nAda,Lovelace,+1 415 555 2671\n"
                      "Grace,,12ab\n", encoding="utf-8")
    await press(pilot, "f7")
    path = pilot.app.screen.query_one("#path", Input)
    path.value = str(source)
    await pilot.click("#check")
    await settle(pilot)
    path.value = "people.csv"  # a short path: the same on every machine
    await settle(pilot)


def namesakes(directory) -> None:
    """Three people of one name at one company: three likely pairs for the duplicate finder."""
    acme = directory.create(ADMIN, "organization", {"name": "Acme Towing"})
    for n in range(3):
        directory.create(ADMIN, "contact", {"first_name": "Trip", "last_name": "Lett", "organization_id": acme.id,
                                            "title": f"Title {n}"})


def a_changed_first_contact(directory) -> None:
    record_id = directory.browse(ADMIN, "contact").window(0, 1)[0]
    directory.update(ADMIN, "contact", record_id, {"title": "Chief Buyer"})
    note = directory.add_note(ADMIN, "contact", record_id, "Wants a call on Monday")
    directory.edit_note(ADMIN, note.key, "Wants a call on Tuesday")


def nothing(directory) -> None:
    pass


# What #12 asked for, screen by screen: (what is in the directory first, what a person does)
SCREENS = {
    "main_screen": (nothing, keys()),
    "searched_then_down_into_the_list": (nothing, keys("slash", *"smith", "down")),
    "organizations_in_the_light_theme": (nothing, keys("f2", "ctrl+t")),
    "an_organization_with_a_phone_in_the_form": (nothing, keys("ctrl+t", "enter")),
    "a_contact_in_the_form": (nothing, keys("enter")),
    "a_phone_read_as_typed": (nothing, a_berlin_number_typed),
    "every_problem_at_once": (nothing, saved_with_problems),
    "delete_asks_naming_the_record": (nothing, keys("delete")),
    "history_before_and_after": (a_changed_first_contact, keys("tab", "end")),  # Tab: on to the record in full
    "duplicate_pairs_with_reasons": (namesakes, keys("f6")),
    "the_merge_screen": (namesakes, keys("f6", "enter")),
    "a_relationship_suggests_a_person": (nothing, a_relationship_suggested),
    "import_after_a_dry_run": (nothing, an_import_checked),
    "help": (nothing, keys("f1")),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, directory, tmp_path, screen, size):
    prepare, steps = SCREENS[screen]
    prepare(directory)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await steps(pilot, directory, tmp_path)

    assert snap_compare(make_app(directory), terminal_size=size, run_before=run_before)
