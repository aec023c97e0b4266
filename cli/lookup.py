"""``contacts lookup``: what an agent types, answered as text or JSON."""

from __future__ import annotations

import argparse
import json

from cli.output import FOUND, NOTHING
from core.directory import Directory, Lookup
from core.kinds import RecordKind
from core.models import Contact, Organization
from core.policy import Actor
from core.text import inert

SEARCHED_AS = {"phone": "the number", "email": "the address", "social": "the handle"}


def add_parser(commands: argparse._SubParsersAction) -> None:
    lookup = commands.add_parser("lookup", help="find contacts by phone (any format), email, @handle or words")
    lookup.add_argument("value")
    lookup.add_argument("--json", action="store_true", help="print JSON")
    lookup.set_defaults(run=run)


def run(directory: Directory, actor: Actor, args: argparse.Namespace) -> int:
    found = directory.lookup(actor, args.value)
    # Only the organizations the actor may see: a contact linked to another division's shows none.
    linked = {c.organization_id for c in found.contacts if c.organization_id}
    organizations = {o.id: o.full_name for o in directory.records(actor, RecordKind.organization, linked)}
    print(as_json(found) if args.json else inert(as_text(found, organizations)))  # JSON escapes them itself
    return FOUND if found.found else NOTHING


def as_json(found: Lookup) -> str:
    return json.dumps({
        "query": found.query,
        "searched_as": found.kind,
        "normalized": found.normalized,
        "contacts": [c.model_dump(mode="json") for c in found.contacts],
        "organizations": [o.model_dump(mode="json") for o in found.organizations],
        "total": found.search.total if found.search else len(found.contacts) + len(found.organizations),
        "refine": bool(found.search and found.search.refine),
    }, indent=2, ensure_ascii=False)


def as_text(found: Lookup, organizations: dict[int | None, str]) -> str:
    if found.search is not None and found.search.refine:
        return found.search.message
    if not found.found:
        if found.kind == "search":
            return f"Nothing matches {found.query!r}."
        return f"No contact or organization has {SEARCHED_AS[found.kind]} {found.normalized}."
    blocks = [_contact_text(c, organizations.get(c.organization_id)) for c in found.contacts]
    blocks += [_organization_text(o) for o in found.organizations]
    if found.search is not None:
        blocks.append(found.search.message)
    return "\n\n".join(blocks)


def _contact_text(contact: Contact, organization: str | None) -> str:
    lines = [f"{contact.full_name}  (contact {contact.id}, division {contact.division})"]
    role = " at ".join(p for p in (contact.title, organization) if p)
    if role:
        lines.append(f"  {role}")
    for phone in contact.phones:
        normalized = f"  [{phone.e164}]" if phone.e164 and phone.e164 != phone.raw else ""
        sms = f"  SMS {'on' if phone.sms else 'off'}" if phone.can_sms else ""
        lines.append(f"  {phone.kind.value:<6} {phone.raw}{normalized}{sms}")
    lines += [f"  {email.kind.value:<6} {email.address}" for email in contact.emails]
    lines += [f"  {social.network.value}: {social.handle}" for social in contact.socials]
    if contact.survey_opt_out:
        lines.append("  Opted out of surveys")
    lines += [f"  {key}: {value}" for key, value in contact.custom_fields.items()]
    if contact.external_system_url:
        lines.append(f"  {contact.external_system_url}")
    return "\n".join(lines)


def _organization_text(organization: Organization) -> str:
    lines = [f"{organization.name}  (organization {organization.id}, division {organization.division})"]
    if organization.phone:
        lines.append(f"  phone  {organization.phone.raw}")
    lines += [f"  {site}" for site in organization.websites]
    lines += [f"  {key}: {value}" for key, value in organization.custom_fields.items()]
    return "\n".join(lines)
