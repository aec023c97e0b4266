"""Calls announced in a watched channel get the caller's card in their thread and an interaction on record."""

from __future__ import annotations

import time

from tests.bot.blockkit import shown
from tests.bot.conftest import ADMIN


def announce(slack, text: str, *, channel: str = "C0CALLS", ts: str = "1700000100.000200", **extra) -> None:
    answer = slack.event({"type": "message", "channel": channel, "ts": ts, "text": text, "channel_type": "channel",
                          **extra})
    assert answer.status == 200


def test_a_call_from_a_known_number_pops_the_card_in_the_thread(slack, fake_slack, directory):
    announce(slack, "Incoming call from +1 (415) 555-2671 on line 3", bot_id="B0PHONE", subtype="bot_message")
    posted = fake_slack.wait("/api/chat.postMessage")[0].params
    assert (posted["channel"], posted["thread_ts"]) == ("C0CALLS", "1700000100.000200")
    assert "Ann Lee" in shown(posted["blocks"]) and posted["text"] == "Caller: Ann Lee"
    interaction = directory.interactions(ADMIN, 1)[0]
    assert interaction.kind == "call" and interaction.summary == "Incoming call from +1 (415) 555-2671 on line 3"
    assert interaction.permalink == "https://acme.slack.com/archives/C0CALLS/p1700000100000200"
    in_channel = shown(posted["blocks"])
    assert "Acme Towing" in in_channel and "The call is recorded" in in_channel
    # Whoever reads the channel sees who called, not the record: no numbers, notes or custom fields.
    assert "555" not in in_channel and "Prefers email" not in in_channel and "Gold" not in in_channel
    view = next(b["accessory"] for b in posted["blocks"] if b.get("accessory", {}).get("action_id") == "view_record")
    slack.action("view_record", view["value"], user="U0AGENT", response="details")
    card = shown(fake_slack.reply("details")["blocks"])  # opened under the agent's own permissions
    assert "Prefers email" in card and "Incoming call from +1 (415) 555-2671" in card


def test_a_screen_pop_details_button_shows_nothing_to_someone_outside_the_division(slack, fake_slack, directory):
    announce(slack, "Incoming call from +44 20 7946 0958")  # Erik, in EMEA: the screen pop's agent sees all
    posted = fake_slack.wait("/api/chat.postMessage")[0].params
    assert "Erik Emea" in shown(posted["blocks"]) and "7946" not in shown(posted["blocks"])
    view = next(b["accessory"] for b in posted["blocks"] if b.get("accessory", {}).get("action_id") == "view_record")
    slack.action("view_record", view["value"], user="U0AGENT", response="details")
    refused = shown(fake_slack.reply("details")["blocks"])
    assert "no contact with id" in refused and "7946" not in refused and "Emea" not in refused


def test_notes_from_the_call_thread_link_to_the_interaction(slack, fake_slack, directory):
    announce(slack, "Incoming call from +14155552671")
    fake_slack.wait("/api/chat.postMessage")
    reply = {"type": "message", "ts": "1700000150.000300", "thread_ts": "1700000100.000200", "text": "Wants a refund"}
    slack.message_shortcut(reply)
    view = fake_slack.wait("/api/views.open")[0].params["view"]
    slack.view_submission(view, {"contact": {"value": "contact:1"}, "text": "Wants a refund"})
    note = directory.notes(ADMIN, "contact", 1)[0]
    assert note.source.interaction_id == directory.interactions(ADMIN, 1)[0].id


def test_unwatched_channels_unknown_numbers_and_thread_replies_are_left_alone(slack, fake_slack, directory):
    announce(slack, "Incoming call from +14155552671", channel="C0RANDOM", ts="1.1")
    announce(slack, "Incoming call from +1 202 555 0199", ts="1.2")
    announce(slack, "Caller +14155552671 again", ts="1.3", thread_ts="1.0")
    slack.command("help")  # a request after the events: once it is answered, the events were handled too
    fake_slack.reply()
    time.sleep(0.2)
    assert not [c for c in fake_slack.calls if c.path == "/api/chat.postMessage"]
    assert directory.interactions(ADMIN, 1) == []


def test_a_number_shared_by_several_contacts_lists_them(slack, fake_slack, directory):
    directory.create(ADMIN, "contact", {"first_name": "Al", "last_name": "Lee", "phones": [{"raw": "+14155552671"}]})
    announce(slack, "Incoming call from +14155552671")
    posted = fake_slack.wait("/api/chat.postMessage")[0].params
    assert "*2* records match" in shown(posted["blocks"])
    assert directory.interactions(ADMIN, 1) == []
