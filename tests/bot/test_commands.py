"""`/contact` over real HTTP: what the agent sees, and what is on disk afterwards."""

from __future__ import annotations

import pytest

from bot.settings import SlackSettings
from tests.bot.blockkit import assert_within_limits, buttons, shown
from tests.bot.conftest import ADMIN

pytestmark = pytest.mark.both_stores  # run on the embedded store and on PostgreSQL


def test_a_number_in_another_format_shows_the_callers_card(slack, fake_slack):
    answer = slack.command("(415) 555-2671")
    assert answer.status == 200 and answer.body == ""  # acknowledged at once; the card follows
    reply = fake_slack.reply()
    assert reply["response_type"] == "ephemeral"
    text = shown(reply["blocks"])
    for expected in ("Ann Lee", "Fleet Manager at Acme Towing", "*work* +1 415 555 2671", "SMS off",
                     "*cell* (415) 555-2672", "SMS on", "ann@acme.example", "*twitter* annlee", "Surveys allowed",
                     "*Account tier:* Gold", "Prefers email. Renewal due in March."):
        assert expected in text, expected
    actions = buttons(reply["blocks"])
    assert actions["Open in CRM"]["url"] == "https://crm.example/contacts/7"
    assert {"Add note", "Opt out of surveys", "Edit", "Share in channel"} <= actions.keys()
    assert_within_limits(reply["blocks"])


@pytest.mark.parametrize("text", ["", "help", "HELP"])
def test_help(slack, fake_slack, text):
    slack.command(text)
    assert "`/contact note <who> <text>`" in shown(fake_slack.reply()["blocks"])


def test_several_matches_list_at_most_ten(slack, fake_slack, directory):
    with directory.batch():
        for i in range(12):
            directory.create(ADMIN, "contact", {"first_name": f"Sam{i:02d}", "last_name": "Smith"})
    slack.command("smith")
    blocks = fake_slack.reply()["blocks"]
    assert "*12* records match" in shown(blocks)
    assert len([b for b in blocks if b.get("accessory", {}).get("text", {}).get("text") == "View"]) == 10
    assert "Showing 10 of 12: refine your search" in shown(blocks)


@pytest.mark.slow
def test_more_than_a_thousand_asks_to_refine(slack, fake_slack, directory):
    with directory.batch():
        for i in range(1001):
            directory.create(ADMIN, "contact", {"first_name": f"P{i}", "last_name": "Common"})
    slack.command("common")
    assert "More than *1000* records match *common*. Refine your search" in shown(fake_slack.reply()["blocks"])


def test_unknown_number_says_what_was_searched_and_offers_create(slack, fake_slack):
    slack.command("415.555.0000")
    blocks = fake_slack.reply()["blocks"]
    assert "No contact or organization has the number *+14155550000*." in shown(blocks)
    assert buttons(blocks)["Create contact"]["value"] == '{"phone": "+14155550000"}'


def test_create_is_offered_only_to_those_who_may_create(slack, fake_slack):
    slack.command("415.555.0000", user="U0AGENT")
    assert "Create contact" not in buttons(fake_slack.reply()["blocks"])


def test_an_organization_shows_its_contacts_and_relationships(slack, fake_slack):
    slack.command("+1 212 555 0100")
    text = shown(fake_slack.reply()["blocks"])
    assert "Acme Towing" in text and "Account Manager: Bob Lee" in text and "• Ann Lee, Fleet Manager" in text


def test_records_outside_the_users_divisions_are_not_shown(slack, fake_slack):
    slack.command("+44 20 7946 0958", user="U0AGENT")
    assert "No contact or organization has the number *+442079460958*" in shown(fake_slack.reply()["blocks"])


def test_note_command_adds_a_note_as_the_slack_user(slack, fake_slack, directory):
    slack.command("note +1 415 555 2671 Called about the invoice", user="U0AGENT")
    assert "Note added to *Ann Lee*." in shown(fake_slack.reply()["blocks"])
    note = directory.notes(ADMIN, "contact", 1)[0]
    assert (note.text, note.author) == ("Called about the invoice", "U0AGENT")
    assert directory.history(ADMIN, "contact", 1)[0].actor == "U0AGENT"


def test_note_by_quoted_name_and_by_id(slack, fake_slack, directory):
    slack.command('note "Ann Lee" first', response="a")
    fake_slack.reply("a")  # the bot acknowledges first and works after: its reply says the note is saved
    slack.command("note #1 second", response="b")
    fake_slack.reply("b")
    assert [n.text for n in directory.notes(ADMIN, "contact", 1)][:2] == ["second", "first"]


def test_ambiguous_note_lists_candidates_and_saves_nothing(slack, fake_slack, directory):
    directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Other"})
    slack.command('note "Ann" hello')
    assert "matches several contacts" in shown(fake_slack.reply()["blocks"])
    assert len(directory.notes(ADMIN, "contact", 1)) == 1


def test_opt_out_and_back_in(slack, fake_slack, directory):
    slack.command("optout ann@acme.example", user="U0AGENT", response="a")
    assert "*Ann Lee* will get no automated surveys." in shown(fake_slack.reply("a")["blocks"])
    assert directory.get_contact(ADMIN, 1).survey_opt_out
    slack.command("optin #1", user="U0AGENT", response="b")
    fake_slack.reply("b")
    assert not directory.get_contact(ADMIN, 1).survey_opt_out


def test_a_viewer_is_refused_privately_and_nothing_changes(slack, fake_slack, directory):
    slack.command("optout #1", user="U0VIEWER")
    reply = fake_slack.reply()
    assert reply["response_type"] == "ephemeral"
    assert "u0viewer is a viewer, and only agents and admins may" in shown(reply["blocks"])
    assert not directory.get_contact(ADMIN, 1).survey_opt_out


def test_sms_on_and_off(slack, fake_slack, directory):
    slack.command("sms +1 415 555 2671 on", user="U0AGENT", response="a")
    assert "SMS to *+1 415 555 2671* (Ann Lee) is now *on*." in shown(fake_slack.reply("a")["blocks"])
    assert directory.get_contact(ADMIN, 1).phones[0].sms
    slack.command("sms (415) 555-2672 off", response="b")
    fake_slack.reply("b")
    assert [p.sms for p in directory.get_contact(ADMIN, 1).phones] == [True, False]
    slack.command("sms 415 555 2671 maybe", response="c")
    assert "say \"/contact sms &lt;phone&gt; on\"" in shown(fake_slack.reply("c")["blocks"])


def test_users_can_be_matched_by_email(start_bot, fake_slack, directory):
    sender = start_bot(SlackSettings(match_by_email=True))
    sender.command("optout #1", user="U0MAIL")
    assert "will get no automated surveys" in shown(fake_slack.reply()["blocks"])
    assert directory.get_contact(ADMIN, 1).survey_opt_out
    assert fake_slack.wait("/api/users.info")[0].params["user"] == "U0MAIL"


@pytest.mark.parametrize("word", ["payload", "token", "command", "type", "text", "response_url", "{json}"])
def test_a_note_says_what_it_says_whatever_words_it_holds(slack, fake_slack, directory, word):
    """Bolt once read any form body holding "payload" as an interactive payload: the command was lost (404)."""
    answer = slack.command(f"note #1 the {word} arrived late", user="U0AGENT")
    assert answer.status == 200
    assert "Note added to *Ann Lee*." in shown(fake_slack.reply()["blocks"])
    assert directory.notes(ADMIN, "contact", 1)[0].text == f"the {word} arrived late"


def test_a_tel_uri_pasted_from_a_click_to_call_link_finds_the_caller(slack, fake_slack):
    slack.command("tel:+1-415-555-2671")
    assert "Ann Lee" in shown(fake_slack.reply()["blocks"])


def test_record_text_cannot_format_the_card_or_hide_a_link(slack, fake_slack, directory):
    record = directory.create(ADMIN, "contact", {"first_name": "*Boss*", "last_name": "~Gone~ `x` <!channel>",
                                                 "phones": [{"raw": "+1 415 555 0199"}]})
    directory.add_note(ADMIN, "contact", record.id, "see _this_ <https://evil.example|Slack>",
                       source={"permalink": "https://evil.example\\.slack.com/archives/C1/p1"})
    slack.command("+1 415 555 0199")
    card = shown(fake_slack.reply()["blocks"])
    assert "∗Boss∗ ∼Gone∼ ˋxˋ &lt;!channel&gt;" in card
    assert "ˍthisˍ &lt;https://evil.example|Slack&gt;" in card
    assert "<https://evil.example" not in card and "|from Slack>" not in card  # the odd host is shown, not linked
