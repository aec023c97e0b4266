"""Block Kit for cards, lists and help. Every piece of record or user text goes through ``escape``; every text is
cut to Block Kit's limits with a visible marker."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bot.text import clip, clip_escaped, escape
from core.directory import MAX_RESULTS, Profile
from core.models import Contact, Interaction, Note, Organization

SECTION_TEXT = 3000
HEADER_TEXT = 150
BUTTON_TEXT = 75
MAX_BLOCKS = 50
NOTES_SHOWN = 3
NOTE_PREVIEW = 600
INTERACTIONS_SHOWN = 3
LIST_SHOWN = 10

Block = dict[str, Any]


def ref(kind: str, record_id: int, **extra: Any) -> str:
    """A button value naming a record (and anything else the click needs)."""
    return json.dumps({"kind": kind, "id": record_id, **extra}, separators=(",", ":"))


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, HEADER_TEXT), "emoji": False}}


def section(mrkdwn: str, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": clip(mrkdwn, SECTION_TEXT)}}
    if accessory:
        block["accessory"] = accessory
    return block


def context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(mrkdwn, SECTION_TEXT)}]}


def button(text: str, action_id: str, value: str = "", *, style: str | None = None, url: str | None = None,
           confirm: Block | None = None) -> Block:
    element: Block = {"type": "button", "action_id": action_id,
                      "text": {"type": "plain_text", "text": clip(text, BUTTON_TEXT), "emoji": False}}
    if value:
        element["value"] = value
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    if confirm:
        element["confirm"] = confirm
    return element


def actions(*elements: Block | None) -> Block:
    return {"type": "actions", "elements": [e for e in elements if e]}


_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


def slack_link(url: str | None, label: str) -> str:
    """A labelled link only to Slack itself; other addresses show as they are, so no label can disguise them."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    # A real host name only ("evil.example\\.slack.com" ends with ".slack.com" too), over https, with no user part.
    if (parts.scheme == "https" and parts.username is None and _HOST_NAME.fullmatch(host)
            and (host == "slack.com" or host.endswith(".slack.com"))):
        return f" · <{escape(url)}|{label}>"
    return f" · {escape(url)}"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def lines_within(lines: Sequence[str], limit: int, noun: str) -> str:
    """As many whole lines as fit in ``limit``, then a line saying how many were left out."""
    shown: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        more = len(lines) - i
        tail = f"\n… and {more} more {noun}"
        if used + len(line) + 1 + (len(tail) if more > 1 else 0) > limit:
            shown.append(tail.strip())
            break
        shown.append(line)
        used += len(line) + 1
    return "\n".join(shown)


# ---------------------------------------------------------------- cards

def contact_card(profile: Profile) -> list[Block]:
    contact = profile.record
    assert isinstance(contact, Contact)
    role = " at ".join(escape(p) for p in (contact.title, profile.organization and profile.organization.name) if p)
    status = [f"Division {escape(contact.division)}", "*Opted out of surveys*" if contact.survey_opt_out
              else "Surveys allowed"]
    blocks: list[Block] = [header(contact.full_name), section("\n".join(p for p in (role, " · ".join(status)) if p))]

    phones = [f"*{p.kind.value}* {escape(p.raw)}"
              + (f"  ({escape(p.e164)})" if p.e164 and p.e164 != p.raw.replace(" ", "") else "")
              + (f" · SMS {'on' if p.sms else 'off'}" if p.can_sms else "") for p in contact.phones]
    reach = phones + [f"*{e.kind.value}* {escape(e.address)}" for e in contact.emails]
    reach += [f"*{s.network.value}* {escape(s.handle)}" for s in contact.socials]
    if reach:
        blocks.append(section(lines_within(reach, SECTION_TEXT, "numbers and addresses")))
    custom = [f"*{escape(label)}:* {escape(_value(value))}" for label, value in profile.custom_values()]
    if custom:
        blocks.append(section(lines_within(custom, SECTION_TEXT, "fields")))
    blocks += _notes(profile.notes)
    blocks += _interactions(profile.interactions)
    blocks.append(_card_actions(profile))
    return blocks[:MAX_BLOCKS]


def organization_card(profile: Profile) -> list[Block]:
    organization = profile.record
    assert isinstance(organization, Organization)
    facts = [f"Division {escape(organization.division)}"]
    facts += [escape(p) for p in (organization.industry, organization.company_type) if p]
    blocks: list[Block] = [header(organization.name), section(" · ".join(facts))]
    reach = [f"*{slot}* {escape(p.raw)}" for slot, p in (("phone", organization.phone), ("fax", organization.fax)) if p]
    reach += [escape(site) for site in organization.websites]
    if organization.tags:
        reach.append("*tags* " + ", ".join(escape(t) for t in organization.tags))
    if reach:
        blocks.append(section(lines_within(reach, SECTION_TEXT, "lines")))
    custom = [f"*{escape(label)}:* {escape(_value(value))}" for label, value in profile.custom_values()]
    if custom:
        blocks.append(section(lines_within(custom, SECTION_TEXT, "fields")))
    if profile.relationships:
        blocks.append(section("*Relationships*\n" + lines_within(
            [f"{escape(r.role)}: {escape(r.user)}" for r in profile.relationships], SECTION_TEXT - 20, "people")))
    if profile.contacts:
        shown = profile.contacts[:LIST_SHOWN]
        lines = [f"• {escape(c.full_name)}" + (f", {escape(c.title)}" if c.title else "") for c in shown]
        if len(profile.contacts) > len(shown):
            lines.append(f"… and {len(profile.contacts) - len(shown)} more")
        blocks.append(section("*Contacts*\n" + "\n".join(lines)))
    blocks += _notes(profile.notes)
    blocks.append(_card_actions(profile))
    return blocks[:MAX_BLOCKS]


def card(profile: Profile) -> list[Block]:
    return contact_card(profile) if profile.kind == "contact" else organization_card(profile)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _notes(notes: list[Note]) -> list[Block]:
    if not notes:
        return []
    blocks = [section("*Notes*")]
    for note in notes[:NOTES_SHOWN]:
        link = slack_link(note.source.permalink if note.source else None, "from Slack")
        blocks.append(context(f"*{escape(note.author)}* · {when(note.created_at)}{link}\n"
                              f"{clip_escaped(note.text, NOTE_PREVIEW)}"))
    if len(notes) > NOTES_SHOWN:
        blocks.append(context(f"… and {len(notes) - NOTES_SHOWN} older notes"))
    return blocks


def _interactions(interactions: list[Interaction]) -> list[Block]:
    if not interactions:
        return []
    lines = []
    for interaction in interactions[:INTERACTIONS_SHOWN]:
        link = slack_link(interaction.permalink, "message")
        summary = f": {clip_escaped(interaction.summary, 200)}" if interaction.summary else ""
        lines.append(f"{when(interaction.at)} · {escape(interaction.kind)}{summary}{link}")
    return [section("*Recent interactions*"), context("\n".join(lines))]


def _card_actions(profile: Profile) -> Block:
    record = profile.record
    value = ref(profile.kind, record.key)
    opted_out = isinstance(record, Contact) and record.survey_opt_out
    toggle = None
    if isinstance(record, Contact) and profile.can_note:
        # The button names the state it sets, so a click on a card drawn before someone else changed it sets what
        # the person saw, never the opposite.
        toggle = button(
            "Allow surveys" if opted_out else "Opt out of surveys", "set_opt_out",
            ref(profile.kind, record.key, opt_out=not opted_out),
            confirm={
                "title": {"type": "plain_text", "text": "Survey opt-out"},
                "text": {"type": "mrkdwn", "text": clip(
                    f"{'Allow' if opted_out else 'Stop'} automated surveys for {escape(record.full_name)}?", 300)},
                "confirm": {"type": "plain_text", "text": "Allow" if opted_out else "Opt out"},
                "deny": {"type": "plain_text", "text": "Cancel"},
            },
        )
    return actions(
        button("Open in CRM", "open_crm", value, url=record.external_system_url) if record.external_system_url else None,
        button("Add note", "open_note_modal", value, style="primary") if profile.can_note else None,
        toggle,
        button("Edit", "open_edit_modal", value) if profile.can_edit and isinstance(record, Contact) else None,
        button("Share in channel", "share_record", value),
    )


def shared_card(profile: Profile) -> list[Block]:
    """What everyone in a channel sees: who, and where they work. Details are for each viewer to open."""
    record = profile.record
    where = f" · {escape(profile.organization.name)}" if profile.organization else ""
    return [section(f"*{escape(record.full_name)}*{where}",
                    button("View details", "view_record", ref(profile.kind, record.key)))]


# ---------------------------------------------------------------- lists and messages

def record_list(rows: Iterable[tuple[str, int, str, str]], total: int, searched: str) -> list[Block]:
    """Rows of (kind, id, title, subtitle), each with a View button, and how many there were."""
    rows = list(rows)[:LIST_SHOWN]
    blocks: list[Block] = [section(f"*{total}* records match {escape(searched)}")]
    for kind, record_id, title, subtitle in rows:
        text = f"*{escape(title)}*" + (f"\n{escape(subtitle)}" if subtitle else "")
        blocks.append(section(text, button("View", "view_record", ref(kind, record_id))))
    if total > len(rows):
        blocks.append(context(f"Showing {len(rows)} of {total}: refine your search to see the rest."))
    return blocks


def too_many(query: str) -> list[Block]:
    return [section(f"More than *{MAX_RESULTS}* records match *{escape(query)}*. "
                    "Refine your search: add a last name, an organization, or type the full number.")]


def nothing_found(what: str, searched: str, create_value: str | None) -> list[Block]:
    blocks = [section(f"No contact or organization has {what} *{escape(searched)}*.")]
    if create_value:
        blocks.append(actions(button("Create contact", "open_create_modal", create_value, style="primary")))
    return blocks


def message(text: str) -> list[Block]:
    """A plain reply; ``text`` must already be escaped where it holds untrusted parts."""
    return [section(text)]


HELP = """*`/contact`* finds people and organizations outside the company.
• `/contact +1 415 555 2671`: a phone number in any format, an email, a @handle, or a name or organization
• `/contact #12`: the contact with id 12
• `/contact note <who> <text>`: add a note to a contact (`<who>` is a number, an email, `#id`, or a quoted name)
• `/contact optout <who>` and `/contact optin <who>`: record a survey opt-out, or lift it
• `/contact sms <phone> on|off`: allow or block SMS to one number
• `/contact help`: this message
Replies are only visible to you; *Share in channel* shows a contact's name to the channel."""


def help_blocks() -> list[Block]:
    return [section(HELP)]
