"""Bolt listeners, one module per kind of request. Each acknowledges at once and does its work after (a lazy
listener, ``common.after_ack``), answering privately; modal submissions, whose acknowledgement carries their
errors, do theirs first. The acting user is attached to every request once, by middleware; a refusal from core,
raised by any listener, becomes one private message (``common.failed``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext

from bot.commands import changes_anything
from bot.listeners import actions, commands, events, shortcuts, views
from bot.listeners.common import failed
from bot.people import People
from bot.settings import SlackSettings
from core.directory import Directory


def delivery_key(body: dict[str, Any]) -> str | None:
    """What identifies one request that can change the directory, however often it arrives: an event's id, else
    the trigger of a command or a click (Slack makes a new one each time a person acts). A command that only looks
    something up has none: answering it twice changes nothing, and claiming costs a durable write."""
    if body.get("event_id"):
        return f"slack-event:{body['event_id']}"
    if body.get("command") and not changes_anything(str(body.get("text", ""))):
        return None
    if body.get("trigger_id"):
        return f"slack-trigger:{body['trigger_id']}"
    return None


def register(app: App, directory: Directory, settings: SlackSettings) -> None:
    people = People(app.client, settings.match_by_email)

    @app.middleware
    def attach_actor(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:
        """The Slack user behind a command or a click, as the actor core's policy knows."""
        user = body.get("user")
        if isinstance(user, dict):  # interactivity payloads
            context["actor"] = people.actor(user["id"], user.get("username") or user.get("name"))
        elif body.get("user_id"):  # slash commands
            context["actor"] = people.actor(body["user_id"], body.get("user_name"))
        next()

    @app.middleware
    def name_the_delivery(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:
        """What makes a repeat of this request recognisable (see ``common.first_time``, which claims it after the
        acknowledgement: a claim is a durable write, and Slack's 3 s clock must never wait for the directory)."""
        key = delivery_key(body)
        if key is not None:
            context["delivery"] = key
        next()

    @app.error
    def answer_failure(error: Exception, context: BoltContext) -> None:
        failed(error, context, directory)

    for kind in (commands, actions, views, shortcuts, events):
        kind.register(app, directory, settings)

