from __future__ import annotations

import pytest

from bot.app import build_app
from bot.server import EVENTS_PATH, http_server
from bot.settings import SlackSettings, slack_settings
from core.policy import Actor
from tests.bot.slack import SECRET, FakeSlack, SlackSender
from tests.conftest import open_directory

SETTINGS = """
[phone]
default_region = "US"

[access.default]
role = "viewer"
divisions = ["Home"]

[access.users.U0ADMIN]
role = "admin"

[access.users.U0AGENT]
role = "agent"
divisions = ["Home"]

[access.users."mail.agent@acme.example"]
role = "agent"
divisions = ["Home"]

[access.users.slack-screen-pop]
role = "agent"

[slack]
screen_pop_channels = ["C0CALLS"]
"""
ADMIN = Actor("U0ADMIN")


@pytest.fixture
def directory(data_dir, monkeypatch):
    for name in [n for n in __import__("os").environ if n.startswith("SLACK_")]:
        monkeypatch.delenv(name)
    directory = open_directory(data_dir, SETTINGS)
    directory.create_division(ADMIN, "EMEA")
    directory.add_custom_field(ADMIN, "contact", {"key": "tier", "label": "Account tier", "type": "enum",
                                                  "options": [{"value": "Gold"}, {"value": "Silver"}]})
    acme = directory.create(ADMIN, "organization", {"name": "Acme Towing", "phone": {"raw": "+1 212 555 0100"},
                                                    "industry": "Towing"})
    directory.add_relationship(ADMIN, acme.id, "Bob Lee", "Account Manager")
    ann = directory.create(ADMIN, "contact", {
        "first_name": "Ann", "last_name": "Lee", "title": "Fleet Manager", "organization_id": acme.id,
        "phones": [{"raw": "+1 415 555 2671"}, {"raw": "(415) 555-2672", "kind": "cell", "sms": True}],
        "emails": [{"address": "ann@acme.example"}], "socials": [{"network": "twitter", "handle": "@annlee"}],
        "external_system_url": "https://crm.example/contacts/7", "custom_fields": {"tier": "Gold"},
    })
    directory.add_note(ADMIN, "contact", ann.id, "Prefers email. Renewal due in March.")
    directory.create(ADMIN, "contact", {"first_name": "Erik", "last_name": "Emea", "division": "EMEA",
                                        "phones": [{"raw": "+44 20 7946 0958"}]})
    yield directory
    directory.close()


@pytest.fixture
def fake_slack():
    fake = FakeSlack(emails={"U0MAIL": "mail.agent@acme.example"})
    yield fake
    fake.close()


@pytest.fixture
def start_bot(directory, fake_slack):
    """Start the bot's real HTTP server on 127.0.0.1, talking to the fake Slack Web API."""
    servers = []

    def start(settings: SlackSettings | None = None, on=None) -> SlackSender:
        """``on``: another handle on the data directory, as a second bot process would have."""
        served = on or directory
        app = build_app(served, settings or slack_settings(served.settings), token="xoxb-test",
                        signing_secret=SECRET, api_url=fake_slack.api_url)
        server = http_server(app, SECRET)
        servers.append(server)
        return SlackSender(f"http://127.0.0.1:{server.port}{EVENTS_PATH}", fake_slack)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def slack(start_bot):
    return start_bot()
