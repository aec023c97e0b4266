"""CSV files: reading rows into incoming records, writing rejects, and exporting in the columns import reads."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from core.errors import FieldProblem, ValidationFailed
from core.phones import is_region
from core.transfer.columns import (
    COLUMNS,
    ERRORS_COLUMN,
    NOTE_SEPARATOR,
    Column,
    Mapping,
    column_named,
    from_cell,
    to_cell,
)
from core.transfer.plan import Incoming
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
    text, _ = read_text(path, encoding)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise ValidationFailed.one("file", str(path), "starts with a blank line; the first line must name the "
                                                      "columns")
    delimiter = max(DELIMITERS, key=first_line.count)
    header = next(csv.reader([first_line], delimiter=delimiter))
    mapping = mapping or Mapping({})
    columns = [column_named(mapping.rename(h)) for h in header]
    ignored = [h for h, c in zip(header, columns, strict=True) if c is None and h.strip() != ERRORS_COLUMN]
    _check_header(path, header, columns)
    return CsvFile(path, text, delimiter, header, columns, ignored, source, mapping.list_separator)


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
