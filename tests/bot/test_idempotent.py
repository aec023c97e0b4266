"""Slack sends some requests more than once: an event it thinks went unanswered (X-Slack-Retry-Num, same event_id),
and anyone holding a signed request can replay it within five minutes. Each changes the directory once, whichever
of several bot processes on the same data directory receives the repeat."""

from __future__ import annotations

import json
import time

from tests.bot.conftest import ADMIN
from tests.conftest import open_directory

FORM = "application/x-www-form-urlencoded"


def test_a_replayed_note_command_adds_one_note(slack, fake_slack, directory):
    before = len(directory.notes(ADMIN, "contact", 1))
    body, stamp = slack.command_body("note #1 Called back about the invoice", response="first"), int(time.time())
    assert slack.post(body, FORM, timestamp=stamp).status == 200
    assert "Note added" in str(fake_slack.reply("first"))
    for _ in range(2):
        answer = slack.post(body, FORM, timestamp=stamp)
        assert (answer.status, answer.body) == (200, "")  # acknowledged, so Slack stops; otherwise ignored
    slack.command("help", response="after")
    fake_slack.reply("after")
    assert len(directory.notes(ADMIN, "contact", 1)) == before + 1
    assert len([c for c in fake_slack.calls if c.path == "/response/first"]) == 1


def test_a_redelivered_event_posts_one_card_and_records_one_call(slack, fake_slack, directory):
    call = {"type": "message", "channel": "C0CALLS", "ts": "1700000100.000200", "channel_type": "channel",
            "text": "Incoming call from +1 (415) 555-2671"}
    assert slack.event(call, event_id="Ev0REDELIVER").status == 200
    fake_slack.wait("/api/chat.postMessage")
    for retry in (1, 2):
        assert slack.event(call, event_id="Ev0REDELIVER", retry=retry).status == 200
    slack.command("help", response="after")
    fake_slack.reply("after")
    assert len([c for c in fake_slack.calls if c.path == "/api/chat.postMessage"]) == 1
    assert len(directory.interactions(ADMIN, 1)) == 1


def test_a_repeat_sent_to_another_bot_process_is_ignored_too(start_bot, fake_slack, directory, tmp_path):
    first = start_bot()
    other = open_directory(tmp_path / "data")  # a second process's own handle on the same files
    try:
        second = start_bot(on=other)
        body, stamp = first.command_body("optout #1", user="U0AGENT", response="first"), int(time.time())
        first.post(body, FORM, timestamp=stamp)
        fake_slack.reply("first")
        assert directory.get_contact(ADMIN, 1).survey_opt_out
        directory.set_survey_opt_out(ADMIN, 1, False)  # someone opts her back in, by hand
        assert second.post(body, FORM, timestamp=stamp).status == 200  # the old request, replayed elsewhere
        second.command("help", response="after")
        fake_slack.reply("after")
        assert not directory.get_contact(ADMIN, 1).survey_opt_out
    finally:
        other.close()


def test_a_replayed_modal_submission_adds_one_note(slack, fake_slack, directory):
    before = len(directory.notes(ADMIN, "contact", 1))
    slack.action("open_note_modal", '{"kind": "contact", "id": 1}', user="U0AGENT")
    view = fake_slack.wait("/api/views.open")[0].params["view"]
    body = slack.interactive_body(slack.view_submission_payload(view, {"text": "Asked for a quote"}, user="U0AGENT"))
    stamp = int(time.time())
    answers = [slack.post(body, FORM, timestamp=stamp) for _ in range(3)]
    assert all(answer.status == 200 for answer in answers)
    assert json.loads(answers[0].body)["response_action"] == "update"  # the first closes the modal
    assert [answer.body for answer in answers[1:]] == ["", ""]  # the repeats are acknowledged, nothing more
    assert len(directory.notes(ADMIN, "contact", 1)) == before + 1
