"""CSV files: reading rows into incoming records, writing rejects, and exporting in the columns import reads."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.directory import Directory
from core.errors import FieldProblem, ValidationFailed
from core.phones import is_region, portable
from core.policy import Actor
from core.private_files import private_file
from core.transfer.columns import (
    COLUMNS,
    CUSTOM_PREFIX,
    ERRORS_COLUMN,
    Column,
    Mapping,
    column_named,
)
from core.transfer.plan import Incoming
from core.transfer.report import ImportAction, Outcome

DELIMITERS = (",", ";", "\t", "|")
LIST_TARGETS = ("phones:", "emails:", "socials:", "websites", "tags", "external_ids", "sms")
_TRUE, _FALSE = {"true", "yes", "y", "1", "x"}, {"false", "no", "n", "0", ""}
REQUIRED = {"contact": ("first_name", "last_name"), "organization": ("name",)}


@dataclass
class CsvFile:
    """A CSV file, decoded and with its header understood; ``rows()`` reads it lazily."""

    path: Path
    text: str
    delimiter: str
    header: list[str]
    columns: list[Column | None]
    ignored: list[str]
    source: str
    list_separator: str

    @property
    def row_count(self) -> int:
        """About how many rows follow the header (lines, for a progress bar)."""
        return max(1, self.text.count("\n") - 1 + (not self.text.endswith("\n")))

    def rows(self) -> Iterator[Incoming]:
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        next(reader)
        line = reader.line_num + 1
        for values in reader:
            start, line = line, reader.line_num + 1
            if not any(v.strip() for v in values):
                continue
            yield self._incoming(start, values)

    def _incoming(self, line: int, values: list[str]) -> Incoming:
        item = Incoming(line, source=values)
        if (len(values) != len(self.header) and any(v.strip() for v in values[len(self.header):])) \
                or len(values) < len(self.header):
            item.problems.append(FieldProblem(
                "row", f"{len(values)} values",
                f"has {len(values)} values but the header has {len(self.header)} columns (a missing or extra "
                f"{self.delimiter!r}, or an unclosed quote?)"))
            return item
        region = None
        data: dict[str, dict[str, Any]] = {"contact": {}, "organization": {}}
        sms: set[str] | None = None
        for column, value in zip(self.columns, values, strict=False):
            if column is None:
                continue
            value = value.strip()
            if column.entity == "row":
                if value and not is_region(value):
                    item.problems.append(FieldProblem(column.name, value, "must be a two-letter region code such "
                                                                          "as US or GB"))
                region = value.upper() or None
                continue
            entity, target = column.entity, column.target
            record = data[entity]
            if target.startswith(LIST_TARGETS):
                items = [v.strip() for v in value.split(self.list_separator) if v.strip()]
                if target == "sms":
                    sms = set(items)
                    continue
                self._list(item, record, entity, column, target, items)
            elif target == "key":
                item.origins[f"{entity}.external_ids"] = column.name
                if value:
                    record.setdefault("external_ids", []).append({"source": self.source, "value": value})
            elif target.startswith("custom:"):
                key = target.removeprefix("custom:")
                item.origins[f"{entity}.custom_fields.{key}"] = column.name
                if value:
                    record.setdefault("custom_fields", {})[key] = value
            elif target.startswith("address."):
                item.origins[f"{entity}.{target}"] = column.name
                if value:
                    record.setdefault("address", {})[target.removeprefix("address.")] = value
            elif target == "survey_opt_out":
                item.origins[f"{entity}.{target}"] = column.name
                if value.casefold() not in _TRUE | _FALSE:
                    item.left_out.append(FieldProblem(column.name, value, "must be yes or no (or true/false, 1/0)"))
                elif value:
                    record[target] = value.casefold() in _TRUE
            elif target in ("phone", "fax"):
                item.origins[f"{entity}.{target}"] = column.name
                if value:
                    record[target] = {"raw": value}
            else:
                item.origins[f"{entity}.{target}"] = column.name
                if value:
                    record[target] = value
        for entity, record in data.items():
            phones = record.get("phones", []) + [record[s] for s in ("phone", "fax") if s in record]
            for phone in phones:
                if region:
                    phone["region"] = region
                if sms is not None and entity == "contact":
                    phone["sms"] = phone["raw"] in sms
        item.contact = data["contact"] or None
        item.organization = data["organization"] or None
        return item

    def _list(self, item: Incoming, record: dict, entity: str, column: Column, target: str,
              values: list[str]) -> None:
        field, _, kind = target.partition(":")
        if not values:
            return
        existing = record.setdefault(field, [])
        for value in values:
            item.origins[f"{entity}.{field}.{len(existing)}"] = column.name
            if field == "phones":
                existing.append({"kind": kind, "raw": value})
            elif field == "emails":
                existing.append({"kind": kind, "address": value})
            elif field == "socials":
                existing.append({"network": kind, "handle": value})
            elif field == "external_ids":
                source, separator, key = value.partition("=")
                if not separator or not source.strip() or not key.strip():
                    item.left_out.append(FieldProblem(column.name, value, "must list source=value pairs, for "
                                                                          "example salesforce=0035g00000AbCdE"))
                    continue
                existing.append({"source": source.strip(), "value": key.strip()})
            else:
                existing.append(value)


def open_csv(path: Path, *, mapping: Mapping | None = None, encoding: str | None = None,
             source: str = "import") -> CsvFile:
    """Read and check a CSV file's encoding, separator and header; ValidationFailed says what is wrong."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValidationFailed.one("file", str(path), f"cannot be read: {error.strerror}") from None
    text = _decoded(path, data, encoding)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise ValidationFailed.one("file", str(path), "is empty or starts with a blank line; the first line must "
                                                      "name the columns")
    delimiter = max(DELIMITERS, key=first_line.count)
    header = next(csv.reader([first_line], delimiter=delimiter))
    mapping = mapping or Mapping({})
    columns = [column_named(mapping.rename(h)) for h in header]
    ignored = [h for h, c in zip(header, columns, strict=True) if c is None and h.strip() != ERRORS_COLUMN]
    _check_header(path, header, columns)
    return CsvFile(path, text, delimiter, header, columns, ignored, source, mapping.list_separator)


def _decoded(path: Path, data: bytes, encoding: str | None) -> str:
    if encoding is None and data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    try:
        return data.decode(encoding or "utf-8-sig")
    except LookupError:
        raise ValidationFailed.one("encoding", encoding, "is not an encoding Python knows (try cp1252, latin-1, "
                                                         "utf-16)") from None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise ValidationFailed.one(
            "file", str(path),
            f"is not {encoding or 'UTF-8'} text: byte 0x{byte:02X} on line {line} cannot be read. Save it as UTF-8 "
            "(\"CSV UTF-8\" in Excel), or name its encoding, for example cp1252", fix="encoding",
        ) from None


def _check_header(path: Path, header: list[str], columns: list[Column | None]) -> None:
    known = [c for c in columns if c is not None]
    if not known:
        shown = ", ".join(repr(h) for h in header[:8])
        raise ValidationFailed.one(
            "header", shown, f"no column of {path.name} is one the importer reads; use the column names import "
                             "reads, or a mapping file of your export's headers", fix="mapping")
    seen: dict[str, str] = {}
    for name, column in zip(header, columns, strict=True):
        if column is None:
            continue
        key = f"{column.entity}.{column.target}"
        if key in seen and not column.target.startswith(LIST_TARGETS):
            raise ValidationFailed.one("header", name, f"names the same column as {seen[key]!r}; keep one of them")
        seen.setdefault(key, name)
    for entity, required in REQUIRED.items():
        if any(c.entity == entity for c in known):
            missing = [c.name for c in COLUMNS if c.entity == entity and c.target in required
                       and f"{entity}.{c.target}" not in seen]
            if missing:
                raise ValidationFailed.one(
                    "header", ", ".join(missing),
                    f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required when a file has "
                    f"{entity if entity == 'contact' else 'account'} columns, and missing from {path.name}")


def write_rejects(path: Path, csv_file: CsvFile, outcomes: Iterable[Outcome]) -> int:
    """Rows that failed, as they were plus a column of reasons: fix them and import this file again."""
    count = 0
    with private_file(path, encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        header = [h for h in csv_file.header if h.strip() != ERRORS_COLUMN]
        keep = [i for i, h in enumerate(csv_file.header) if h.strip() != ERRORS_COLUMN]
        writer.writerow([*header, ERRORS_COLUMN])
        for outcome in outcomes:
            if outcome.action is not ImportAction.error:
                continue
            values = list(outcome.source or [])
            values += [""] * (len(csv_file.header) - len(values))
            reasons = "; ".join(f"line {outcome.line}: {p}" for p in outcome.problems)
            writer.writerow([*(values[i] for i in keep), *values[len(csv_file.header):], reasons])
            count += 1
    return count


# ---------------------------------------------------------------- export

def export_header(directory: Directory) -> dict[str, list[str]]:
    """The columns export writes, by what they describe: a contact's, then its organization's, then the row's."""
    header = {entity: [c.name for c in COLUMNS if c.entity == entity] for entity in ("contact", "organization", "row")}
    for entity, prefix in CUSTOM_PREFIX.items():
        header[entity] += [prefix + f.key for f in directory.schema(entity).fields]
    return header


def export_csv(directory: Directory, actor: Actor, out: io.TextIOBase,
               progress: Callable[[int, int], None] | None = None) -> int:
    """Every contact the actor may see, one row each with its organization's columns, then organizations with no
    contacts; the header is what import reads, so the file imports back to the same records."""
    header = export_header(directory)
    places = {entity: {_column(name).target: i for i, name in enumerate(names)}
              for entity, names in header.items() if entity != "row"}
    region = directory.region
    writer = csv.writer(out)
    writer.writerow([name for names in header.values() for name in names])
    with directory.reading():
        organizations = directory.documents(actor, "organization", directory.browse(actor, "organization"))
        organization_cells: dict[tuple[int, str], list[str]] = {}  # an organization is on many rows
        linked: set[int] = set()
        contact_ids = directory.browse(actor, "contact")
        total = len(contact_ids)
        for start in range(0, total, 5000):
            rows = []
            for contact in directory.documents(actor, "contact", contact_ids[start:start + 5000]).values():
                organization = organizations.get(contact.get("organization_id", 0))
                if organization is not None:
                    linked.add(contact["organization_id"])
                rows.append(_row(places, contact, organization, region, organization_cells))
            writer.writerows(rows)
            if progress is not None:
                progress(min(start + 5000, total), total)
        writer.writerows(_row(places, None, doc, region, {}) for i, doc in organizations.items() if i not in linked)
    return total + len(organizations) - len(linked)


def _column(name: str) -> Column:
    """A column export writes: always one import reads."""
    column = column_named(name)
    assert column is not None, name
    return column


def _row(places: dict[str, dict[str, int]], contact: dict | None, organization: dict | None, default: str,
         organization_cells: dict[tuple[int, str], list[str]]) -> list[str]:
    region = _row_region([d for d in (contact, organization) if d], default)
    row = _cells(contact, region, places["contact"]) if contact else [""] * len(places["contact"])
    if organization:
        key = (id(organization), region)  # the documents read above stay put while the export runs
        if key not in organization_cells:
            organization_cells[key] = _cells(organization, region, places["organization"])
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


def _cells(doc: dict[str, Any], region: str, places: dict[str, int]) -> list[str]:
    """A stored document's columns (``places``: column target → position), in one pass over the fields it has
    (fields at their defaults are absent from it)."""
    cells = [""] * len(places)
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
            cells[place] = "; ".join(f"{i['source']}={i['value']}" for i in value)
        elif key in ("websites", "tags"):
            cells[place] = "; ".join(value)
        elif key in ("phone", "fax"):
            cells[place] = _number(value, region)
        elif key == "survey_opt_out":
            cells[place] = "yes" if value else "no"
        else:
            cells[place] = str(value)
    for target, texts in lists.items():
        place = places.get(target)
        if place is not None:
            cells[place] = "; ".join(texts)
    return cells


_ITEM_FIELDS = {"phones": ("kind", "raw"), "emails": ("kind", "address"), "socials": ("network", "handle")}


def _custom_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else str(value)
