"""Requests Slack did not sign are refused; record text can never ping, link or break a card."""

from __future__ import annotations

import json
import time

from tests.bot.blockkit import assert_within_limits, formatted, shown
from tests.bot.conftest import ADMIN
from tests.bot.slack import SECRET


def test_a_bad_signature_is_refused_and_nothing_runs(slack, fake_slack, directory):
    answer = slack.command("optout #1", secret="not-" + SECRET)
    assert answer.status == 401
    slack.command("help", response="after")  # answered after the refused one would have been
    fake_slack.reply("after")
    assert not [c for c in fake_slack.calls if c.path == "/response/r1"]
    assert not directory.get_contact(ADMIN, 1).survey_opt_out


def test_a_stale_timestamp_is_refused(slack, fake_slack, directory):
    answer = slack.command("optout #1", timestamp=int(time.time()) - 6 * 60)
    assert answer.status == 401
    assert not directory.get_contact(ADMIN, 1).survey_opt_out


def test_url_verification_is_answered(slack):
    answer = slack.post(json.dumps({"type": "url_verification", "challenge": "c4ll3ng3", "token": "x"}),
                        "application/json")
    assert answer.status == 200 and "c4ll3ng3" in answer.body


INJECTIONS = {
    "first_name": "<!channel>",
    "last_name": "<@U0BOSS> & co",
    "title": "<https://evil.example|Click to verify>",
}


def test_stored_text_is_escaped_everywhere_it_is_shown(slack, fake_slack, directory):
    contact = directory.create(ADMIN, "contact", {**INJECTIONS, "phones": [{"raw": "+1 415 555 9000"}],
                                                  "emails": [{"address": "x@evil.example"}]})
    directory.add_note(ADMIN, "contact", contact.id, "<!here> see <https://evil.example|your invoice> &amp;")
    slack.command("+14155559000", response="card")
    slack.action("share_record", json.dumps({"kind": "contact", "id": contact.id}), response="shared")
    slack.command("evil", response="list")
    for name in ("card", "shared", "list"):
        reply = fake_slack.reply(name)
        for text in (formatted(reply["blocks"]), reply["text"]):  # the blocks, and the notification text
            assert "<!" not in text and "<@" not in text and "<https://evil" not in text, text
    card = shown(fake_slack.reply("card")["blocks"])
    assert "&lt;!channel&gt;" in card and "&lt;@U0BOSS&gt; &amp; co" in card
    assert "&lt;!here&gt; see &lt;https://evil.example|your invoice&gt; &amp;amp;" in card


def test_a_typed_query_is_escaped_in_the_reply(slack, fake_slack):
    slack.command("<!everyone>")
    assert "<!everyone>" not in shown(fake_slack.reply()["blocks"])


def test_forty_phones_and_a_32000_character_note_stay_within_block_kit_limits(slack, fake_slack, directory):
    phones = [{"raw": f"+1 415 555 {3000 + i}", "kind": "cell"} for i in range(40)]
    contact = directory.create(ADMIN, "contact", {"first_name": "Many", "last_name": "Numbers", "phones": phones,
                                                  "title": "T" * 1000})
    directory.add_note(ADMIN, "contact", contact.id, "n" * 32_000)
    for i in range(5):
        directory.add_note(ADMIN, "contact", contact.id, f"note {i} " + "<&>" * 1000)
    slack.command("+1 415 555 3039")
    blocks = fake_slack.reply()["blocks"]
    assert_within_limits(blocks)
    text = shown(blocks)
    assert "+1 415 555 3000" in text and "+1 415 555 3039" in text  # all 40 fit in one section
    assert "… (truncated)" in text and "… and 3 older notes" in text
    assert "&lt;&amp;&gt;" in text and "&amp;g… (truncated)" not in text  # no entity cut in half


def test_a_section_that_cannot_hold_every_line_says_how_many_are_left_out(directory):
    from bot.blocks import lines_within

    lines = [f"line {i:04d} " + "x" * 90 for i in range(100)]
    text = lines_within(lines, 3000, "numbers")
    assert len(text) <= 3000 and text.endswith("more numbers") and "line 0000" in text
