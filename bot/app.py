"""The Bolt app: the directory's listeners on a Slack Web API client."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.listeners import register
from bot.settings import SlackSettings
from core.directory import Directory


def build_app(directory: Directory, settings: SlackSettings, *, token: str, signing_secret: str,
              api_url: str | None = None) -> App:
    """``api_url`` points every Web API call elsewhere (a proxy, or a fake Slack in tests)."""
    client = WebClient(token=token, base_url=api_url) if api_url else WebClient(token=token)
    # Listeners run to the end before Bolt answers: otherwise Bolt polls for the acknowledgement every 10 ms, which
    # was most of what a lookup cost under load. A listener acknowledges first, and each finishes in milliseconds.
    app = App(client=client, signing_secret=signing_secret, name="contacts", process_before_response=True)
    register(app, directory, settings)
    return app
