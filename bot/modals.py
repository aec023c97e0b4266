"""Modals: add a note, a note from a chat message, create and edit a contact.

Slack limits: title, submit and close 24 characters; a text input holds at most 3000 characters;
``private_metadata`` at most 3000 characters.
"""

from __future__ import annotations

import json
from typing import Any

from bot.blocks import Block, context, section
from bot.text import clip, escape
from core.models import Contact

TEXT_INPUT_LIMIT = 3000
METADATA_LIMIT = 3000

NOTE_MODAL = "note_modal"
MESSAGE_NOTE_MODAL = "message_note_modal"
CREATE_MODAL = "create_contact_modal"
EDIT_MODAL = "edit_contact_modal"
CONTACT_PICKER = "contact_picker"


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, 24)}


def metadata(**values: Any) -> str:
    """``private_metadata``: what the submission needs back, with long optional parts dropped to fit."""
    data = {k: v for k, v in values.items() if v is not None}
    encoded = json.dumps(data, separators=(",", ":"))
    for optional in ("summary", "permalink"):
        if len(encoded) <= METADATA_LIMIT:
            break
        data.pop(optional, None)
        encoded = json.dumps(data, separators=(",", ":"))
    return encoded


def modal(callback_id: str, title: str, blocks: list[Block], private_metadata: str, submit: str = "Save") -> dict:
    return {"type": "modal", "callback_id": callback_id, "title": _plain(title), "submit": _plain(submit),
            "close": _plain("Cancel"), "private_metadata": private_metadata, "blocks": blocks}


def text_input(block_id: str, label: str, *, initial: str | None = None, multiline: bool = False,
               optional: bool = False, max_length: int | None = None, placeholder: str | None = None) -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "multiline": multiline}
    if initial:
        element["initial_value"] = clip(initial, max_length or TEXT_INPUT_LIMIT)
    if max_length:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": clip(placeholder, 150)}
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": {"type": "plain_text", "text": clip(label, 2000)}, "element": element}


def note_modal(kind: str, record_id: int, name: str) -> dict:
    return modal(NOTE_MODAL, "Add note", [
        section(f"Note on *{escape(name)}*"),
        text_input("text", "Note", multiline=True, max_length=TEXT_INPUT_LIMIT),
    ], metadata(kind=kind, id=record_id))


def message_note_modal(text: str, channel_id: str, message_ts: str, thread_ts: str | None,
                       permalink: str | None, cut: bool) -> dict:
    blocks: list[Block] = [
        {"type": "input", "block_id": "contact", "label": {"type": "plain_text", "text": "Contact"},
         "element": {"type": "external_select", "action_id": CONTACT_PICKER, "min_query_length": 2,
                     "placeholder": {"type": "plain_text", "text": "Name, number or email"}}},
        text_input("text", "Note", initial=text, multiline=True, max_length=TEXT_INPUT_LIMIT),
    ]
    if cut:
        blocks.append(context(f"The message was longer than {TEXT_INPUT_LIMIT} characters; the rest was cut."))
    return modal(MESSAGE_NOTE_MODAL, "Add note to contact", blocks,
                 metadata(channel_id=channel_id, message_ts=message_ts, thread_ts=thread_ts, permalink=permalink))


def create_modal(phone: str | None = None, email: str | None = None) -> dict:
    return modal(CREATE_MODAL, "New contact", [
        text_input("first_name", "First name", max_length=1000),
        text_input("last_name", "Last name", max_length=1000),
        text_input("title", "Title", optional=True, max_length=1000),
        text_input("phone", "Phone", initial=phone, optional=True, max_length=100),
        text_input("email", "Email", initial=email, optional=True, max_length=256),
    ], metadata(), submit="Create")


def edit_modal(contact: Contact) -> dict:
    emails = "\n".join(e.address for e in contact.emails)
    return modal(EDIT_MODAL, "Edit contact", [
        text_input("first_name", "First name", initial=contact.first_name, max_length=1000),
        text_input("middle_name", "Middle name", initial=contact.middle_name, optional=True, max_length=1000),
        text_input("last_name", "Last name", initial=contact.last_name, max_length=1000),
        text_input("title", "Title", initial=contact.title, optional=True, max_length=1000),
        text_input("emails", "Emails, one a line", initial=emails, multiline=True, optional=True),
        text_input("external_system_url", "Link to your CRM record", initial=contact.external_system_url,
                   optional=True, max_length=1000),
        context(f"Division *{escape(contact.division)}*: set when a contact is created; an admin can move it. "
                "Phones and custom fields are edited in the terminal UI."),
    ], metadata(id=contact.id, version=contact.version,
                opened=contact.modified_at.isoformat() if contact.modified_at else None))


def values(view: dict) -> dict[str, Any]:
    """The submitted value of each input block, by block id."""
    found: dict[str, Any] = {}
    for block_id, elements in view["state"]["values"].items():
        for element in elements.values():
            if element.get("type") == "external_select":
                selected = element.get("selected_option")
                found[block_id] = selected and selected["value"]
            else:
                found[block_id] = element.get("value")
    return found
