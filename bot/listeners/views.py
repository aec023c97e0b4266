"""Modal submissions: a note, a note from a chat message, a new contact, an edited contact. Core's problems are
shown next to the input each belongs to; every refusal ends the same way (``submitted``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot import blocks, modals
from bot.listeners.common import actor_of, first_time, forget
from bot.settings import SlackSettings
from bot.text import clip, clip_escaped, escape
from core.directory import Directory
from core.errors import Conflict, ContactsError, ValidationFailed
from core.models import NoteSource

CONTACT_INPUTS = {"first_name": "first_name", "middle_name": "middle_name", "last_name": "last_name",
                  "title": "title", "phones": "phone", "emails": "emails", "external_system_url": "external_system_url"}


def saved(title: str, text: str) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": clip(title, 24)},
            "close": {"type": "plain_text", "text": "Done"}, "blocks": blocks.message(text)}


def field_errors(error: ValidationFailed, inputs: dict[str, str], fallback: str) -> dict[str, str]:
    """Core's problems, each under the input its field belongs to (Slack allows 150 characters each)."""
    shown: dict[str, str] = {}
    for problem in error.problems:
        block = inputs.get(problem.field.split(".")[0], fallback)
        shown[block] = clip(f"{shown[block]}; {problem.message}" if block in shown else problem.message, 150)
    return shown


def submitted(ack: Ack, work: Callable[[], str], inputs: dict[str, str], fallback: str, done: str,
              failed: str, changed_meanwhile: Callable[[], str] | None = None, *, context: BoltContext,
              directory: Directory) -> None:
    """Run ``work`` (it returns what to tell the person) and close the modal on a confirmation; a refusal
    shows under the inputs (a rule broken), or replaces the modal. A change someone else saved meanwhile is never
    overwritten: ``changed_meanwhile`` says what it was, or the refusal shows under the inputs. A submission sent
    again (a replay) is acknowledged and does nothing."""
    if not first_time(context, directory):
        ack()
        return
    try:
        text = work()
    except ContactsError as error:
        forget(context, directory)  # nothing was saved
        if isinstance(error, ValidationFailed):
            ack(response_action="errors", errors=field_errors(error, inputs, fallback))
        elif isinstance(error, Conflict) and changed_meanwhile is not None:
            ack(response_action="update", view=saved(failed, changed_meanwhile()))
        elif isinstance(error, Conflict):
            ack(response_action="errors", errors={fallback: clip(str(error), 150)})
        else:
            ack(response_action="update", view=saved(failed, f":warning: {escape(error)}"))
    else:
        ack(response_action="update", view=saved(done, text))


def register(app: App, directory: Directory, settings: SlackSettings) -> None:
    @app.view(modals.NOTE_MODAL)
    def note_submitted(ack: Ack, context: BoltContext, view: dict) -> None:
        meta = json.loads(view["private_metadata"])

        def add() -> str:
            directory.add_note(actor_of(context), meta["kind"], int(meta["id"]), modals.values(view)["text"] or "")
            return "The note was added."

        submitted(ack, add, {"text": "text"}, "text", "Note saved", "Note not saved", context=context,
                  directory=directory)

    @app.view(modals.MESSAGE_NOTE_MODAL)
    def message_note_submitted(ack: Ack, context: BoltContext, view: dict) -> None:
        meta = json.loads(view["private_metadata"])
        entered = modals.values(view)
        picked = entered.get("contact") or ""
        if not picked.startswith("contact:"):
            ack(response_action="errors", errors={"contact": "Pick a contact from the list (type part of a name)"})
            return
        actor, contact_id = actor_of(context), int(picked.removeprefix("contact:"))

        def add() -> str:
            interaction = directory.interaction_at(actor, meta["channel_id"],
                                                   meta.get("thread_ts") or meta["message_ts"])
            source = NoteSource(channel_id=meta["channel_id"], message_ts=meta["message_ts"],
                                permalink=meta.get("permalink"), interaction_id=interaction and interaction.id)
            directory.add_note(actor, "contact", contact_id, entered.get("text") or "", source)
            name = directory.get_contact(actor, contact_id).full_name
            return f"The message is now a note on *{escape(name)}*."

        submitted(ack, add, {"text": "text"}, "contact", "Note saved", "Note not saved", context=context,
                  directory=directory)

    @app.view(modals.CREATE_MODAL)
    def create_submitted(ack: Ack, context: BoltContext, view: dict) -> None:
        entered = modals.values(view)
        data: dict[str, Any] = {key: entered.get(key) for key in ("first_name", "last_name", "title")}
        if entered.get("phone"):
            data["phones"] = [{"raw": entered["phone"]}]
        if entered.get("email"):
            data["emails"] = [{"address": entered["email"]}]

        def create() -> str:
            contact = directory.create(actor_of(context), "contact", data)
            return f"*{escape(contact.full_name)}* was added."

        submitted(ack, create, {**CONTACT_INPUTS, "emails": "email"}, "first_name", "Contact created", "Not created",
                  context=context, directory=directory)

    @app.view(modals.EDIT_MODAL)
    def edit_submitted(ack: Ack, context: BoltContext, view: dict) -> None:
        meta = json.loads(view["private_metadata"])
        entered = modals.values(view)
        actor = actor_of(context)

        def edit() -> str:
            current = directory.get_contact(actor, int(meta["id"]))
            kinds = {e.address.casefold(): e.kind.value for e in current.emails}
            addresses = [line.strip() for line in (entered.get("emails") or "").splitlines() if line.strip()]
            changes = {key: entered.get(key) for key in ("first_name", "middle_name", "last_name", "title",
                                                          "external_system_url")}
            changes["emails"] = [{"address": a, "kind": kinds.get(a.casefold(), "work")} for a in addresses]
            contact = directory.update(actor, "contact", current.key, changes, expected_version=int(meta["version"]))
            return f"*{escape(contact.full_name)}* was updated."

        def changed_meanwhile() -> str:
            opened = datetime.fromisoformat(meta["opened"]) if meta.get("opened") else None
            entries = [e for e in directory.history(actor, "contact", int(meta["id"])) if opened and e.at > opened]
            lines = [f"• {escape(e.actor)} changed {escape(field)}: {clip_escaped(before or '—', 80)} → "
                     f"{clip_escaped(after or '—', 80)}" for e in reversed(entries)
                     for field, (before, after) in e.changes.items()]
            return (":warning: Someone changed this contact after you opened the form, so your edit was not saved "
                    "(it would have undone theirs):\n" + "\n".join(lines[:10]) +
                    "\nOpen *Edit* on the card again to start from what is there now.")

        submitted(ack, edit, CONTACT_INPUTS, "first_name", "Contact saved", "Not saved", changed_meanwhile,
                  context=context, directory=directory)
