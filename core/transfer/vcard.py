"""vCard 3.0 and 4.0 (RFC 2426, RFC 6350), as phones, address books and CRMs exchange contacts."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import vobject
from vobject.base import ParseError

from core.directory import Directory
from core.errors import ValidationFailed
from core.models import Contact
from core.phones import portable
from core.policy import Actor
from core.transfer.plan import Incoming

VERSIONS = ("3.0", "4.0")
UID_SOURCE = "vcard"
_PHONE_KINDS = {"cell": "cell", "mobile": "cell", "iphone": "cell", "home": "home", "work": "work"}
_EMAIL_KINDS = {"work": "work", "home": "personal", "personal": "personal"}
_EMAIL_TYPES = {"work": "WORK", "personal": "HOME", "other": "OTHER"}
_SOCIAL_NETWORKS = ("twitter", "whatsapp", "facebook", "line", "instagram")
_ADDRESS = {"street": "address1", "extended": "address2", "city": "city", "region": "state", "code": "postal_code",
            "country": "country_code"}


def read_vcards(path: Path, *, encoding: str | None = None) -> Iterator[Incoming]:
    """Each card as an incoming contact (with its ORG as organization), or an organization for company cards."""
    try:
        text = path.read_bytes().decode(encoding or "utf-8-sig")
    except OSError as error:
        raise ValidationFailed.one("file", str(path), f"cannot be read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ValidationFailed.one("file", str(path), f"is not {encoding or 'UTF-8'} text (byte {error.start}); "
                                                      "name its encoding", fix="encoding") from None
    starts = [n for n, line in enumerate(text.splitlines(), 1) if line.strip().upper() == "BEGIN:VCARD"]
    if not starts:
        raise ValidationFailed.one("file", str(path), "holds no vCard (no BEGIN:VCARD line)")
    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=True))
    except (ParseError, ValueError) as error:
        line = getattr(error, "lineNumber", None)
        where = f" near line {line}" if line else ""
        raise ValidationFailed.one("file", str(path), f"is not a readable vCard file{where}: {error}") from None
    for line, card in zip(starts, cards, strict=False):
        yield _incoming(line, card)


def _values(card: Any, name: str) -> list[Any]:
    return card.contents.get(name, [])


def _types(prop: Any) -> set[str]:
    """TYPE values however they are written: TYPE=work,voice / TYPE="work,voice" / vCard 2.1's bare ;CELL."""
    types = {t.strip().casefold() for value in prop.params.get("TYPE", []) for t in value.split(",")}
    return types | {name.casefold() for name, value in prop.params.items() if not value or value == [""]}


def _incoming(line: int, card: Any) -> Incoming:
    item = Incoming(line, source=card)
    contact: dict[str, Any] = {}
    n = card.contents.get("n")
    full = card.fn.value.strip() if "fn" in card.contents else ""
    if n and (n[0].value.given or n[0].value.family):
        name = n[0].value
        parts = {"first_name": name.given, "last_name": name.family, "middle_name": name.additional,
                 "salutation": name.prefix}
        contact.update({k: " ".join(v) if isinstance(v, list) else v for k, v in parts.items() if v})
    elif full:
        first, _, last = full.rpartition(" ")
        contact.update({"first_name": first or last, "last_name": last} if first else {"first_name": full})
    for field in ("first_name", "last_name", "middle_name", "salutation"):
        item.origins[f"contact.{field}"] = "N"
    organization_name = ""
    if "org" in card.contents:
        value = card.org.value
        organization_name = (value[0] if isinstance(value, list) and value else str(value)).strip()
    company_card = not contact or any(v.value.strip().upper() == "COMPANY" for v in _values(card, "x-abshowas"))
    if company_card and organization_name:
        item.organization = {"name": organization_name}
        item.origins["organization.name"] = "ORG"
        return item
    if organization_name:
        item.organization = {"name": organization_name}
        item.origins["organization.name"] = "ORG"
    if "title" in card.contents:
        contact["title"] = card.title.value
        item.origins["contact.title"] = "TITLE"
    phones: list[dict[str, Any]] = []
    for prop in _values(card, "tel"):
        types = _types(prop)
        kind = next((_PHONE_KINDS[t] for t in types if t in _PHONE_KINDS), "other")
        item.origins[f"contact.phones.{len(phones)}"] = "TEL"
        phones.append({"kind": kind, "raw": _phone_text(prop.value)})
    emails: list[dict[str, Any]] = []
    for prop in _values(card, "email"):
        kind = next((_EMAIL_KINDS[t] for t in _types(prop) if t in _EMAIL_KINDS), "other")
        item.origins[f"contact.emails.{len(emails)}"] = "EMAIL"
        emails.append({"kind": kind, "address": prop.value.strip()})
    socials: list[dict[str, Any]] = []
    for prop in _values(card, "x-socialprofile") + _values(card, "x-twitter"):
        network = "twitter" if prop.name.casefold() == "x-twitter" else next(
            (t for t in _types(prop) if t in _SOCIAL_NETWORKS), None)
        if network:
            item.origins[f"contact.socials.{len(socials)}"] = prop.name.upper()
            socials.append({"network": network, "handle": prop.value.rstrip("/").rsplit("/", 1)[-1]})
    for field, values in (("phones", phones), ("emails", emails), ("socials", socials)):
        if values:
            contact[field] = values
    addresses = _values(card, "adr")
    if addresses:
        value = addresses[0].value
        address = {ours: " ".join(getattr(value, theirs)) if isinstance(getattr(value, theirs), list)
                   else getattr(value, theirs) for theirs, ours in _ADDRESS.items()}
        contact["address"] = {k: v.strip() for k, v in address.items() if v and v.strip()}
        item.origins["contact.address"] = "ADR"
    for prop in _values(card, "url"):
        if re.match(r"^https?://", prop.value.strip()):
            contact["external_system_url"] = prop.value.strip()
            item.origins["contact.external_system_url"] = "URL"
            break
    if "uid" in card.contents and card.uid.value.strip():
        contact["external_ids"] = [{"source": UID_SOURCE, "value": card.uid.value.strip()}]
        item.origins["contact.external_ids"] = "UID"
    item.notes = [prop.value.strip() for prop in _values(card, "note") if prop.value.strip()]
    item.contact = contact
    return item


def _phone_text(value: str) -> str:
    """vCard 4.0 writes numbers as tel: URIs (``tel:+1-415-555-2671;ext=12``); keep what a person would type."""
    text = value.strip()
    if text.casefold().startswith("tel:"):
        number, _, params = text[4:].partition(";")
        extension = re.search(r"(?:^|;)ext=([0-9]+)", params)
        return number + (f" x{extension.group(1)}" if extension else "")
    return text


def export_vcards(directory: Directory, actor: Actor, out: io.TextIOBase, version: str = "3.0",
                  progress: Callable[[int, int], None] | None = None) -> int:
    if version not in VERSIONS:
        raise ValidationFailed.one("version", version, f"must be one of {', '.join(VERSIONS)}")
    ids = directory.browse(actor, "contact")
    names = {o.id: o.full_name for o in directory.records(actor, "organization", directory.browse(actor, "organization"))}
    for start in range(0, len(ids), 2000):
        for contact in directory.records(actor, "contact", ids[start:start + 2000]):
            assert isinstance(contact, Contact)
            out.write(_card(contact, names.get(contact.organization_id), version, directory.region))
        if progress is not None:
            progress(min(start + 2000, len(ids)), len(ids))
    return len(ids)


def _card(contact: Contact, organization: str | None, version: str, region: str) -> str:
    card = vobject.vCard()
    card.add("n").value = vobject.vcard.Name(family=contact.last_name, given=contact.first_name,
                                             additional=contact.middle_name or "", prefix=contact.salutation or "")
    card.add("fn").value = " ".join(p for p in (contact.salutation, contact.full_name) if p)
    if organization:
        card.add("org").value = [organization]
    if contact.title:
        card.add("title").value = contact.title
    for phone in contact.phones:
        tel = card.add("tel")
        tel.value = portable(phone.raw, phone.e164, phone.extension, region)  # text: vCard 4.0 allows it too
        tel.params["TYPE"] = [phone.kind.value.upper() if version == "3.0" else phone.kind.value]
    for email in contact.emails:
        mail = card.add("email")
        mail.value = email.address
        mail.params["TYPE"] = ["INTERNET", _EMAIL_TYPES[email.kind.value]] if version == "3.0" else [
            _EMAIL_TYPES[email.kind.value].lower()]
    for social in contact.socials:
        profile = card.add("x-socialprofile")
        profile.value = social.handle
        profile.params["TYPE"] = [social.network.value]
    if contact.address:
        address = contact.address
        card.add("adr").value = vobject.vcard.Address(
            street=address.address1 or "", extended=address.address2 or "", city=address.city or "",
            region=address.state or "", code=address.postal_code or "", country=address.country_code or "")
    if contact.external_system_url:
        card.add("url").value = contact.external_system_url
    uid = next((i.value for i in contact.external_ids if i.source == UID_SOURCE), None)
    if uid:
        card.add("uid").value = uid
    text = card.serialize()
    return text if version == "3.0" else text.replace("VERSION:3.0", "VERSION:4.0", 1)
