"""CSV export in the columns import reads, so a file exported here imports back to the same records. Cells that
a spreadsheet would run as a formula are written inert (``'=...``); import takes the quote off again."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import IO, Any

from core.directory import Directory
from core.phones import portable
from core.policy import Actor
from core.transfer.columns import COLUMNS, CUSTOM_PREFIX, NOTE_SEPARATOR, Column, column_named, join_list, to_cell

NOT_CARRIED = ("divisions", "note authors and times", "relationships", "interactions", "history")
CHUNK = 5000


def export_header(directory: Directory) -> dict[str, list[str]]:
    """The columns export writes, by what they describe: a contact's, then its organization's, then the row's."""
    header = {entity: [c.name for c in COLUMNS if c.entity == entity] for entity in ("contact", "organization", "row")}
    for entity, prefix in CUSTOM_PREFIX.items():
        header[entity] += [prefix + f.key for f in directory.schema(entity).fields]
    return header


def export_csv(directory: Directory, actor: Actor, out: IO[str],
               progress: Callable[[int, int], None] | None = None, query: str | None = None) -> int:
    """Every contact the actor may see (that ``query`` finds, if given), one row each with its organization's
    columns, then organizations with no contacts; the header is what import reads."""
    header = export_header(directory)
    places = {entity: {_column(name).target: i for i, name in enumerate(names)}
              for entity, names in header.items() if entity != "row"}
    region = directory.region
    writer = csv.writer(out)
    writer.writerow([name for names in header.values() for name in names])
    with directory.reading():
        linked: set[int] = set()  # organizations on a contact's row; their documents are read a chunk at a time
        listing = directory.browse(actor, "contact", query or "")
        total, done = listing.count(), 0
        for chunk in listing.chunks(CHUNK):
            rows = []
            contacts = directory.documents(actor, "contact", chunk)
            notes = directory.note_texts(actor, "contact", contacts)
            organizations = directory.linked_organizations(actor, contacts.values())
            organization_notes = directory.note_texts(actor, "organization", organizations)
            organization_cells: dict[tuple[int, str], list[str]] = {}  # an organization is on many rows
            for contact_id, contact in contacts.items():
                organization_id = contact.get("organization_id", -1)
                organization = organizations.get(organization_id)
                if organization is not None:
                    linked.add(organization_id)
                rows.append(_row(places, (contact, notes.get(contact_id)),
                                 (organization_id, organization, organization_notes.get(organization_id)), region,
                                 organization_cells))
            writer.writerows(rows)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        for chunk in directory.browse(actor, "organization", query or "").chunks(CHUNK):
            alone = directory.documents(actor, "organization", [i for i in chunk if i not in linked])
            alone_notes = directory.note_texts(actor, "organization", alone)
            writer.writerows(_row(places, (None, None), (i, doc, alone_notes.get(i)), region, {})
                             for i, doc in alone.items())
            done += len(alone)
    return done


def _column(name: str) -> Column:
    """A column export writes: always one import reads."""
    column = column_named(name)
    assert column is not None, name
    return column


Noted = tuple[dict[str, Any] | None, list[str] | None]  # a record's stored form and its notes' texts


def _row(places: dict[str, dict[str, int]], contact: Noted, organization: tuple[int, dict[str, Any] | None,
         list[str] | None], default: str, organization_cells: dict[tuple[int, str], list[str]]) -> list[str]:
    organization_id, organization_doc, organization_notes = organization
    region = _row_region([d for d in (contact[0], organization_doc) if d], default)
    row = _cells(contact[0], contact[1], region, places["contact"]) if contact[0] else [""] * len(places["contact"])
    if organization_doc:
        key = (organization_id, region)
        if key not in organization_cells:
            organization_cells[key] = _cells(organization_doc, organization_notes, region, places["organization"])
        row += organization_cells[key]
    else:
        row += [""] * len(places["organization"])
    row.append("" if region == default else region)
    return row


def _row_region(docs: list[dict[str, Any]], default: str) -> str:
    """The row's Country Code: the region of its first number written in national format, so that numbers keep
    the form they were typed in (others in the row are written internationally)."""
    for doc in docs:
        for phone in doc.get("phones", ()):
            if phone.get("region") != default and _number(phone, default) != phone["raw"]:
                return phone["region"]
        for slot in ("phone", "fax"):
            phone = doc.get(slot)
            if phone and phone.get("region") != default and _number(phone, default) != phone["raw"]:
                return phone["region"]
    return default


def _number(phone: dict[str, Any], region: str) -> str:
    if phone.get("region") == region:  # typed in the row's own region (or internationally): reads back the same
        return phone["raw"]
    return portable(phone["raw"], phone.get("e164"), phone.get("extension"), region)


def _cells(doc: dict[str, Any], notes: list[str] | None, region: str, places: dict[str, int]) -> list[str]:
    """A stored document's columns (``places``: column target → position), in one pass over the fields it has
    (fields at their defaults are absent from it); every cell safe to open in a spreadsheet."""
    cells = [""] * len(places)
    if notes and "notes" in places:
        cells[places["notes"]] = NOTE_SEPARATOR.join(notes)
    if "survey_opt_out" in places:
        cells[places["survey_opt_out"]] = "no"
    lists: dict[str, list[str]] = {}
    for key, value in doc.items():
        if key in ("phones", "emails", "socials"):
            kind_field, text_field = _ITEM_FIELDS[key]
            for item in value:
                text = _number(item, region) if key == "phones" else item[text_field]
                lists.setdefault(f"{key}:{item.get(kind_field, 'work')}", []).append(text)
                if item.get("sms"):
                    lists.setdefault("sms", []).append(text)
            continue
        if key in ("address", "custom_fields"):
            prefix = "address." if key == "address" else "custom:"
            for name, part in value.items():
                place = places.get(prefix + name)
                if place is not None:
                    cells[place] = _custom_text(part)
            continue
        place = places.get(key)
        if place is None:
            continue
        if key == "external_ids":
            cells[place] = join_list([f"{i['source']}={i['value']}" for i in value])
        elif key in ("websites", "tags"):
            cells[place] = join_list(value)
        elif key in ("phone", "fax"):
            cells[place] = _number(value, region)
        elif key == "survey_opt_out":
            cells[place] = "yes" if value else "no"
        else:
            cells[place] = str(value)
    for target, texts in lists.items():
        place = places.get(target)
        if place is not None:
            cells[place] = join_list(texts)
    return [to_cell(cell) for cell in cells]


_ITEM_FIELDS = {"phones": ("kind", "raw"), "emails": ("kind", "address"), "socials": ("network", "handle")}


def _custom_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else str(value)
