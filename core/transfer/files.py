"""Import and export of whole files, whatever their format: what the ``contacts`` command and the terminal UI call."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from core.directory import Directory
from core.errors import ValidationFailed
from core.memory import paused_gc
from core.models import DEFAULT_DIVISION
from core.policy import Actor
from core.private_files import private_directory
from core.transfer.columns import Mapping
from core.transfer.csv_export import NOT_CARRIED as CSV_NOT_CARRIED
from core.transfer.csv_export import export_csv
from core.transfer.csvfile import open_csv, write_rejects
from core.transfer.jsonl import REJECTION_KEY, export_jsonl, import_jsonl
from core.transfer.plan import MATCH_KINDS, Importer
from core.transfer.presets import preset
from core.transfer.report import Outcome, Report
from core.transfer.vcard import REJECTION as VCARD_REJECTION
from core.transfer.vcard import open_vcards
from core.transfer.vcard_export import NOT_CARRIED as VCARD_NOT_CARRIED
from core.transfer.vcard_export import export_vcards
from core.transfer.vcard_lines import escape
from core.transfer.vcard_lines import line as vcard_line

DEFAULT_SOURCE = "import"
FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".vcf": "vcard", ".vcard": "vcard", ".jsonl": "jsonl",
           ".ndjson": "jsonl"}
Progress = Callable[[int, int], None]


@dataclass
class ImportOptions:
    format: str | None = None  # by the file's extension when not given
    mapping: Path | None = None
    preset: str | None = None  # an exporter whose columns to read: google, outlook, hubspot, salesforce, genesys
    division: str = DEFAULT_DIVISION
    match: tuple[str, ...] = MATCH_KINDS
    source: str = DEFAULT_SOURCE  # the external-id source the file's Contact ID and Account ID belong to
    encoding: str | None = None
    dry_run: bool = False
    strict: bool = False
    rejects: Path | None = None  # default: <file>.rejects.<ext> beside the file


@dataclass
class ImportResult:
    report: Report
    format: str
    rejects: Path | None = None
    ignored_columns: list[str] = field(default_factory=list)


def format_of(path: Path, given: str | None = None) -> str:
    if given:
        if given not in set(FORMATS.values()):
            raise ValidationFailed.one("format", given, "must be csv, vcard or jsonl")
        return given
    try:
        return FORMATS[path.suffix.casefold()]
    except KeyError:
        raise ValidationFailed.one("file", str(path), "has an extension that names no format (.csv, .vcf, "
                                                      ".jsonl); name the format", fix="format") from None


def import_file(directory: Directory, actor: Actor, path: Path, options: ImportOptions | None = None,
                progress: Progress | None = None) -> ImportResult:
    options = options or ImportOptions()
    kind = format_of(path, options.format)
    detail = f"import of {path.name}"
    if kind == "jsonl":
        report = import_jsonl(directory, actor, path, dry_run=options.dry_run, strict=options.strict,
                              progress=progress)
        return ImportResult(report, kind, _rejects(path, options, report, _jsonl_rejects, binary=True))
    importer = Importer(directory, actor, division=options.division, match=options.match, detail=detail)
    if kind == "vcard":
        cards = open_vcards(path, options.encoding)
        report = importer.run(cards.cards, dry_run=options.dry_run, strict=options.strict, progress=progress,
                              total=cards.count)
        return ImportResult(report, kind, _rejects(path, options, report, _vcard_rejects))
    if options.mapping and options.preset:
        raise ValidationFailed.one("from", options.preset, "and a mapping file cannot both name the columns; "
                                                           "choose one", fix="mapping")
    mapping = Mapping.load(options.mapping) if options.mapping else preset(options.preset) if options.preset else None
    source = mapping.source if mapping and mapping.source and options.source == DEFAULT_SOURCE else options.source
    csv_file = open_csv(path, mapping=mapping, encoding=options.encoding, source=source)
    report = importer.run(csv_file.rows, dry_run=options.dry_run, strict=options.strict, progress=progress,
                          total=csv_file.row_count)
    rejects = _rejects(path, options, report, lambda out, errors: write_rejects(out, csv_file, errors))
    return ImportResult(report, kind, rejects, csv_file.ignored)


def _rejects(path: Path, options: ImportOptions, report: Report,
             write: Callable[[IO[Any], list[Outcome]], object], binary: bool = False) -> Path | None:
    errors = report.errors
    if not errors or options.dry_run:
        return None
    target = options.rejects or path.with_name(f"{path.stem}.rejects{path.suffix}")
    if target.resolve() == path.resolve():
        raise ValidationFailed.one("rejects", str(target), "must not be the file being imported")
    write_whole(target, lambda out: write(out, errors), binary)
    return target


def _jsonl_rejects(out: IO[Any], errors: list[Outcome]) -> None:
    """Each rejected line as it was, with its problems beside it under a key import skips."""
    for outcome in errors:
        record = outcome.source if isinstance(outcome.source, dict) else {"line": outcome.source}
        out.write(orjson.dumps({**record, REJECTION_KEY: [str(p) for p in outcome.problems]}, default=str) + b"\n")


def _vcard_rejects(out: IO[Any], errors: list[Outcome]) -> None:
    """Each rejected card as it was, with its problems as properties import skips."""
    for outcome in errors:
        lines = list(outcome.source.written)
        problems = [vcard_line(VCARD_REJECTION, escape(str(p))).rstrip("\r\n") for p in outcome.problems]
        out.write("\r\n".join([*lines[:-1], *problems, lines[-1]]) + "\r\n")


def write_whole(path: Path, write: Callable[[IO[Any]], object], binary: bool = False) -> None:
    """Write a file that holds people's data all at once: private (0600) from the start, never through a link
    planted at ``path`` (the link is replaced, its target untouched), and no half-written file if writing fails."""
    if not path.parent.exists():
        private_directory(path.parent)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # 0600
    try:
        with os.fdopen(handle, "wb") if binary else os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            write(out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Exported:
    count: int
    not_carried: tuple[str, ...]  # what the directory holds that the format has no place for


NOT_CARRIED = {"jsonl": ("history (the audit trail stays in the directory)",),
               "csv": CSV_NOT_CARRIED, "vcard": VCARD_NOT_CARRIED}


def export_file(directory: Directory, actor: Actor, path: Path, *, format: str | None = None,
                vcard_version: str = "3.0", progress: Progress | None = None,
                query: str | None = None) -> Exported:
    """Write the export to ``path`` all at once: a failed export leaves no half-written file behind. ``query``
    exports only the records a search finds (as the terminal UI's list shows them)."""
    kind = format_of(path, format)
    counted: list[int] = []
    with paused_gc():
        if kind == "jsonl":
            write_whole(path, lambda out: counted.append(export_jsonl(directory, actor, out, progress)), binary=True)
        elif kind == "csv":
            write_whole(path, lambda out: counted.append(export_csv(directory, actor, out, progress, query)))
        else:
            write_whole(path, lambda out: counted.append(export_vcards(directory, actor, out, vcard_version,
                                                                          progress, query)))
    return Exported(counted[0], NOT_CARRIED[kind])
