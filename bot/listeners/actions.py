"""Buttons on cards and lists: view, share, opt out of surveys, and the buttons that open modals."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import blocks, commands, modals, responses
from bot.listeners.common import actor_of, after_ack, answer
from bot.settings import SlackSettings
from bot.text import escape
from core.directory import Directory
from core.policy import Actor


def record_ref(value: str) -> tuple[str, int, dict[str, Any]]:
    """The record a button names (``blocks.ref``), and whatever else it carries."""
    data = json.loads(value)
    return data.pop("kind"), int(data.pop("id")), data


def register(app: App, directory: Directory, settings: SlackSettings) -> None:
    def card(actor: Actor, kind: str, record_id: int) -> commands.Reply:
        profile = directory.profile(actor, kind, record_id)
        return commands.Reply(blocks.card(profile), profile.record.full_name)

    def view_record(action: dict, context: BoltContext, respond: Respond) -> None:
        kind, record_id, _ = record_ref(action["value"])
        answer(respond, card(actor_of(context), kind, record_id), below=True)

    def share_record(action: dict, context: BoltContext, respond: Respond) -> None:
        kind, record_id, _ = record_ref(action["value"])
        profile = directory.profile(actor_of(context), kind, record_id)
        responses.post(respond.response_url, {"blocks": blocks.shared_card(profile), "response_type": "in_channel",
                                              "text": escape(profile.record.full_name), "replace_original": False})

    def set_opt_out(action: dict, context: BoltContext, respond: Respond) -> None:
        _, record_id, extra = record_ref(action["value"])
        actor, wanted = actor_of(context), extra.get("opt_out")
        contact = directory.get_contact(actor, record_id)
        if not isinstance(wanted, bool):
            said = "This card was drawn by an earlier version and does not say which way; nothing changed."
        elif contact.survey_opt_out == wanted:
            state = "opted out of surveys" if wanted else "allowed surveys"
            said = f"*{escape(contact.full_name)}* had already {state} (changed since this card was drawn)."
        else:
            directory.set_survey_opt_out(actor, record_id, wanted)
            said = f"*{escape(contact.full_name)}* " + ("will get no automated surveys." if wanted
                                                      else "may get automated surveys again.")
        now = card(actor, "contact", record_id)
        answer(respond, commands.Reply(blocks.message(said) + now.blocks, said), below=True)

    @app.action("open_crm")
    def open_crm(ack: Ack) -> None:
        ack()  # a link button: Slack opens the URL; the click still has to be acknowledged

    def open_note_modal(body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
        kind, record_id, _ = record_ref(action["value"])
        name = directory.get(actor_of(context), kind, record_id).full_name
        client.views_open(trigger_id=body["trigger_id"], view=modals.note_modal(kind, record_id, name))

    def open_edit_modal(body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
        _, record_id, _ = record_ref(action["value"])
        contact = directory.get_contact(actor_of(context), record_id)
        client.views_open(trigger_id=body["trigger_id"], view=modals.edit_modal(contact))

    def open_create_modal(body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
        prefill = json.loads(action["value"])
        client.views_open(trigger_id=body["trigger_id"],
                          view=modals.create_modal(prefill.get("phone"), prefill.get("email")))

    for action_id, work in (("view_record", view_record), ("share_record", share_record),
                            ("set_opt_out", set_opt_out), ("open_note_modal", open_note_modal),
                            ("open_edit_modal", open_edit_modal), ("open_create_modal", open_create_modal)):
        after_ack(app.action(action_id), work, directory)
