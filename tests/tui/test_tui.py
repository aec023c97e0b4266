"""The terminal UI driven as an admin would drive it, checked on screen and on disk."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Button, Input, Static, TextArea

from tests.conftest import open_directory, store
from tests.tui.conftest import ADMIN, SIZE, make_app, new_contact_form, new_contact_with_a_phone, press, settle
from tui.screens.record_form import RecordForm
from tui.widgets.detail import DetailPane
from tui.widgets.record_list import RecordList

pytestmark = pytest.mark.both_stores  # run on the embedded store and on PostgreSQL


def detail_text(app) -> str:
    return str(app.screen.query_one(DetailPane).query_one("#detail-body", Static).render())


def count_text(app) -> str:
    return str(app.screen.query_one("#count", Static).render())


def list_lines(app) -> list[str]:
    records = app.screen.query_one(RecordList)
    return [records.render_line(y).text.rstrip() for y in range(min(records.length, records.size.height))]


async def search(pilot, text: str) -> None:
    await press(pilot, "slash", *text)


async def test_lists_every_contact_in_name_order_with_the_first_in_full(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert count_text(pilot.app) == "60 contacts"
        first = directory.rows(ADMIN, "contact", directory.browse(ADMIN, "contact").window(0, 1))[0]
        assert list_lines(pilot.app)[0].startswith(first.name)
        assert first.name in detail_text(pilot.app) and "Notes (1)" in detail_text(pilot.app)


async def test_a_number_typed_in_another_format_finds_the_contact(directory):
    contact = directory.get_contact(ADMIN, 7)
    e164 = contact.phones[0].e164
    typed = f"{e164[:3]} {e164[3:6]} {e164[6:]}"
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await search(pilot, typed)
        assert count_text(pilot.app).startswith("1 contact matching")
        assert contact.full_name in detail_text(pilot.app)
        assert "SMS on" in detail_text(pilot.app) or "SMS off" in detail_text(pilot.app)


async def test_escape_leaves_the_search_then_clears_it_and_arrows_move_the_detail(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await search(pilot, "zzzz-nobody")
        assert count_text(pilot.app) == "0 contacts matching zzzz-nobody"
        assert "Nothing selected" in detail_text(pilot.app)
        await press(pilot, "escape")  # out of the search box, the search kept
        assert isinstance(pilot.app.focused, RecordList) and count_text(pilot.app).startswith("0 contacts")
        await press(pilot, "escape")  # again: the search cleared
        assert count_text(pilot.app) == "60 contacts"
        second = directory.rows(ADMIN, "contact", directory.browse(ADMIN, "contact").window(1, 2))[0]
        await press(pilot, "down")
        assert second.name in detail_text(pilot.app)


async def test_down_or_enter_in_the_search_box_go_to_the_results(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        for key in ("down", "enter"):
            await search(pilot, "brown")
            assert isinstance(pilot.app.focused, Input)
            await press(pilot, key)
            assert isinstance(pilot.app.focused, RecordList)
            assert "Brown" in list_lines(pilot.app)[0]
            await press(pilot, "enter")
            assert isinstance(pilot.app.screen, RecordForm)  # Enter on the list opens the highlighted record
            await press(pilot, "escape")


async def test_the_list_has_column_headings(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        heading = str(pilot.app.screen.query_one("#heading").render())
        assert heading.split() == ["Name", "Organization", "Phone", "Division", "Surveys"]
        flagged = next(line for line in list_lines(pilot.app) if line.endswith("no surveys"))
        assert heading.index("Surveys") == flagged.index("no surveys")  # the columns line up
        assert heading.index("Phone") == next(i for i, c in enumerate(flagged) if c == "+" or c.isdigit())
        await press(pilot, "ctrl+t")
        assert str(pilot.app.screen.query_one("#heading").render()).split() == ["Name", "Industry", "Phone",
                                                                                "Division"]


async def test_organizations_tab(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+t")
        assert count_text(pilot.app) == "3 organizations"
        assert "Contacts (" in detail_text(pilot.app)


async def test_create_a_contact_with_errors_shown_at_the_field(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+n")
        form = pilot.app.screen
        assert isinstance(form, RecordForm)
        form.query_one("#f-first_name", Input).value = "Zed"
        form.query_one("#f-last_name", Input).value = "Quinn"
        form.query_one("#add-emails", Button).press()
        form.query_one("#add-phones", Button).press()
        await settle(pilot)
        email_row, phone_row = form.query("#section-emails .list-row").first(), form.query("#section-phones .list-row").first()
        email_row.query_one(".text", Input).value = "zed@"
        phone_row.query_one(".text", Input).value = "(415) 555-0123"
        await press(pilot, "ctrl+s")
        error = email_row.query_one(".row-error")
        assert error.display and "valid email address" in str(error.render())
        assert directory.lookup(ADMIN, "(415) 555-0123").contacts == []
        email_row.query_one(".text", Input).value = "zed@quinn.example"
        await press(pilot, "ctrl+s")
        assert not isinstance(pilot.app.screen, RecordForm)
        [created] = directory.lookup(ADMIN, "(415) 555-0123").contacts
        assert (created.full_name, created.emails[0].address, created.phones[0].sms) == ("Zed Quinn", "zed@quinn.example", False)
        assert "Zed Quinn" in detail_text(pilot.app)


async def test_a_record_saved_far_down_the_list_gets_the_cursor(directory):
    for n in range(120):  # more lines than a search reads around the cursor, so the record must be looked for
        directory.create(ADMIN, "contact", {"first_name": f"Extra{n:03d}", "last_name": "Middleton"})
    async with make_app(directory).run_test(size=SIZE) as pilot:
        form = await new_contact_form(pilot, "Zed", "Zzyzx")  # last in name order, line 180
        await press(pilot, "ctrl+s")
        records = pilot.app.screen.query_one(RecordList)
        [created] = directory.search(ADMIN, "zzyzx").hits
        assert not isinstance(pilot.app.screen, type(form))
        assert (records.cursor, records.highlighted) == (180, created.id)
        assert list_lines(pilot.app)[-1].startswith("Zed Zzyzx")  # scrolled to it


async def test_edit_keeps_division_read_only_and_guards_unsaved_changes(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        record_id = pilot.app.screen.query_one(RecordList).highlighted
        await press(pilot, "enter")
        form = pilot.app.screen
        assert any("press F9: Move" in str(s.render()) for s in form.query(Static))
        form.query_one("#f-title", Input).value = "Chief Buyer"
        await press(pilot, "escape")
        assert "Discard your changes?" in str(pilot.app.screen.query_one(".question", Static).render())
        await pilot.click("#no")
        await settle(pilot)
        await press(pilot, "ctrl+s")
        assert directory.get_contact(ADMIN, record_id).title == "Chief Buyer"


async def test_notes_are_added_and_blank_ones_refused(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        record_id = pilot.app.screen.query_one(RecordList).highlighted
        await press(pilot, "ctrl+o")
        await press(pilot, "ctrl+s")
        assert "text: is required" in str(pilot.app.screen.query_one("#note-error").render())
        pilot.app.screen.query_one(TextArea).text = "Called back; all sorted."
        await press(pilot, "ctrl+s")
        assert directory.notes(ADMIN, "contact", record_id)[0].text == "Called back; all sorted."
        assert "Called back; all sorted." in detail_text(pilot.app)


async def test_delete_asks_first(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        record_id = pilot.app.screen.query_one(RecordList).highlighted
        await press(pilot, "delete")
        await pilot.click("#no")
        await settle(pilot)
        assert store(directory).get("contacts", record_id) is not None
        await press(pilot, "delete")
        await pilot.click("#yes")
        await settle(pilot)
        assert store(directory).get("contacts", record_id) is None
        assert count_text(pilot.app) == "59 contacts"


async def test_changes_from_another_process_appear_without_a_restart(directory, tmp_path):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        bot = open_directory(tmp_path / "data")  # a second handle, as the bot would have
        bot.create(ADMIN, "contact", {"first_name": "Aaron", "last_name": "Aardvark"})
        bot.close()
        for _ in range(100):  # the screen looks for others' changes every second: until it has found this one
            await settle(pilot)
            if count_text(pilot.app) == "61 contacts":
                break
            await asyncio.sleep(0.05)
        assert count_text(pilot.app) == "61 contacts"
        assert list_lines(pilot.app)[0].startswith("Aaron Aardvark")


async def test_record_text_is_shown_literally(directory):
    directory.create(ADMIN, "contact", {"first_name": "[b]A", "last_name": "[/]Aa[link=x]"})
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert list_lines(pilot.app)[0].startswith("[b]A [/]Aa[link=x]")
        assert "[b]A [/]Aa[link=x]" in detail_text(pilot.app)


async def test_help_and_command_palette(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f1")
        assert type(pilot.app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        commands = {c.title for c in pilot.app.get_system_commands(pilot.app.screen)}
        assert {"New record", "Add note", "Delete record", "Switch contacts / organizations", "Help"} <= commands


async def test_theme_switches_between_dark_and_light(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.theme == "textual-dark"
        await pilot.press("f2")
        assert pilot.app.theme == "textual-light"


async def test_notes_can_be_edited_and_deleted(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        record_id = pilot.app.screen.query_one(RecordList).highlighted
        await press(pilot, "f3")
        await press(pilot, "e")
        pilot.app.screen.query_one(TextArea).text = "Rewritten note"
        await press(pilot, "ctrl+s")
        assert [n.text for n in directory.notes(ADMIN, "contact", record_id)] == ["Rewritten note"]
        await press(pilot, "d")
        await pilot.click("#yes")
        await settle(pilot)
        assert directory.notes(ADMIN, "contact", record_id) == []
        assert directory.history(ADMIN, "contact", record_id)[0].action == "note deleted"


async def test_relationships_of_an_organization(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+t")
        organization_id = pilot.app.screen.query_one(RecordList).highlighted
        await press(pilot, "f4")
        manager = pilot.app.screen
        manager.query_one("#user", Input).value = "Dana Fox"
        manager.query_one("#role", Input).value = "Support Engineer"
        manager.query_one("#add-relationship", Button).press()
        await settle(pilot)
        roles = [(r.role, r.user) for r in directory.relationships(ADMIN, organization_id)]
        assert ("Support Engineer", "Dana Fox") in roles
        manager.query_one("#role", Input).value = ""
        manager.query_one("#add-relationship", Button).press()
        await settle(pilot)
        assert "role" in str(manager.query_one("#manager-error").render())


async def test_custom_fields_can_be_added_and_disabled(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f5")
        manager = pilot.app.screen
        manager.query_one("#key", Input).value = "region_code"
        manager.query_one("#label", Input).value = "Region"
        manager.query_one("#type").value = "enum"
        manager.query_one("#options", Input).value = "NA, EMEA"
        manager.query_one("#add-field", Button).press()
        await settle(pilot)
        spec = directory.schema("contact").field("region_code")
        assert [o.value for o in spec.options] == ["NA", "EMEA"]
        manager.query_one("OptionList").highlighted = len(directory.schema("contact").fields) - 1
        await press(pilot, "d")
        assert directory.schema("contact").field("region_code").disabled


async def test_duplicates_are_merged_with_values_chosen_field_by_field(directory):
    first = directory.create(ADMIN, "contact", {"first_name": "Dupe", "last_name": "Zulu", "title": "Old title",
                                                "phones": [{"raw": "+1 415 555 0150"}]})
    second = directory.create(ADMIN, "contact", {"first_name": "Dupe", "last_name": "Zulu", "title": "New title",
                                                 "phones": [{"raw": "(415) 555-0150"}, {"raw": "+1 415 555 0151"}]})
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f6")
        groups = pilot.app.screen.query_one("#groups")
        index = next(i for i in range(groups.option_count) if groups.get_option_at_index(i).id == f"{first.id},{second.id}")
        groups.highlighted = index
        await press(pilot, "enter")
        merge = pilot.app.screen
        merge.query_one("#choice-title").value = second.id
        await settle(pilot)
        assert "New title" in str(merge.query_one("#preview").render())
        assert store(directory).get("contacts", second.id) is not None  # a preview changes nothing
        await press(pilot, "ctrl+s")
        await pilot.click("#yes")
        await settle(pilot)
    merged = directory.get_contact(ADMIN, first.id)
    assert merged.title == "New title" and [p.e164 for p in merged.phones] == ["+14155550150", "+14155550151"]
    assert store(directory).get("contacts", second.id) is None


async def test_create_an_organization_with_custom_fields(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+t")
        await press(pilot, "ctrl+n")
        form = pilot.app.screen
        form.query_one("#f-name", Input).value = "Zenith Towing"
        form.query_one("#f-websites", Input).value = "https://zenith.example, https://zenith.example/support"
        form.query_one("#f-tags", Input).value = "partner, smb"
        form.query_one("#f-phone .text", Input).value = "+1 212 555 0199"
        form.query_one("#c-contract_end", Input).value = "31/12/2027"
        await press(pilot, "ctrl+s")
        error = form.query_one("#error-custom-contract_end")
        assert error.display and "YYYY-MM-DD" in str(error.render())
        form.query_one("#c-contract_end", Input).value = "2027-12-31"
        form.query_one("#c-account_id", Input).value = "ACC-999"
        await press(pilot, "ctrl+s")
    [organization] = directory.lookup(ADMIN, "212-555-0199").organizations
    assert organization.name == "Zenith Towing" and organization.tags == ["partner", "smb"]
    assert organization.custom_fields == {"account_id": "ACC-999", "contract_end": "2027-12-31"}
    assert organization.websites == ["https://zenith.example", "https://zenith.example/support"]


async def test_the_organization_is_named_in_the_form(directory):
    organization = directory.browse(ADMIN, "organization").window(0, 1)[0]
    name = directory.get_organization(ADMIN, organization).name
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        record_id = pilot.app.screen.query_one(RecordList).highlighted
        await press(pilot, "enter")
        form = pilot.app.screen
        form.query_one("#f-organization", Input).value = "No Such Company"
        await press(pilot, "ctrl+s")
        assert "no organization has this name" in str(form.query_one("#error-organization_id").render())
        form.query_one("#f-organization", Input).value = name.upper()
        await press(pilot, "ctrl+s")
    assert directory.get_contact(ADMIN, record_id).organization_id == organization


async def test_a_search_longer_than_the_box_scrolls_to_keep_the_cursor_in_view(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        box = pilot.app.screen.query_one("#search", Input)
        await press(pilot, "slash", *("x" * 90))
        assert box.value == "x" * 90 and box.scroll_x > 0
        assert box.cursor_screen_offset.x < box.region.right


async def test_every_kind_of_demo_record_opens_in_the_form_and_saves_unchanged(directory):
    """Organizations in the demo data have a phone: their form once crashed the app on opening."""
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        for kind in ("contact", "organization"):
            if kind == "organization":
                await press(pilot, "ctrl+t")
            record_id = pilot.app.screen.query_one(RecordList).highlighted
            before = directory.get(ADMIN, kind, record_id)
            await press(pilot, "enter")
            assert isinstance(pilot.app.screen, RecordForm)
            if kind == "organization":
                assert pilot.app.screen.query_one("#f-phone .text", Input).value == before.phone.raw
            await press(pilot, "ctrl+s")
            assert not isinstance(pilot.app.screen, RecordForm)
            assert directory.get(ADMIN, kind, record_id).version == before.version  # nothing changed, nothing written

async def test_a_phone_shows_what_it_reads_as_while_typed_and_keeps_its_region(directory):
    """A Berlin number typed nationally: read in the directory's region it is nothing; with DE it is found."""
    async with make_app(directory).run_test(size=(140, 45)) as pilot:
        _, row = await new_contact_with_a_phone(pilot, "Berta", "Berlin", "030 1234567")
        assert "not a number in US" in str(row.query_one(".phone-reading", Static).render())
        row.query_one(".region", Input).value = "de"
        row.query_one(".extension", Input).value = "12"
        await settle(pilot)
        assert str(row.query_one(".phone-reading", Static).render()) == "→ +49301234567 · DE · ext. 12"
        await press(pilot, "ctrl+s")
        assert not isinstance(pilot.app.screen, RecordForm)
    [berta] = directory.lookup(ADMIN, "+49 30 1234567").contacts  # as a screen pop would look her up
    assert (berta.phones[0].raw, berta.phones[0].region, berta.phones[0].extension) == ("030 1234567", "DE", "12")


async def test_text_that_is_not_a_number_is_refused_under_the_phone(directory):
    async with make_app(directory).run_test(size=(140, 45)) as pilot:
        _, row = await new_contact_with_a_phone(pilot, "Cal", "Maybe", "call me maybe")
        assert "not a phone number" in str(row.query_one(".phone-reading", Static).render())
        await press(pilot, "ctrl+s")
        assert isinstance(pilot.app.screen, RecordForm)  # refused: nothing saved
        assert "is not a phone number" in str(row.query_one(".row-error").render())
    assert directory.lookup(ADMIN, "cal maybe").contacts == []


async def test_every_problem_shows_at_once_and_the_first_gets_the_cursor(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        form = await new_contact_form(pilot, "Zed")
        form.query_one("#f-organization", Input).value = "No Such Company"
        form.query_one("#add-emails", Button).press()
        await settle(pilot)
        form.query("#section-emails .list-row").first().query_one(".text", Input).value = "zed@"
        await press(pilot, "ctrl+s")
        assert isinstance(pilot.app.screen, RecordForm)
        shown = {label.id or "row": str(label.render()) for label in form.query(".error") if label.display}
        assert shown["error-last_name"] == "is required"
        assert "no organization has this name" in shown["error-organization_id"]
        assert any("valid email address" in text for text in shown.values())
        assert pilot.app.focused is form.query_one("#f-last_name", Input)
        assert any("3 problems to fix" in str(n.message) for n in pilot.app._notifications)


async def test_a_problem_scrolled_out_of_sight_is_brought_into_view(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "enter")  # the highlighted contact; its custom fields are at the bottom of the form
        form = pilot.app.screen
        form.query_one("#c-customer_id", Input).value = "x" * 101
        form.query_one("#f-first_name", Input).focus()
        await settle(pilot)
        await press(pilot, "ctrl+s")
        assert pilot.app.focused is form.query_one("#c-customer_id", Input)
        error = form.query_one("#error-custom-customer_id")
        assert "at most 100 characters" in str(error.render())
        visible = form.query_one("#form").scrollable_content_region
        assert visible.y <= error.region.y < visible.bottom


async def test_delete_names_the_record_defaults_to_cancel_and_keeps_the_cursor_in_place(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "down", "down")
        records = pilot.app.screen.query_one(RecordList)
        doomed, after = records.id_at(2), records.id_at(3)
        row = directory.rows(ADMIN, "contact", [doomed])[0]
        await press(pilot, "delete")
        question = str(pilot.app.screen.query_one(".question", Static).render())
        assert question.startswith(f"Delete contact {row.name} (") and f"id {doomed})?" in question
        await press(pilot, "enter")  # Enter alone cancels: the focus starts on Cancel
        assert directory.records(ADMIN, "contact", [doomed])
        await press(pilot, "delete")
        await pilot.click("#yes")
        await settle(pilot)
        assert directory.records(ADMIN, "contact", [doomed]) == []
        assert (records.cursor, records.highlighted) == (2, after)


async def test_history_shows_before_and_after_of_every_change_notes_included(directory):
    record_id = directory.browse(ADMIN, "contact").window(0, 1)[0]
    before = directory.get_contact(ADMIN, record_id)
    directory.update(ADMIN, "contact", record_id, {"title": "Chief Buyer"})
    note = directory.add_note(ADMIN, "contact", record_id, "Wants a call on Monday")
    directory.edit_note(ADMIN, note.key, "Wants a call on Tuesday")
    async with make_app(directory).run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        shown = detail_text(pilot.app)
        assert f"title: {before.title} → Chief Buyer" in shown
        assert f"note {note.key}: Wants a call on Monday → Wants a call on Tuesday" in shown


async def test_tab_takes_the_organization_name_suggested_and_the_contact_saves(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        form = await new_contact_form(pilot, "Tab", "Taker")
        form.query_one("#f-organization", Input).focus()
        await press(pilot, *"falc")
        await press(pilot, "tab")
        assert form.query_one("#f-organization", Input).value == "Falcon Bank"
        await press(pilot, "tab")  # nothing more to take: on to the next field
        assert pilot.app.focused is not form.query_one("#f-organization", Input)
        await press(pilot, "ctrl+s")
        assert not isinstance(pilot.app.screen, RecordForm)
    [saved] = directory.lookup(ADMIN, "tab taker").contacts
    assert directory.get_organization(ADMIN, saved.organization_id).name == "Falcon Bank"


async def test_a_relationship_suggests_people_already_named(directory):
    async with make_app(directory).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+t", "f4")
        manager = pilot.app.screen
        known = directory.known_people(ADMIN)
        assert known  # the demo's account managers
        manager.query_one("#user", Input).focus()
        await press(pilot, *known[0][:4].lower(), "tab")
        assert manager.query_one("#user", Input).value == known[0]


async def test_marked_pairs_merge_together_and_the_merge_screen_names_organizations(directory):
    acme = directory.create(ADMIN, "organization", {"name": "Acme Towing"})
    triplets = [directory.create(ADMIN, "contact", {"first_name": "Trip", "last_name": "Lett", "organization_id": acme.id,
                                                    "title": f"Title {n}"}) for n in range(3)]
    async with make_app(directory).run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        await press(pilot, "f6")
        screen = pilot.app.screen
        assert "likely pair" in str(screen.query_one("#duplicates-progress").render())
        groups = screen.query_one("#groups")
        assert groups.highlighted == 0  # Enter works at once
        keys = [groups.get_option_at_index(i).id for i in range(groups.option_count)]
        ours = [k for k in keys if set(map(int, k.split(","))) <= {t.id for t in triplets}]
        assert len(ours) == 3  # three pairs among three namesakes at one company
        for key in ours[:2]:
            groups.highlighted = keys.index(key)
            await press(pilot, "space")
        assert str(groups.get_option(ours[0]).prompt).startswith("[x]")
        await press(pilot, "enter")
        merge = pilot.app.screen
        assert sorted(merge.ids) == sorted(t.id for t in triplets)  # the marked pairs' contacts, all three
        assert str(merge.query_one("#survivor #label").render()) == f"Trip Lett (id {triplets[0].id})"


async def test_the_merge_screen_names_organizations(directory):
    acme = directory.create(ADMIN, "organization", {"name": "Acme Towing"})
    globex = directory.create(ADMIN, "organization", {"name": "Globex"})
    for organization in (acme, globex):
        directory.create(ADMIN, "contact", {"first_name": "Moe", "last_name": "Ved", "organization_id": organization.id,
                                            "emails": [{"address": "moe@ved.example"}]})
    async with make_app(directory).run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        await press(pilot, "f6", "enter")
        chosen = pilot.app.screen.query_one("#choice-organization_id #label")
        assert str(chosen.render()).startswith("Acme Towing (id ")
