"""The message shortcut *Add note to contact*, and the contact picker of the modal it opens."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import modals
from bot.listeners.common import actor_of, after_ack
from bot.settings import SlackSettings
from bot.text import clip
from core.directory import MAX_RESULTS, Directory

log = logging.getLogger(__name__)
OPTIONS_LIMIT = 100
OPTION_TEXT = 75


def register(app: App, directory: Directory, settings: SlackSettings) -> None:
    def add_note_shortcut(shortcut: dict, client: WebClient, context: BoltContext) -> None:
        message = shortcut.get("message") or {}
        channel_id = shortcut["channel"]["id"]
        text = message.get("text") or ""
        try:
            permalink = client.chat_getPermalink(channel=channel_id, message_ts=shortcut["message_ts"])["permalink"]
        except SlackApiError as error:
            log.warning("chat.getPermalink failed: %s", error.response.get("error"))
            permalink = None
        view = modals.message_note_modal(text, channel_id, shortcut["message_ts"], message.get("thread_ts"),
                                         permalink, cut=len(text) > modals.TEXT_INPUT_LIMIT)
        client.views_open(trigger_id=shortcut["trigger_id"], view=view)

    after_ack(app.shortcut("add_note_to_contact"), add_note_shortcut, directory)

    @app.options(modals.CONTACT_PICKER)
    def contact_options(ack: Ack, context: BoltContext, payload: dict) -> None:
        query = (payload.get("value") or "").strip()
        found = directory.lookup(actor_of(context), query)
        if found.search is not None and found.search.refine:
            ack(options=[{"text": {"type": "plain_text", "text": clip(f"over {MAX_RESULTS} match: type more",
                                                                      OPTION_TEXT)},
                          "value": "refine"}])
            return
        options = []
        for contact in found.contacts[:OPTIONS_LIMIT]:
            label = contact.full_name + (f" ({contact.title})" if contact.title else "")
            options.append({"text": {"type": "plain_text", "text": clip(label, OPTION_TEXT)},
                            "value": f"contact:{contact.id}"})
        ack(options=options)
