"""The selected record in full: every field, notes, interactions, relationships and history.

Record text is put into ``rich.text.Text`` pieces, never parsed as markup, so no stored value can restyle or break
the screen.
"""

from __future__ import annotations

import json

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.directory import Profile
from core.models import AuditEntry, Contact, Organization
from core.text import inert

MUTED = "dim"
LABEL = "bold"


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _line(text: Text, label: str, value: object) -> None:
    if value in (None, "", []):
        return
    text.append(f"{label}: ", LABEL)
    text.append(str(value))
    text.append("\n")


def describe(profile: Profile, history: list[AuditEntry]) -> Text:
    record = profile.record
    text = Text()
    text.append(record.full_name + "\n", "bold reverse")
    if isinstance(record, Contact):
        _contact(text, record, profile)
    else:
        _organization(text, record)
    text.append(f"Division: {record.division}", LABEL)
    text.append("  (set when the record was created; only a move changes it)\n", MUTED)
    _line(text, "CRM link", record.external_system_url)
    for item in record.external_ids:
        _line(text, f"{item.source} id", item.value)
    if record.address:
        parts = [record.address.address1, record.address.address2, record.address.city, record.address.state,
                 record.address.postal_code, record.address.country_code]
        _line(text, "Address", ", ".join(p for p in parts if p))
    for label, value in profile.custom_values():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else ("yes" if value is True else
                                                                            "no" if value is False else value)
        _line(text, label, shown)
    if not isinstance(record, Contact):
        _people(text, profile)
    _section(text, f"Notes ({len(profile.notes)})")
    for note in profile.notes:
        text.append(f"{_when(note.created_at)}  {note.author}", MUTED)
        if note.source and note.source.permalink:
            text.append(f"  {note.source.permalink}", MUTED)
        text.append("\n" + note.text + "\n\n")
    if profile.interactions:
        _section(text, "Recent interactions")
        for interaction in profile.interactions:
            text.append(f"{_when(interaction.at)}  {interaction.kind}", MUTED)
            text.append(f"  {interaction.summary or ''}\n")
    _section(text, "History")
    for entry in history:
        text.append(f"{_when(entry.at)}  {entry.actor}  ", MUTED)
        text.append(entry.action)
        if entry.detail:
            text.append(f"  {entry.detail}", MUTED)
        text.append("\n")
        if entry.action == "create":  # everything was new: the fields it was created with
            text.append("    " + ", ".join(entry.changes) + "\n", MUTED)
            continue
        for field, (before, after) in entry.changes.items():
            if before is None and isinstance(after, int):
                continue  # the id of what was added (a note, an interaction): the detail above says what it is
            text.append(f"    {field}: ", MUTED)
            text.append(_value(before), "strike" if after is not None else "")
            text.append(" → ", MUTED)
            text.append(_value(after) + "\n")
    text.plain = inert(text.plain)  # stored text stays text: no escape reaches the terminal (same length)
    return text


def _value(value: object, limit: int = 80) -> str:
    """A before or after value on one line: blank as "—", text as it is, anything else as compact JSON."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    shown = " ".join(shown.split())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _contact(text: Text, contact: Contact, profile: Profile) -> None:
    role = " at ".join(p for p in (contact.title, profile.organization and profile.organization.name) if p)
    if role:
        text.append(role + "\n")
    text.append("Opted out of surveys\n" if contact.survey_opt_out else "Surveys allowed\n",
                "bold red" if contact.survey_opt_out else MUTED)
    for phone in contact.phones:
        text.append(f"{phone.kind.value:<6} ", LABEL)
        text.append(phone.raw)
        if phone.e164 and phone.e164 != phone.raw:
            text.append(f"  {phone.e164}", MUTED)
        if phone.can_sms:
            text.append("  SMS on\n" if phone.sms else "  SMS off\n", "green" if phone.sms else MUTED)
        else:
            text.append("\n")
    for email in contact.emails:
        text.append(f"{email.kind.value:<6} ", LABEL)
        text.append(email.address + "\n")
    for social in contact.socials:
        text.append(f"{social.network.value:<6} ", LABEL)
        text.append(social.handle + "\n")


def _organization(text: Text, organization: Organization) -> None:
    _line(text, "Phone", organization.phone and organization.phone.raw)
    _line(text, "Fax", organization.fax and organization.fax.raw)
    _line(text, "Industry", organization.industry)
    _line(text, "Type", organization.company_type)
    _line(text, "Websites", ", ".join(organization.websites))
    _line(text, "Tags", ", ".join(organization.tags))


def _people(text: Text, profile: Profile) -> None:
    """An organization's relationships and contacts."""
    if profile.relationships:
        _section(text, "Relationships")
        for relationship in profile.relationships:
            text.append(f"{relationship.role}: ", LABEL)
            text.append(relationship.user + "\n")
    _section(text, f"Contacts ({len(profile.contacts)})")
    for contact in profile.contacts[:50]:
        text.append(contact.full_name + (f", {contact.title}" if contact.title else "") + "\n")
    if len(profile.contacts) > 50:
        text.append(f"… and {len(profile.contacts) - 50} more\n", MUTED)


def _section(text: Text, title: str) -> None:
    text.append(f"\n{title}\n", "bold underline")


class DetailPane(VerticalScroll):
    """Shows one record; empty until one is highlighted."""

    def compose(self):
        yield Static(Text("Nothing selected", MUTED), id="detail-body")

    def show(self, profile: Profile | None, history: list[AuditEntry]) -> None:
        body = self.query_one("#detail-body", Static)
        body.update(describe(profile, history) if profile else Text("Nothing selected", MUTED))
