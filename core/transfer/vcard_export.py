"""vCard export (3.0 or 4.0): organizations as company cards, then contacts with their organization, notes and
external ids, so that importing the file gives back every field vCard carries."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from core.directory import Directory
from core.errors import ValidationFailed
from core.phones import portable
from core.policy import Actor
from core.transfer.vcard import EXTERNAL_ID, EXTERNAL_SYSTEM, UID_SOURCE
from core.transfer.vcard_lines import escape, line

VERSIONS = ("3.0", "4.0")
NOT_CARRIED = ("divisions", "custom fields", "survey opt-out", "SMS settings", "organizations' industry and type",
               "note authors and times", "relationships", "interactions", "history")
_PHONE_TYPES = {"work": "WORK,VOICE", "cell": "CELL", "home": "HOME", "other": "OTHER", "fax": "FAX"}
_EMAIL_TYPES = {"work": "WORK", "personal": "HOME", "other": "OTHER"}
CHUNK = 2000


def export_vcards(directory: Directory, actor: Actor, out: IO[str], version: str = "3.0",
                  progress: Callable[[int, int], None] | None = None, query: str | None = None) -> int:
    """Organizations (those ``query`` finds and those of the contacts it finds, if given) as company cards,
    then contacts."""
    if version not in VERSIONS:
        raise ValidationFailed.one("version", version, f"must be one of {', '.join(VERSIONS)}")
    writer = _Writer(version, directory.region)
    written: set[int] = set()  # organizations' ids: their documents are read a chunk at a time, as needed

    def companies(found: dict[int, dict[str, Any]]) -> None:
        docs = {i: doc for i, doc in found.items() if i not in written}
        notes = directory.note_texts(actor, "organization", docs)
        out.writelines(writer.company(doc, notes.get(i, [])) for i, doc in docs.items())
        written.update(docs)

    with directory.reading():
        listing = directory.browse(actor, "contact", query or "")
        for chunk in directory.browse(actor, "organization", query or "").chunks(CHUNK):
            companies(directory.documents(actor, "organization", chunk))
        if query:
            for chunk in listing.chunks(CHUNK):
                companies(directory.linked_organizations(actor, directory.documents(actor, "contact", chunk).values()))
        total, done = listing.count() + len(written), len(written)
        for chunk in listing.chunks(CHUNK):
            contacts = directory.documents(actor, "contact", chunk)
            organizations = directory.linked_organizations(actor, contacts.values())
            notes = directory.note_texts(actor, "contact", contacts)
            out.writelines(writer.person(doc, organizations.get(doc.get("organization_id", -1)), notes.get(i, []))
                           for i, doc in contacts.items())
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return done


class _Writer:
    def __init__(self, version: str, region: str):
        self.version, self.region = version, region
        self.lower = version == "4.0"  # 4.0 writes type values in lower case

    def _type(self, value: str) -> dict[str, str]:
        return {"TYPE": value.lower() if self.lower else value}

    def company(self, doc: dict[str, Any], notes: list[str]) -> str:
        lines = [line("BEGIN", "VCARD"), line("VERSION", self.version)]
        lines.append(line("KIND", "org") if self.lower else line("N", ";;;;"))
        lines += [line("FN", escape(doc["name"])), line("ORG", escape(doc["name"]))]
        if not self.lower:
            lines.append(line("X-ABShowAs", "COMPANY"))
        for slot, kind in (("phone", "work"), ("fax", "fax")):
            if doc.get(slot):
                lines.append(line("TEL", escape(self._number(doc[slot])), self._type(_PHONE_TYPES[kind])))
        lines += [line("URL", escape(url)) for url in doc.get("websites", ())]
        if doc.get("tags"):
            lines.append(line("CATEGORIES", ",".join(escape(tag) for tag in doc["tags"])))  # escape() keeps commas
        return "".join([*lines, *self._shared(doc, notes), line("END", "VCARD")])

    def person(self, doc: dict[str, Any], organization: dict[str, Any] | None, notes: list[str]) -> str:
        parts = [doc.get(k, "") for k in ("last_name", "first_name", "middle_name", "salutation")]
        full = " ".join(p for p in (doc.get("salutation"), doc["first_name"], doc.get("middle_name"),
                                    doc["last_name"]) if p)
        lines = [line("BEGIN", "VCARD"), line("VERSION", self.version),
                 line("N", ";".join(escape(p) for p in parts) + ";"), line("FN", escape(full))]
        if organization is not None:
            lines.append(line("ORG", escape(organization["name"])))
        if doc.get("title"):
            lines.append(line("TITLE", escape(doc["title"])))
        for phone in doc.get("phones", ()):
            lines.append(line("TEL", escape(self._number(phone)), self._type(_PHONE_TYPES[phone.get("kind", "work")])))
        for email in doc.get("emails", ()):
            kind = _EMAIL_TYPES[email.get("kind", "work")]
            lines.append(line("EMAIL", escape(email["address"]), self._type(kind if self.lower else f"INTERNET,{kind}")))
        for social in doc.get("socials", ()):
            lines.append(line("X-SOCIALPROFILE", escape(social["handle"]), {"TYPE": social["network"]}))
        return "".join([*lines, *self._shared(doc, notes), line("END", "VCARD")])

    def _shared(self, doc: dict[str, Any], notes: list[str]) -> list[str]:
        """What contacts' and organizations' cards both carry: address, link, external ids, notes."""
        lines = []
        address = doc.get("address")
        if address:
            street = "\n".join(address[k] for k in ("address1", "address2") if address.get(k))
            parts = ["", "", street, *(address.get(k, "") for k in ("city", "state", "postal_code", "country_code"))]
            lines.append(line("ADR", ";".join(escape(p) for p in parts)))
        if doc.get("external_system_url"):
            lines.append(line("URL", escape(doc["external_system_url"]), self._type(EXTERNAL_SYSTEM)))
        for item in doc.get("external_ids", ()):
            if item["source"] == UID_SOURCE:
                lines.append(line("UID", escape(item["value"])))
            else:
                lines.append(line(EXTERNAL_ID, f"{escape(item['source'])};{escape(item['value'])}"))
        lines += [line("NOTE", escape(text)) for text in notes]
        return lines

    def _number(self, phone: dict[str, Any]) -> str:
        # text, not a tel: URI: what a person typed is what they know the number by (4.0 allows it)
        return portable(phone["raw"], phone.get("e164"), phone.get("extension"), self.region)
