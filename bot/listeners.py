"""Bolt listeners: each acknowledges at once, then does its work and answers privately."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks, commands, modals
from bot.people import People
from bot.settings import SlackSettings
from bot.text import clip, clip_escaped, escape
from core.directory import Directory
from core.errors import Conflict, ContactsError, ValidationFailed
from core.models import Contact, NoteSource
from core.phones import numbers_in
from core.policy import Actor

log = logging.getLogger(__name__)

OPTIONS_LIMIT = 100
OPTION_TEXT = 75


def _record(value: str) -> tuple[str, int, dict[str, Any]]:
    data = json.loads(value)
    return data.pop("kind"), int(data.pop("id")), data


def _refusal(error: ContactsError) -> list[blocks.Block]:
    return blocks.message(f":warning: {escape(error)}")


def refuse(respond: Respond, error: ContactsError) -> None:
    """Tell only the person who clicked why nothing happened, below whatever they clicked."""
    respond(blocks=_refusal(error), text=escape(error), response_type="ephemeral", replace_original=False)


def register(app: App, directory: Directory, settings: SlackSettings) -> None:
    people = People(app.client, settings.match_by_email)

    def actor_of(body: dict) -> Actor:
        user = body.get("user")
        if isinstance(user, dict):  # interactivity payloads
            return people.actor(user["id"], user.get("username") or user.get("name"))
        return people.actor(body["user_id"], body.get("user_name"))  # slash commands

    def answering(respond: Respond, work: Callable[[], commands.Reply], **options: Any) -> None:
        """Run ``work`` and send its reply privately; a refusal from core becomes a private message too."""
        try:
            reply = work()
        except ContactsError as error:
            reply = commands.Reply(_refusal(error), str(error))
        except Exception:
            log.exception("a Slack request failed")
            reply = commands.Reply(blocks.message(":warning: Something went wrong on our side; it was logged. "
                                                  "Changes are all-or-nothing, so try again."), "Something went wrong")
        respond(blocks=reply.blocks, text=clip_escaped(reply.text, 3000), response_type="ephemeral", **options)

    # ------------------------------------------------------------ /contact

    @app.command("/contact")
    def contact_command(ack: Ack, command: dict, respond: Respond) -> None:
        ack()
        actor = actor_of(command)
        answering(respond, lambda: commands.run(directory, actor, command.get("text") or ""))

    # ------------------------------------------------------------ card buttons

    def card_reply(actor: Actor, kind: str, record_id: int) -> commands.Reply:
        profile = directory.profile(actor, kind, record_id)
        return commands.Reply(blocks.card(profile), profile.record.full_name)

    @app.action("view_record")
    def view_record(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        kind, record_id, _ = _record(action["value"])
        answering(respond, lambda: card_reply(actor_of(body), kind, record_id), replace_original=False)

    @app.action("share_record")
    def share_record(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        kind, record_id, _ = _record(action["value"])
        try:
            profile = directory.profile(actor_of(body), kind, record_id)
        except ContactsError as error:
            refuse(respond, error)
            return
        respond(blocks=blocks.shared_card(profile), text=escape(profile.record.full_name), response_type="in_channel",
                replace_original=False)

    @app.action("toggle_opt_out")
    def toggle_opt_out(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        ack()
        _, record_id, _ = _record(action["value"])
        actor = actor_of(body)

        def toggle() -> commands.Reply:
            contact = directory.get_contact(actor, record_id)
            directory.set_survey_opt_out(actor, record_id, not contact.survey_opt_out)
            return card_reply(actor, "contact", record_id)

        answering(respond, toggle, replace_original=False)

    @app.action("open_crm")
    def open_crm(ack: Ack) -> None:
        ack()  # a link button: Slack opens the URL; the click still has to be acknowledged

    def open_modal(client: WebClient, body: dict, respond: Respond, build: Callable[[], dict]) -> None:
        try:
            client.views_open(trigger_id=body["trigger_id"], view=build())
        except ContactsError as error:
            refuse(respond, error)

    @app.action("open_note_modal")
    def open_note_modal(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
        ack()
        kind, record_id, _ = _record(action["value"])
        actor = actor_of(body)
        open_modal(client, body, respond,
                   lambda: modals.note_modal(kind, record_id, directory.get(actor, kind, record_id).full_name))

    @app.action("open_edit_modal")
    def open_edit_modal(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
        ack()
        _, record_id, _ = _record(action["value"])
        open_modal(client, body, respond, lambda: modals.edit_modal(directory.get_contact(actor_of(body), record_id)))

    @app.action("open_create_modal")
    def open_create_modal(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond) -> None:
        ack()
        prefill = json.loads(action["value"])
        open_modal(client, body, respond, lambda: modals.create_modal(prefill.get("phone"), prefill.get("email")))

    # ------------------------------------------------------------ modals

    def saved(title: str, text: str) -> dict:
        return {"type": "modal", "title": {"type": "plain_text", "text": clip(title, 24)},
                "close": {"type": "plain_text", "text": "Done"}, "blocks": blocks.message(text)}

    def field_errors(error: ValidationFailed, fields: dict[str, str], fallback: str) -> dict[str, str]:
        """Core's problems, shown next to the input each belongs to (Slack allows 150 characters each)."""
        shown: dict[str, str] = {}
        for problem in error.problems:
            block = next((b for prefix, b in fields.items() if problem.field.split(".")[0] == prefix), fallback)
            shown[block] = clip(f"{shown[block]}; {problem.message}" if block in shown else problem.message, 150)
        return shown

    @app.view(modals.NOTE_MODAL)
    def note_submitted(ack: Ack, body: dict, view: dict) -> None:
        meta = json.loads(view["private_metadata"])
        text = modals.values(view)["text"] or ""
        try:
            directory.add_note(actor_of(body), meta["kind"], int(meta["id"]), text)
        except ValidationFailed as error:
            ack(response_action="errors", errors=field_errors(error, {"text": "text"}, "text"))
            return
        except ContactsError as error:
            ack(response_action="update", view=saved("Note not saved", f":warning: {escape(error)}"))
            return
        ack(response_action="update", view=saved("Note saved", "The note was added."))

    @app.shortcut("add_note_to_contact")
    def add_note_shortcut(ack: Ack, shortcut: dict, client: WebClient) -> None:
        ack()
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

    @app.options(modals.CONTACT_PICKER)
    def contact_options(ack: Ack, body: dict, payload: dict) -> None:
        query = (payload.get("value") or "").strip()
        found = directory.lookup(actor_of(body), query)
        if found.search is not None and found.search.refine:
            ack(options=[{"text": {"type": "plain_text", "text": clip(f"{found.search.total} match: type more", OPTION_TEXT)},
                          "value": "refine"}])
            return
        options = []
        for contact in found.contacts[:OPTIONS_LIMIT]:
            label = contact.full_name + (f" ({contact.title})" if contact.title else "")
            options.append({"text": {"type": "plain_text", "text": clip(label, OPTION_TEXT)},
                            "value": f"contact:{contact.id}"})
        ack(options=options)

    @app.view(modals.MESSAGE_NOTE_MODAL)
    def message_note_submitted(ack: Ack, body: dict, view: dict) -> None:
        meta = json.loads(view["private_metadata"])
        entered = modals.values(view)
        picked = entered.get("contact") or ""
        if not picked.startswith("contact:"):
            ack(response_action="errors", errors={"contact": "Pick a contact from the list (type part of a name)"})
            return
        actor = actor_of(body)
        contact_id = int(picked.removeprefix("contact:"))
        try:
            interaction = directory.interaction_at(actor, meta["channel_id"], meta.get("thread_ts") or meta["message_ts"])
            source = NoteSource(channel_id=meta["channel_id"], message_ts=meta["message_ts"],
                                permalink=meta.get("permalink"), interaction_id=interaction and interaction.id)
            directory.add_note(actor, "contact", contact_id, entered.get("text") or "", source)
            name = directory.get_contact(actor, contact_id).full_name
        except ValidationFailed as error:
            ack(response_action="errors", errors=field_errors(error, {"text": "text"}, "contact"))
            return
        except ContactsError as error:
            ack(response_action="errors", errors={"contact": clip(str(error), 150)})
            return
        ack(response_action="update", view=saved("Note saved", f"The message is now a note on *{escape(name)}*."))

    @app.view(modals.CREATE_MODAL)
    def create_submitted(ack: Ack, body: dict, view: dict) -> None:
        entered = modals.values(view)
        data: dict[str, Any] = {key: entered.get(key) for key in ("first_name", "last_name", "title")}
        if entered.get("phone"):
            data["phones"] = [{"raw": entered["phone"]}]
        if entered.get("email"):
            data["emails"] = [{"address": entered["email"]}]
        try:
            contact = directory.create(actor_of(body), "contact", data)
        except ValidationFailed as error:
            fields = {"first_name": "first_name", "last_name": "last_name", "title": "title", "phones": "phone",
                      "emails": "email"}
            ack(response_action="errors", errors=field_errors(error, fields, "first_name"))
            return
        except ContactsError as error:
            ack(response_action="update", view=saved("Not created", f":warning: {escape(error)}"))
            return
        ack(response_action="update", view=saved("Contact created", f"*{escape(contact.full_name)}* was added."))

    @app.view(modals.EDIT_MODAL)
    def edit_submitted(ack: Ack, body: dict, view: dict) -> None:
        meta = json.loads(view["private_metadata"])
        entered = modals.values(view)
        actor = actor_of(body)
        try:
            current = directory.get_contact(actor, int(meta["id"]))
            kinds = {e.address.casefold(): e.kind.value for e in current.emails}
            addresses = [line.strip() for line in (entered.get("emails") or "").splitlines() if line.strip()]
            changes = {key: entered.get(key) for key in ("first_name", "middle_name", "last_name", "title",
                                                          "external_system_url")}
            changes["emails"] = [{"address": a, "kind": kinds.get(a.casefold(), "work")} for a in addresses]
            contact = directory.update(actor, "contact", current.id, changes, expected_version=int(meta["version"]))
        except ValidationFailed as error:
            fields = {k: k for k in ("first_name", "middle_name", "last_name", "title", "emails", "external_system_url")}
            ack(response_action="errors", errors=field_errors(error, fields, "first_name"))
            return
        except Conflict as error:
            ack(response_action="errors", errors={"first_name": clip(str(error), 150)})
            return
        except ContactsError as error:
            ack(response_action="update", view=saved("Not saved", f":warning: {escape(error)}"))
            return
        ack(response_action="update", view=saved("Contact saved", f"*{escape(contact.full_name)}* was updated."))

    # ------------------------------------------------------------ screen pop

    watched = set(settings.screen_pop_channels)
    screen_pop_actor = Actor(settings.screen_pop_actor)

    @app.event("message")
    def screen_pop(event: dict, client: WebClient) -> None:
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

    def pop(client: WebClient, event: dict, text: str, contacts: list[Contact]) -> None:
        channel, ts = event["channel"], event["ts"]
        if len(contacts) > 1:
            rows = [("contact", c.id, c.full_name, c.title or "") for c in contacts]
            reply = blocks.record_list(rows, len(contacts), "this caller's number")
            client.chat_postMessage(channel=channel, thread_ts=ts, blocks=reply, text="Several contacts match")
            return
        try:
            permalink = client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
        except SlackApiError:
            permalink = None
        contact = contacts[0]
        try:
            directory.record_interaction(screen_pop_actor, contact.id, kind="call", summary=clip(text, 1000),
                                         channel_id=channel, message_ts=ts, permalink=permalink)
        except ContactsError as error:
            log.warning("screen pop could not record the interaction: %s", error)
        profile = directory.profile(screen_pop_actor, "contact", contact.id)
        client.chat_postMessage(channel=channel, thread_ts=ts, blocks=blocks.card(profile),
                                text=f"Caller: {escape(contact.full_name)}")
