"""vCards (2.1, 3.0, 4.0) as incoming records: a person's card as a contact (with its ORG as organization), a
company's card (``KIND:org``, Apple's ``X-ABShowAs:COMPANY``, or an ORG and no name) as an organization with its
numbers, websites and address. What a card holds that the directory has no place for is counted, never dropped
in silence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nameparser import HumanName

from core.errors import ValidationFailed
from core.models import PhoneKind
from core.transfer.labels import email_kind, phone_kind
from core.transfer.plan import Incoming
from core.transfer.text_files import read_text
from core.transfer.vcard_lines import Card, NotAVCard, read_cards

UID_SOURCE = "vcard"
EXTERNAL_ID = "X-CONTACTS-EXTERNAL-ID"  # what export writes for each external id, and import reads back
REJECTION = "X-CONTACTS-IMPORT-ERROR"  # why a card in a rejects file was rejected: import skips it
EXTERNAL_SYSTEM = "x-external-system"  # the URL type export gives a record's link into the system it came from
_SOCIAL_NETWORKS = ("twitter", "whatsapp", "facebook", "line", "instagram")
_ADDRESS = ("po_box", "extended", "street", "city", "state", "postal_code", "country_code")
# Properties that say how a card is written, not what it holds: nothing is lost by not keeping them.
_HOUSEKEEPING = {"VERSION", "PRODID", "PROFILE", "REV", "N", "FN", "SORT-STRING", "X-ABLABEL", "CLASS", "NAME",
                 "SOURCE", "MAILER", "LABEL", "KIND", "X-ABSHOWAS", "X-ABUID", "X-ABADR", "X-PHONETIC-FIRST-NAME",
                 "X-PHONETIC-LAST-NAME", "X-MS-OL-DEFAULT-POSTAL-ADDRESS", REJECTION}
READ = {"ORG", "TITLE", "TEL", "EMAIL", "ADR", "URL", "NOTE", "UID", "X-SOCIALPROFILE", "X-TWITTER", EXTERNAL_ID,
        "CATEGORIES"}


_BEGIN = re.compile(r"^\s*BEGIN:VCARD\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass
class VcardFile:
    """A vCard file, read once and checked; ``cards()`` turns it into incoming records lazily."""

    path: Path
    text: str
    charset: str
    count: int  # how many cards it holds (for a progress bar)

    def cards(self) -> Iterator[Incoming]:
        """Each card as an incoming contact or organization."""
        try:
            for card in read_cards(self.text, self.charset):
                yield _incoming(card)
        except NotAVCard as error:
            raise ValidationFailed.one("file", str(self.path), f"is not a complete vCard file: {error}") from None


def open_vcards(path: Path, encoding: str | None = None) -> VcardFile:
    text, charset = read_text(path, encoding)
    count = len(_BEGIN.findall(text))
    if not count:
        raise ValidationFailed.one("file", str(path), "holds no vCard (no BEGIN:VCARD line)")
    return VcardFile(path, text, charset, count)


def _incoming(card: Card) -> Incoming:
    item = Incoming(card.line, source=card)
    organization = _organization_name(card, item)
    if _is_company(card, organization):
        item.organization = _company(card, item, organization)
    else:
        if organization:
            item.organization = {"name": organization}
            item.origins["organization.name"] = "ORG"
        item.contact = _person(card, item)
    item.notes = {"organization" if item.contact is None else "contact": [p.text for p in card.all("NOTE") if p.text]}
    item.not_kept = sorted({p.name for p in card.properties
                            if p.name not in READ | _HOUSEKEEPING and (p.raw.strip() or p.name == "PHOTO")}
                           | set(item.not_kept))
    return item


def _organization_name(card: Card, item: Incoming) -> str:
    orgs = card.all("ORG")
    if len(orgs) > 1:
        item.not_kept.append("ORG (after the first)")
    parts = orgs[0].parts() if orgs else []
    if len(parts) > 1 and any(parts[1:]):
        item.not_kept.append("ORG (department)")
    return parts[0] if parts else ""


def _is_company(card: Card, organization: str) -> bool:
    kind = card.first("KIND")
    shown_as = card.first("X-ABSHOWAS")
    if (kind and kind.text.casefold() == "org") or (shown_as and shown_as.text.upper() == "COMPANY"):
        return True
    name = card.first("N")
    full = card.first("FN")
    named = (name is not None and any(name.parts()[:2])) or (full is not None and full.text != organization)
    return bool(organization) and not named


def _company(card: Card, item: Incoming, organization: str) -> dict[str, Any]:
    full = card.first("FN")
    data: dict[str, Any] = {"name": organization or (full.text if full else "")}
    item.origins["organization.name"] = "ORG"
    for prop in card.all("TEL"):
        slot = "fax" if phone_kind(card.labels(prop)) is PhoneKind.fax else "phone"
        if slot in data:
            item.not_kept.append(f"TEL (a company card keeps one {slot})")
            continue
        data[slot] = {"raw": _phone_text(prop.text)}
        item.origins[f"organization.{slot}"] = "TEL"
    websites = _urls(card, item, "organization", data)
    if websites:
        data["websites"] = websites
    _address(card, item, "organization", data)
    tags = [tag for p in card.all("CATEGORIES") for tag in p.values()]
    if tags:
        data["tags"] = tags
        item.origins["organization.tags"] = "CATEGORIES"
    _external_ids(card, item, "organization", data)
    if card.all("EMAIL"):
        item.not_kept.append("EMAIL (of a company card)")
    return data


def _person(card: Card, item: Incoming) -> dict[str, Any]:
    contact = _name(card, item)
    titles = card.all("TITLE")
    if titles:
        contact["title"] = titles[0].text
        item.origins["contact.title"] = "TITLE"
        if len(titles) > 1:
            item.not_kept.append("TITLE (after the first)")
    phones: list[dict[str, Any]] = []
    for prop in card.all("TEL"):
        item.origins[f"contact.phones.{len(phones)}"] = "TEL"
        phones.append({"kind": phone_kind(card.labels(prop)).value, "raw": _phone_text(prop.text)})
    emails: list[dict[str, Any]] = []
    for prop in card.all("EMAIL"):
        item.origins[f"contact.emails.{len(emails)}"] = "EMAIL"
        emails.append({"kind": email_kind(card.labels(prop)).value, "address": prop.text})
    socials: list[dict[str, Any]] = []
    for prop in card.all("X-SOCIALPROFILE") + card.all("X-TWITTER"):
        network = "twitter" if prop.name == "X-TWITTER" else next(
            (t for t in card.labels(prop) if t in _SOCIAL_NETWORKS), None)
        if network is None:
            item.not_kept.append("X-SOCIALPROFILE (a network the directory does not keep)")
            continue
        item.origins[f"contact.socials.{len(socials)}"] = prop.name
        socials.append({"network": network, "handle": prop.text.rstrip("/").rsplit("/", 1)[-1]})
    for field, values in (("phones", phones), ("emails", emails), ("socials", socials)):
        if values:
            contact[field] = values
    _address(card, item, "contact", contact)
    websites = _urls(card, item, "contact", contact)
    if websites and item.organization is None:
        item.not_kept.append("URL (a person's website, with no ORG to keep it on)")
    elif websites:  # a person's card's websites are their company's
        assert item.organization is not None
        item.organization["websites"] = websites
        for index in range(len(websites)):
            item.origins[f"organization.websites.{index}"] = item.origins.pop(f"contact.websites.{index}")
    if card.first("CATEGORIES") is not None:
        item.not_kept.append("CATEGORIES")
    _external_ids(card, item, "contact", contact)
    return contact


def _name(card: Card, item: Incoming) -> dict[str, Any]:
    """Names from N; from FN by a name parser (titles, suffixes, particles) when N gives none."""
    for field in ("first_name", "last_name", "middle_name", "salutation"):
        item.origins[f"contact.{field}"] = "N"
    name = card.first("N")
    version = card.first("VERSION")
    old = version is not None and version.text == "2.1"  # 2.1 leaves commas unescaped
    parts = [*((name.parts() if old else name.components()) if name else []), "", "", "", "", ""]
    family, given, additional, prefix, suffix = parts[:5]
    if not (family or given):
        full = card.first("FN")
        parsed = HumanName(full.text if full else "")
        family, given, additional, prefix, suffix = (parsed.last, parsed.first, parsed.middle, parsed.title,
                                                     parsed.suffix)
    contact = {"first_name": given, "last_name": " ".join(p for p in (family, suffix) if p),
               "middle_name": additional, "salutation": prefix}
    return {key: value for key, value in contact.items() if value}


def _address(card: Card, item: Incoming, entity: str, data: dict[str, Any]) -> None:
    addresses = card.all("ADR")
    if not addresses:
        return
    preferred = next((p for p in addresses if {"pref", "work"} & card.labels(p)), addresses[0])
    if len(addresses) > 1:
        item.not_kept.append("ADR (after the first)")
    parts = dict(zip(_ADDRESS, [*preferred.parts(), *[""] * 7], strict=False))
    street = "\n".join(p for p in (parts["street"], parts["extended"], parts["po_box"]) if p)
    address = {"address1": street, "city": parts["city"], "state": parts["state"],
               "postal_code": parts["postal_code"], "country_code": parts["country_code"]}
    address = {key: value for key, value in address.items() if value}
    if address:
        data["address"] = address
        item.origins[f"{entity}.address"] = "ADR"


def _urls(card: Card, item: Incoming, entity: str, data: dict[str, Any]) -> list[str]:
    """The card's websites; a URL typed as the record's link into another system goes to its own field."""
    websites: list[str] = []
    for prop in card.all("URL"):
        if EXTERNAL_SYSTEM in card.labels(prop):
            data["external_system_url"] = prop.text
            item.origins[f"{entity}.external_system_url"] = "URL"
        elif prop.text:
            item.origins[f"{entity}.websites.{len(websites)}"] = "URL"
            websites.append(prop.text)
    return websites


def _external_ids(card: Card, item: Incoming, entity: str, data: dict[str, Any]) -> None:
    ids = [{"source": source, "value": value} for p in card.all(EXTERNAL_ID)
           for source, value in [[*p.parts(), ""][:2]] if source and value]
    uid = card.first("UID")
    if uid is not None and uid.text and not any(i["source"] == UID_SOURCE for i in ids):
        ids.insert(0, {"source": UID_SOURCE, "value": uid.text})
    if ids:
        data["external_ids"] = ids
        item.origins[f"{entity}.external_ids"] = "UID"


def _phone_text(value: str) -> str:
    """vCard 4.0 writes numbers as tel: URIs (``tel:+1-415-555-2671;ext=12``); keep what a person would type."""
    text = value.strip()
    if text.casefold().startswith("tel:"):
        number, _, params = text[4:].partition(";")
        extension = re.search(r"(?:^|;)ext=([0-9]+)", params)
        return number + (f" x{extension.group(1)}" if extension else "")
    return text
