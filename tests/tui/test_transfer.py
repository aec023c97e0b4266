"""Import and export from the terminal UI: a dry run first, then the import, the list updated, the file on disk."""

from __future__ import annotations

import csv

import pytest
from textual.widgets import Input, ProgressBar, RichLog, Select, Static

from tests.conftest import store
from tests.tui.conftest import ADMIN, SIZE, make_app, press, settle
from tui.screens.transfer import ExportScreen, ImportScreen

ROWS = ("Contact ID,Contact First Name,Contact Last Name,Contact Cell Phone,Account Name\n"
        "X1,Imported,Person,+1 415 555 2671,Imported Org\n"
        "X2,Broken,,+1 415 555 0100,\n")


def summary(app) -> str:
    return str(app.screen.query_one("#summary", Static).render())


def report_lines(app) -> list[str]:
    return [strip.text.rstrip() for strip in app.screen.query_one("#report", RichLog).lines]


async def type_path(pilot, path) -> None:
    pilot.app.screen.query_one("#path", Input).value = str(path)
    await pilot.pause()


async def run_on(pilot, key: str, path, button: str) -> None:
    """Open the import (F7) or export (F8) screen, name the file, press the button, wait for the work."""
    await press(pilot, key)
    await type_path(pilot, path)
    await pilot.click(button)
    await settle(pilot)


async def test_check_then_import_a_csv(directory, tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(ROWS, encoding="utf-8")
    before = store(directory).count("contacts")
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f7")
        assert isinstance(pilot.app.screen, ImportScreen)
        await type_path(pilot, source)
        await pilot.click("#check")
        await settle(pilot)
        assert summary(pilot.app).startswith("2 rows: 1 to create, 0 to update, 0 unchanged, 1 rejected")
        assert "nothing was written" in summary(pilot.app)
        assert report_lines(pilot.app)[:3] == ["line 3: error contact Broken", "    Contact Last Name: is required",
                                               "line 2: create contact Imported Person (contact 61)"]
        assert store(directory).count("contacts") == before
        await pilot.click("#import")
        await settle(pilot)
        assert pilot.app.screen.query_one("#progress", ProgressBar).percentage == 1
        assert summary(pilot.app).startswith("2 rows: 1 created")
        assert "Rejected rows are in" in summary(pilot.app) and (tmp_path / "people.rejects.csv").exists()
        await press(pilot, "escape")
        assert not isinstance(pilot.app.screen, ImportScreen)
        assert str(pilot.app.screen.query_one("#count", Static).render()) == f"{before + 1} contacts"
    assert directory.lookup(ADMIN, "(415) 555-2671").contacts[0].full_name == "Imported Person"


async def test_a_file_that_cannot_be_read_is_explained(directory, tmp_path):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await run_on(pilot, "f7", tmp_path / "missing.csv", "#import")
        assert "cannot be read: No such file or directory" in summary(pilot.app)


async def test_export_writes_the_file(directory, tmp_path):
    target = tmp_path / "out" / "all.csv"
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await run_on(pilot, "f8", target, "#export")
        assert isinstance(pilot.app.screen, ExportScreen)
        assert summary(pilot.app) == (f"Exported 60 records to {target}.\nNot in this format: divisions, note "
                                      "authors and times, relationships, interactions, history.")
        written = target.stat().st_mtime_ns
        await pilot.click("#export")  # again: the file is there now
        await settle(pilot)
        assert "exists. Replace it?" in str(pilot.app.screen.query_one(".question", Static).render())
        await pilot.click("#no")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ExportScreen) and target.stat().st_mtime_ns == written
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    names = sorted(f"{r['Contact First Name']} {r['Contact Last Name']}" for r in rows)
    assert names == sorted(c.first_name + " " + c.last_name
                           for c in directory.records(ADMIN, "contact", store(directory).ids("contacts")))


async def test_export_to_an_unknown_format_is_refused(directory, tmp_path):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await run_on(pilot, "f8", tmp_path / "all.xlsx", "#export")
        assert "names no format (.csv, .vcf, .jsonl)" in summary(pilot.app)
        assert not (tmp_path / "all.xlsx").exists()


async def test_a_file_can_be_picked_from_the_folder(directory, tmp_path):
    (tmp_path / "people.csv").write_text(ROWS, encoding="utf-8")
    (tmp_path / "notes.txt.bak").write_text("not importable", encoding="utf-8")
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await press(pilot, "f7")
        await type_path(pilot, tmp_path)
        await pilot.click("#browse")
        files = pilot.app.screen.query_one("#files")
        while not files.root.children:  # the tree reads the folder in a worker that runs while it is shown
            await pilot.pause(0.05)
        shown = sorted(str(node.label) for node in files.root.children)
        assert shown == ["data", "people.csv"]  # folders, and files import reads
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert pilot.app.screen.query_one("#path", Input).value == str(tmp_path / "people.csv")
        assert not pilot.app.screen.query("#files")
        await pilot.click("#check")
        await settle(pilot)
        assert summary(pilot.app).startswith("2 rows: 1 to create")


async def test_a_file_in_another_encoding_says_where_to_name_it_and_then_imports(directory, tmp_path):
    source = tmp_path / "excel.csv"
    source.write_text("Contact First Name,Contact Last Name\nZoë,Müller\n", encoding="cp1252")
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await run_on(pilot, "f7", source, "#check")
        assert "is not UTF-8 text" in summary(pilot.app) and "(type its encoding under Encoding)" in summary(pilot.app)
        pilot.app.screen.query_one("#encoding", Input).value = "cp1252"
        await pilot.click("#import")
        await settle(pilot)
        assert summary(pilot.app).startswith("1 rows: 1 created")
    assert "Zoë Müller" in [c.full_name for c in directory.lookup(ADMIN, "zoë müller").contacts]


async def test_export_of_what_the_search_found(directory, tmp_path):
    target = tmp_path / "found.vcf"
    [one] = directory.records(ADMIN, "contact", store(directory).ids("contacts")[:1])
    async with make_app(directory).run_test(size=SIZE) as pilot:
        pilot.app.screen.query_one("#search", Input).value = one.last_name
        await settle(pilot)
        await run_on(pilot, "f8", target, "#export")
        found = directory.browse(ADMIN, "contact", one.last_name).window(0, 100)
        assert summary(pilot.app).startswith("Exported ")
    text = target.read_text(encoding="utf-8")
    people = text.count("BEGIN:VCARD") - text.count("X-ABShowAs:COMPANY")
    assert people == len(found) and one.last_name in text
    assert len(found) < store(directory).count("contacts")


async def test_import_a_google_export_chosen_under_from(directory, tmp_path):
    source = tmp_path / "google.csv"
    source.write_text("First Name,Last Name,Phone 1 - Label,Phone 1 - Value,Nickname\n"
                      "Grace,Hopper,Work Fax,+1 415 555 0177,Amazing Grace\n", encoding="utf-8")
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await run_on(pilot, "f7", source, "#import")
        refused = summary(pilot.app)
        assert "looks like a Google Contacts export: import it with the google preset" in refused
        assert refused.endswith("(choose it under From)")
        pilot.app.screen.query_one("#preset", Select).value = "google"
        await pilot.click("#import")
        await settle(pilot)
        assert summary(pilot.app).startswith("1 rows: 1 created")
        assert "Not kept (the directory has no place for them): Nickname (1 row)" in summary(pilot.app)
    [grace] = directory.lookup(ADMIN, "+1 415 555 0177").contacts
    assert grace.phones[0].kind.value == "fax"



@pytest.mark.parametrize("ok, said", [(True, "Salesforce synced"), (False, "Salesforce sync FAILED")])
async def test_the_header_says_how_the_last_sync_went(directory, ok, said):
    directory.record_sync(ADMIN, "salesforce", ok=ok, outcome="whatever happened")
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert said in pilot.app.sub_title and "as admin" in pilot.app.sub_title
