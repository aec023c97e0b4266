"""CSV files: reading rows into incoming records, writing rejects, and exporting in the columns import reads."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from core.errors import FieldProblem, ValidationFailed
from core.phones import is_region
from core.text import fold
from core.transfer.columns import (
    COLUMNS,
    ERRORS_COLUMN,
    NOTE_SEPARATOR,
    Column,
    Mapping,
    column_named,
    from_cell,
    split_list,
    to_cell,
)
from core.transfer.labels import email_kind, phone_kind
from core.transfer.plan import Incoming
from core.transfer.presets import NAMES, recognised
from core.transfer.report import ImportAction, Outcome
from core.transfer.text_files import read_text

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
    labelled: list[tuple[int, int | None, str]] = field(default_factory=list)  # value, label, list field
    addresses: list[dict[Column, list[int]]] = field(default_factory=list)  # address columns by group, preferred first
    unread: list[int] = field(default_factory=list)  # columns nothing reads, whose values are reported not kept
    blanks: frozenset[str] = frozenset()  # what the exporter writes in a cell that has no value

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
            value = from_cell(value.strip())
            if column.entity == "row":
                if value and not is_region(value):
                    item.problems.append(FieldProblem(column.name, value, "must be a two-letter region code such "
                                                                          "as US or GB"))
                region = value.upper() or None
                continue
            entity, target = column.entity, column.target
            record = data[entity]
            if target.startswith(LIST_TARGETS):
                items = split_list(value, self.list_separator)
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
            elif target == "notes":
                texts = [text.strip() for text in value.split(NOTE_SEPARATOR) if text.strip()]
                if texts:
                    item.notes[entity] = texts
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
        self._labelled(item, values, data["contact"])
        self._address(item, values, data["contact"])
        item.not_kept += [self.header[i] for i in self.unread if values[i].strip() and fold(values[i].strip())
                          not in self.blanks]
        item.contact = data["contact"] or None
        item.organization = data["organization"] or None
        return item

    def _labelled(self, item: Incoming, values: list[str], contact: dict[str, Any]) -> None:
        for value_index, label_index, field_name in self.labelled:
            cell = from_cell(values[value_index].strip())
            if not cell:
                continue
            labels = [values[label_index]] if label_index is not None else []
            items = contact.setdefault(field_name, [])
            for value in split_list(cell, self.list_separator):
                item.origins[f"contact.{field_name}.{len(items)}"] = self.header[value_index]
                items.append({"kind": phone_kind(labels).value, "raw": value} if field_name == "phones"
                             else {"kind": email_kind(labels).value, "address": value})

    def _address(self, item: Incoming, values: list[str], contact: dict[str, Any]) -> None:
        """The first address group the row fills; the others it fills are reported not kept."""
        for group in self.addresses:
            cells: dict[Column, str] = {}
            for column, indexes in group.items():
                lines = [from_cell(values[i].strip()) for i in indexes]
                cells[column] = "\n".join(line for line in lines if line)
            if not any(cells.values()):
                continue
            if "address" in contact:
                item.not_kept.append(f"{self.header[min(min(i) for i in group.values())]} group (a second address)")
                continue
            contact["address"] = {c.target.removeprefix("address."): v for c, v in cells.items() if v}
            for column, indexes in group.items():
                item.origins[f"contact.{column.target}"] = self.header[indexes[0]]

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
    text, _ = read_text(path, encoding)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise ValidationFailed.one("file", str(path), "starts with a blank line; the first line must name the "
                                                      "columns")
    delimiter = max(DELIMITERS, key=first_line.count)
    header = next(csv.reader([first_line], delimiter=delimiter))
    given = mapping
    mapping = mapping or Mapping({})
    # named as the file names them, so that every problem names the file's own column
    columns = [None if c is None else replace(c, name=h.strip())
               for h, c in ((h, column_named(mapping.rename(h))) for h in header)]
    csv_file = CsvFile(path, text, delimiter, header, columns, [], source, mapping.list_separator,
                       blanks=mapping.blanks)
    used = _layout(csv_file, mapping)
    unused = [i for i, (h, c) in enumerate(zip(header, columns, strict=True))
              if c is None and i not in used and h.strip() != ERRORS_COLUMN]
    csv_file.ignored = [header[i] for i in unused]
    csv_file.unread = [i for i in unused if fold(header[i].strip()) not in mapping.repeats]
    exporter = recognised(header) if given is None else None
    if exporter is not None and len([c for c in columns if c is not None]) < 2:
        raise ValidationFailed.one("header", ", ".join(header[:4]), f"looks like {NAMES[exporter]}: import it with "
                                                                   f"the {exporter} preset", fix="from")
    _check_header(path, header, columns, bool(csv_file.labelled or csv_file.addresses))
    return csv_file


def _layout(csv_file: CsvFile, mapping: Mapping) -> set[int]:
    """Find the mapping's labelled and grouped columns in the header; the indexes they use."""
    folded = {fold(h.strip()): i for i, h in enumerate(csv_file.header)}
    used: set[int] = set()
    for labelled in mapping.labelled:
        pattern = re.compile(labelled.value, re.IGNORECASE)
        for index, name in enumerate(csv_file.header):
            match = pattern.fullmatch(name.strip())
            if match is None:
                continue
            label = next((folded[fold(t.format(n=match.group(1)))] for t in labelled.labels
                          if fold(t.format(n=match.group(1))) in folded), None)
            csv_file.labelled.append((index, label, labelled.field))
            used |= {index} | ({label} if label is not None else set())
    for group in mapping.addresses:
        present: dict[Column, list[int]] = {}
        for theirs, ours in group.items():
            if theirs in folded:
                present.setdefault(_column(ours), []).append(folded[theirs])
        if present:
            csv_file.addresses.append(present)
            used |= {i for indexes in present.values() for i in indexes}
    return used


def _column(name: str) -> Column:
    column = column_named(name)
    assert column is not None, name  # presets name only columns import reads
    return column


def _check_header(path: Path, header: list[str], columns: list[Column | None], grouped: bool) -> None:
    known = [c for c in columns if c is not None]
    if not known and not grouped:
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


def write_rejects(out: IO[str], csv_file: CsvFile, outcomes: Iterable[Outcome]) -> int:
    """Rows that failed, as they were plus a column of reasons (inert in a spreadsheet): fix them and import
    this file again."""
    count = 0
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
        writer.writerow([*(values[i] for i in keep), *values[len(csv_file.header):], to_cell(reasons)])
        count += 1
    return count
