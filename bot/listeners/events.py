"""Screen pop: a known number in a watched channel (a telephony integration's "Incoming call from …") gets the
caller in the message's thread, and an interaction on the contact. The channel sees only what *Share in channel*
shows (name, organization, that a call was recorded); each person who opens it sees details under their own
permissions."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.listeners.common import after_ack
from bot.settings import SlackSettings
from bot.text import clip, escape
from core.directory import Directory
from core.errors import ContactsError
from core.models import Contact
from core.phones import numbers_in
from core.policy import Actor

log = logging.getLogger(__name__)


def register(app: App, directory: Directory, settings: SlackSettings) -> None:
    watched = set(settings.screen_pop_channels)
    screen_pop_actor = Actor(settings.screen_pop_actor)

    def screen_pop(event: dict, client: WebClient, context: BoltContext) -> None:
        if event.get("channel") not in watched or event.get("subtype") not in (None, "bot_message"):
            return
        if event.get("thread_ts") not in (None, event.get("ts")):
            return  # replies in a thread (ours included) are not new calls
        text = event.get("text") or ""
        for number in numbers_in(text, directory.region):
            found = directory.lookup(screen_pop_actor, number)
            if found.contacts:
                pop(client, event, text, found.contacts)
                return

    after_ack(app.event("message"), screen_pop, directory)

    def pop(client: WebClient, event: dict, text: str, contacts: list[Contact]) -> None:
        channel, ts = event["channel"], event["ts"]
        if len(contacts) > 1:
            rows = [("contact", c.key, c.full_name, "") for c in contacts]
            reply = blocks.record_list(rows, len(contacts), "this caller's number")
            client.chat_postMessage(channel=channel, thread_ts=ts, blocks=reply, text="Several contacts match")
            return
        try:
            permalink = client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
        except SlackApiError:
            permalink = None
        contact = contacts[0]
        assert contact.id is not None
        recorded = ""
        try:
            directory.record_interaction(screen_pop_actor, contact.id, kind="call", summary=clip(text, 1000),
                                         channel_id=channel, message_ts=ts, permalink=permalink)
            recorded = "The call is recorded on the contact."
        except ContactsError as error:
            log.warning("screen pop could not record the interaction: %s", error)
        profile = directory.profile(screen_pop_actor, "contact", contact.id)
        shown = blocks.shared_card(profile) + ([blocks.context(recorded)] if recorded else [])
        client.chat_postMessage(channel=channel, thread_ts=ts, blocks=shown,
                                text=f"Caller: {escape(contact.full_name)}")
