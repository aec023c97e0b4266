"""What `/contact ...` does: a reply (Block Kit) for the text after the command."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot import blocks
from bot.blocks import Block
from bot.text import escape
from core.directory import Directory, Lookup
from core.errors import ValidationFailed
from core.kinds import RecordKind
from core.models import DEFAULT_DIVISION, Contact
from core.policy import Action, Actor

_PHONE_TOKEN = re.compile(r"^[+(]?[\d().\-]+$")
_QUOTES = {'"': '"', "“": "”", "'": "'"}


@dataclass(frozen=True)
class Reply:
    blocks: list[Block]
    text: str  # the notification and screen-reader text Slack shows with the blocks


CHANGING_VERBS = ("note", "optout", "optin", "sms")  # the rest only read


def verb_of(text: str) -> tuple[str, str]:
    verb, _, rest = text.strip().partition(" ")
    return verb.lower(), rest


def changes_anything(text: str) -> bool:
    return verb_of(text)[0] in CHANGING_VERBS


def run(directory: Directory, actor: Actor, text: str) -> Reply:
    text = text.strip()
    verb, rest = verb_of(text)
    if not text or verb == "help":
        return Reply(blocks.help_blocks(), "How to use /contact")
    if verb == "note":
        return note(directory, actor, rest)
    if verb in ("optout", "optin"):
        return opt_out(directory, actor, rest, verb == "optout")
    if verb == "sms":
        return sms(directory, actor, rest)
    return lookup(directory, actor, text)


def lookup(directory: Directory, actor: Actor, text: str) -> Reply:
    if re.fullmatch(r"#\d+", text):
        profile = directory.profile(actor, "contact", int(text[1:]))
        return Reply(blocks.card(profile), profile.record.full_name)
    found = directory.lookup(actor, text)
    if found.search is not None and found.search.refine:
        return Reply(blocks.too_many(text), found.search.message)
    total = found.search.total if found.search is not None else len(found.contacts) + len(found.organizations)
    if total == 0:
        return _nothing_found(directory, actor, found)
    if total == 1:
        record = (found.contacts or found.organizations)[0]
        profile = directory.profile(actor, RecordKind.of_record(record), record.key)
        return Reply(blocks.card(profile), record.full_name)
    return Reply(blocks.record_list(_rows(found), total, _searched(found)), f"{total} matches")


def _rows(found: Lookup) -> list[tuple[str, int, str, str]]:
    if found.search is not None:
        return [(h.kind, h.id, h.title, h.subtitle) for h in found.search.hits]
    return ([("contact", c.key, c.full_name, c.title or "") for c in found.contacts]
            + [("organization", o.key, o.name, o.industry or "") for o in found.organizations])


def _searched(found: Lookup) -> str:
    return found.normalized if found.kind != "search" else repr(found.query)


def _nothing_found(directory: Directory, actor: Actor, found: Lookup) -> Reply:
    what = {"phone": "the number", "email": "the address", "social": "the handle", "search": "anything matching"}[found.kind]
    create = None
    if found.kind in ("phone", "email") and directory.can(actor, Action.edit, DEFAULT_DIVISION):
        create = json.dumps({found.kind: found.normalized})
    searched = found.normalized if found.kind != "search" else found.query
    return Reply(blocks.nothing_found(what, searched, create), f"No contact has {what} {searched}")


def split_who(rest: str) -> tuple[str, str]:
    """``<who> <rest>``: a quoted name, a phone number (spaces allowed), or one word such as an email or #id."""
    rest = rest.strip()
    if rest[:1] in _QUOTES:
        closing = rest.find(_QUOTES[rest[0]], 1)
        if closing > 0:
            return rest[1:closing].strip(), rest[closing + 1:].strip()
    tokens = rest.split()
    phone = []
    for token in tokens:
        if not _PHONE_TOKEN.match(token):
            break
        phone.append(token)
    if phone:
        return " ".join(phone), " ".join(tokens[len(phone):])
    return (tokens[0], " ".join(tokens[1:])) if tokens else ("", "")


def resolve(directory: Directory, actor: Actor, who: str, purpose: str) -> Contact | Reply:
    """The one contact ``who`` names, or a reply listing what it matched instead."""
    if not who:
        raise ValidationFailed.one("who", who, f"say {purpose}: a number, an email, #id, or a quoted name")
    if re.fullmatch(r"#\d+", who):
        return directory.get_contact(actor, int(who[1:]))
    found = directory.lookup(actor, who)
    if found.search is not None and found.search.refine:
        return Reply(blocks.too_many(who), "Refine your search")
    if len(found.contacts) == 1:
        return found.contacts[0]
    if not found.contacts:
        return Reply(blocks.message(f"No contact matches *{escape(who)}*."), "No contact matches")
    total = found.search.total if found.search is not None else len(found.contacts)
    listing = blocks.record_list([("contact", c.key, c.full_name, c.title or "") for c in found.contacts], total,
                                 repr(who))
    listing.insert(0, blocks.section(f"*{escape(who)}* matches several contacts: name one by its number, email "
                                     f"or `#id` ({purpose})."))
    return Reply(listing, "Several contacts match")


def note(directory: Directory, actor: Actor, rest: str) -> Reply:
    who, text = split_who(rest)
    contact = resolve(directory, actor, who, "whose note this is")
    if isinstance(contact, Reply):
        return contact  # none, or several: the reply says which
    directory.add_note(actor, "contact", contact.key, text)
    return Reply(blocks.message(f"Note added to *{escape(contact.full_name)}*."), "Note added")


def opt_out(directory: Directory, actor: Actor, rest: str, opted_out: bool) -> Reply:
    who, extra = split_who(rest)
    if extra:
        raise ValidationFailed.one("who", rest, "name one contact: a number, an email, #id, or a quoted name")
    resolved = resolve(directory, actor, who, "whose survey opt-out this is")
    if isinstance(resolved, Reply):
        return resolved
    contact = directory.set_survey_opt_out(actor, resolved.key, opted_out)
    what = "will get no automated surveys" if opted_out else "may get automated surveys again"
    return Reply(blocks.message(f"*{escape(contact.full_name)}* {what}."), "Survey opt-out updated")


def sms(directory: Directory, actor: Actor, rest: str) -> Reply:
    phone, _, switch = rest.strip().rpartition(" ")
    if switch.lower() not in ("on", "off") or not phone.strip():
        raise ValidationFailed.one("sms", rest, "say \"/contact sms <phone> on\" or \"/contact sms <phone> off\"")
    found = directory.lookup(actor, phone)
    if found.kind != "phone":
        raise ValidationFailed.one("phone", phone, "is not a phone number")
    if len(found.contacts) != 1:
        who = "No contact has" if not found.contacts else f"{len(found.contacts)} contacts have"
        return Reply(blocks.message(f"{who} the number *{escape(found.normalized)}*; SMS was not changed."),
                     "SMS not changed")
    enabled = switch.lower() == "on"
    contact = directory.set_sms(actor, found.contacts[0].key, phone, enabled)
    return Reply(blocks.message(f"SMS to *{escape(phone.strip())}* ({escape(contact.full_name)}) is now "
                                f"*{'on' if enabled else 'off'}*."), "SMS updated")
