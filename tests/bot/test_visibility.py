"""In Slack, a record in another division does not exist for the person asking, even through a linked record."""

from __future__ import annotations

import pytest

from tests.bot.blockkit import shown
from tests.bot.conftest import ADMIN

pytestmark = pytest.mark.both_stores  # run on the embedded store and on PostgreSQL


@pytest.fixture
def zenith(directory):
    """An EMEA organization with a Home contact: U0AGENT (Home only) sees Zed, never Zenith."""
    organization = directory.create(ADMIN, "organization", {"name": "Zenith Freight", "division": "EMEA"})
    directory.create(ADMIN, "contact", {"first_name": "Zed", "last_name": "Lee", "organization_id": organization.id,
                                        "title": "Buyer", "phones": [{"raw": "+1 415 555 0177"}]})
    return organization


def test_a_card_does_not_name_an_organization_in_another_division(slack, fake_slack, zenith):
    slack.command("+1 415 555 0177", user="U0AGENT", response="agent")
    card = shown(fake_slack.reply("agent")["blocks"])
    assert "Zed Lee" in card and "Zenith" not in card
    slack.command("+1 415 555 0177", user="U0ADMIN", response="admin")
    assert "Zenith Freight" in shown(fake_slack.reply("admin")["blocks"])


def test_a_list_does_not_name_it_and_searching_for_it_finds_nothing(slack, fake_slack, zenith):
    slack.command("lee", user="U0AGENT", response="list")  # Ann Lee and Zed Lee
    listing = shown(fake_slack.reply("list")["blocks"])
    assert "Zed Lee" in listing and "Ann Lee" in listing and "Zenith" not in listing
    slack.command("zenith", user="U0AGENT", response="search")
    answer = fake_slack.reply("search")
    assert answer["text"] == "No contact has anything matching zenith" and "Zenith" not in shown(answer["blocks"])


def test_a_view_button_for_another_divisions_record_shows_nothing_of_it(slack, fake_slack, zenith):
    slack.action("view_record", f'{{"kind":"organization","id":{zenith.id}}}', user="U0AGENT", response="view")
    refused = shown(fake_slack.reply("view")["blocks"])
    assert f"no organization with id {zenith.id}" in refused and "Zenith" not in refused
