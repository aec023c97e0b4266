"""Buttons, modals, the message shortcut and the contact picker, over real HTTP."""

from __future__ import annotations

import json

from tests.bot.blockkit import buttons, shown
from tests.bot.conftest import ADMIN

ANN = json.dumps({"kind": "contact", "id": 1})


def opened_view(fake_slack) -> dict:
    return fake_slack.wait("/api/views.open")[-1].params["view"]


def test_view_button_shows_the_card_to_the_clicker_only(slack, fake_slack):
    slack.action("view_record", ANN, user="U0AGENT")
    reply = fake_slack.reply("r2")
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert "Ann Lee" in shown(reply["blocks"])
    assert "Edit" not in buttons(reply["blocks"])  # agents may add notes, not edit


def test_share_posts_only_name_and_organization_to_the_channel(slack, fake_slack):
    slack.action("share_record", ANN)
    reply = fake_slack.reply("r2")
    assert reply["response_type"] == "in_channel"
    assert shown(reply["blocks"]) == "*Ann Lee* · Acme Towing\nView details"
    assert "415" not in json.dumps(reply)


def card_button(slack, fake_slack, label: str, response: str) -> dict:
    slack.command("#1", response=response)
    return buttons(fake_slack.reply(response)["blocks"])[label]


def test_the_opt_out_button_changes_the_store_and_shows_the_new_state(slack, fake_slack, directory):
    button = card_button(slack, fake_slack, "Opt out of surveys", "card")
    slack.action(button["action_id"], button["value"], user="U0AGENT")
    reply = shown(fake_slack.reply("r2")["blocks"])
    assert "*Ann Lee* will get no automated surveys." in reply and "*Opted out of surveys*" in reply
    assert directory.get_contact(ADMIN, 1).survey_opt_out
    assert directory.history(ADMIN, "contact", 1)[0].actor == "U0AGENT"


def test_a_stale_opt_out_button_sets_what_it_showed_never_the_opposite(slack, fake_slack, directory):
    stale = card_button(slack, fake_slack, "Opt out of surveys", "card")  # drawn while surveys were allowed
    directory.set_survey_opt_out(ADMIN, 1, True)  # someone else opts Ann out meanwhile
    slack.action(stale["action_id"], stale["value"], user="U0AGENT")
    reply = shown(fake_slack.reply("r2")["blocks"])
    assert "had already opted out of surveys (changed since this card was drawn)" in reply
    assert directory.get_contact(ADMIN, 1).survey_opt_out  # still opted out: the customer's wish stands
    allow = card_button(slack, fake_slack, "Allow surveys", "card2")
    slack.action(allow["action_id"], allow["value"], user="U0AGENT", response="r3")
    assert "may get automated surveys again" in shown(fake_slack.reply("r3")["blocks"])
    assert not directory.get_contact(ADMIN, 1).survey_opt_out


def test_a_button_that_does_not_say_which_way_changes_nothing(slack, fake_slack, directory):
    slack.action("set_opt_out", ANN, user="U0AGENT")
    assert "does not say which way; nothing changed" in shown(fake_slack.reply("r2")["blocks"])
    assert not directory.get_contact(ADMIN, 1).survey_opt_out


def test_opt_out_button_asks_for_confirmation(slack, fake_slack):
    slack.command("#1")
    confirm = buttons(fake_slack.reply()["blocks"])["Opt out of surveys"]["confirm"]
    assert confirm["text"]["text"] == "Stop automated surveys for Ann Lee?"


def test_add_note_modal_saves_the_note(slack, fake_slack, directory):
    slack.action("open_note_modal", ANN, user="U0AGENT")
    view = opened_view(fake_slack)
    assert view["title"]["text"] == "Add note" and "Note on *Ann Lee*" in shown(view)
    answer = slack.view_submission(view, {"text": "Asked for a quote"}, user="U0AGENT")
    assert json.loads(answer.body)["response_action"] == "update"
    assert directory.notes(ADMIN, "contact", 1)[0].text == "Asked for a quote"


def test_a_blank_note_is_refused_inline(slack, fake_slack, directory):
    slack.action("open_note_modal", ANN)
    answer = slack.view_submission(opened_view(fake_slack), {"text": "   "})
    assert json.loads(answer.body) == {"response_action": "errors", "errors": {"text": "must not be blank"}}
    assert len(directory.notes(ADMIN, "contact", 1)) == 1


def test_message_shortcut_turns_a_message_into_a_note(slack, fake_slack, directory):
    message = {"type": "message", "ts": "1700000000.000100", "user": "U0CUSTOMER", "text": "Customer says the truck is late"}
    slack.message_shortcut(message)
    permalink_call = fake_slack.wait("/api/chat.getPermalink")[0]
    assert permalink_call.params["message_ts"] == "1700000000.000100"
    view = opened_view(fake_slack)
    assert view["blocks"][1]["element"]["initial_value"] == "Customer says the truck is late"

    options = json.loads(slack.options("contact_picker", "ann").body)["options"]
    assert options == [{"text": {"type": "plain_text", "text": "Ann Lee (Fleet Manager)"}, "value": "contact:1"}]
    answer = slack.view_submission(view, {"contact": {"value": "contact:1"}, "text": "Truck is late (edited)"})
    assert json.loads(answer.body)["response_action"] == "update"
    note = directory.notes(ADMIN, "contact", 1)[0]
    assert note.text == "Truck is late (edited)" and note.author == "U0ADMIN"
    assert note.source.channel_id == "C0CALLS"
    assert note.source.permalink == "https://acme.slack.com/archives/C0CALLS/p1700000000000100"


def test_the_picker_finds_by_number_too(slack, fake_slack):
    options = json.loads(slack.options("contact_picker", "415-555-2672").body)["options"]
    assert [o["value"] for o in options] == ["contact:1"]


def test_shortcut_needs_a_picked_contact(slack, fake_slack):
    slack.message_shortcut({"type": "message", "ts": "1.2", "text": "hi"})
    answer = slack.view_submission(opened_view(fake_slack), {"contact": None, "text": "hi"})
    assert json.loads(answer.body)["errors"] == {"contact": "Pick a contact from the list (type part of a name)"}


def test_a_long_message_is_cut_to_what_a_modal_holds(slack, fake_slack):
    slack.message_shortcut({"type": "message", "ts": "1.3", "text": "x" * 5000})
    view = opened_view(fake_slack)
    assert len(view["blocks"][1]["element"]["initial_value"]) == 3000
    assert "the rest was cut" in shown(view)


def test_a_message_without_text_still_opens_the_modal(slack, fake_slack):
    slack.message_shortcut({"type": "message", "ts": "1.4", "blocks": []})
    assert "initial_value" not in opened_view(fake_slack)["blocks"][1]["element"]


def test_create_from_an_unknown_number(slack, fake_slack, directory):
    slack.command("415.555.0000")
    create = buttons(fake_slack.reply()["blocks"])["Create contact"]
    slack.action("open_create_modal", create["value"])
    view = opened_view(fake_slack)
    bad = slack.view_submission(view, {"first_name": "Bo", "last_name": "", "title": None, "phone": "+14155550000",
                                       "email": "bo@"})
    errors = json.loads(bad.body)["errors"]
    assert set(errors) == {"last_name", "email"} and "valid email" in errors["email"]
    slack.view_submission(view, {"first_name": "Bo", "last_name": "Diaz", "title": None, "phone": "+14155550000",
                                 "email": None})
    assert [c.full_name for c in directory.lookup(ADMIN, "(415) 555-0000").contacts] == ["Bo Diaz"]


def test_edit_modal_updates_and_refuses_stale_saves(slack, fake_slack, directory):
    slack.action("open_edit_modal", ANN)
    view = opened_view(fake_slack)
    assert "Division *Home*" in shown(view)
    values = {"first_name": "Ann", "middle_name": None, "last_name": "Lee-Park", "title": "Director",
              "emails": "ann@acme.example\nann.park@home.example", "external_system_url": None}
    slack.view_submission(view, values)
    contact = directory.get_contact(ADMIN, 1)
    assert (contact.last_name, contact.title, contact.external_system_url) == ("Lee-Park", "Director", None)
    assert [e.address for e in contact.emails] == ["ann@acme.example", "ann.park@home.example"]
    stale = slack.view_submission(view, {**values, "title": "CEO"})  # the same modal, saved again
    said = shown(json.loads(stale.body)["view"])
    assert "Someone changed this contact after you opened the form" in said
    assert "U0ADMIN changed title: Fleet Manager → Director" in said and "last_name: Lee → Lee-Park" in said
    assert directory.get_contact(ADMIN, 1).title == "Director"  # theirs stands


def test_an_agent_cannot_save_an_edit(slack, fake_slack, directory):
    slack.action("open_edit_modal", ANN)
    view = opened_view(fake_slack)
    answer = slack.view_submission(view, {"first_name": "Evil", "middle_name": None, "last_name": "Lee",
                                          "title": None, "emails": "", "external_system_url": None}, user="U0AGENT")
    assert "only admins may" in shown(json.loads(answer.body)["view"])
    assert directory.get_contact(ADMIN, 1).first_name == "Ann"
