"""Import and export of whole files, whatever their format: what the ``contacts`` command and the terminal UI call."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from core.directory import Directory
from core.errors import ValidationFailed
from core.models import DEFAULT_DIVISION
from core.policy import Actor
from core.private_files import private_directory, private_file
from core.transfer.columns import Mapping
from core.transfer.csvfile import export_csv, open_csv, write_rejects
from core.transfer.jsonl import export_jsonl, import_jsonl
from core.transfer.plan import MATCH_KINDS, Importer, paused_gc
from core.transfer.report import Outcome, Report
from core.transfer.vcard import export_vcards, read_vcards

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".vcf": "vcard", ".vcard": "vcard", ".jsonl": "jsonl",
           ".ndjson": "jsonl"}
Progress = Callable[[int, int], None]


@dataclass
class ImportOptions:
    format: str | None = None  # by the file's extension when not given
    mapping: Path | None = None
    division: str = DEFAULT_DIVISION
    match: tuple[str, ...] = MATCH_KINDS
    source: str = "import"  # the external-id source that the file's Contact ID and Account ID belong to
    encoding: str | None = None
    dry_run: bool = False
    strict: bool = False
    rejects: Path | None = None  # default: <file>.rejects.<ext> beside the file


@dataclass
class ImportResult:
    report: Report
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
        return ImportResult(report, _rejects(path, options, report, _jsonl_rejects))
    importer = Importer(directory, actor, division=options.division, match=options.match, detail=detail)
    if kind == "vcard":
        cards = list(read_vcards(path, encoding=options.encoding))
        report = importer.run(lambda: read_vcards(path, encoding=options.encoding), dry_run=options.dry_run,
                              strict=options.strict, progress=progress,
                              total=len(cards))
        return ImportResult(report, _rejects(path, options, report, _vcard_rejects))
    mapping = Mapping.load(options.mapping) if options.mapping else None
    csv_file = open_csv(path, mapping=mapping, encoding=options.encoding, source=options.source)
    report = importer.run(csv_file.rows, dry_run=options.dry_run, strict=options.strict, progress=progress,
                          total=csv_file.row_count)
    rejects = _rejects(path, options, report, lambda out, errors: write_rejects(out, csv_file, errors))
    return ImportResult(report, rejects, csv_file.ignored)


def _rejects(path: Path, options: ImportOptions, report: Report,
             write: Callable[[Path, list[Outcome]], object]) -> Path | None:
    errors = report.errors
    if not errors or options.dry_run:
        return None
    target = options.rejects or path.with_name(f"{path.stem}.rejects{path.suffix}")
    if target.resolve() == path.resolve():
        raise ValidationFailed.one("rejects", str(target), "must not be the file being imported")
    write(target, errors)
    return target


def _jsonl_rejects(target: Path, errors: list[Outcome]) -> None:
    with private_file(target, "wb") as out:
        for outcome in errors:
            out.write(orjson.dumps({"line": outcome.line, "errors": [str(p) for p in outcome.problems],
                                    "record": outcome.source}, default=str) + b"\n")


def _vcard_rejects(target: Path, errors: list[Outcome]) -> None:
    with private_file(target, encoding="utf-8") as out:
        for outcome in errors:
            card = outcome.source
            for problem in outcome.problems:
                card.add("note").value = f"Import error (line {outcome.line}): {problem}"
            out.write(card.serialize())


def export_file(directory: Directory, actor: Actor, path: Path, *, format: str | None = None,
                vcard_version: str = "3.0", progress: Progress | None = None) -> int:
    """Write the export to ``path`` all at once: a failed export leaves no half-written file behind."""
    with paused_gc():
        return _export(directory, actor, path, format_of(path, format), vcard_version, progress)


def _export(directory: Directory, actor: Actor, path: Path, kind: str, vcard_version: str,
            progress: Progress | None) -> int:
    if not path.parent.exists():
        private_directory(path.parent)
    # mkstemp makes it 0600: an export holds every record the exporter may see
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if kind == "jsonl":
            with os.fdopen(handle, "wb") as out:
                count = export_jsonl(directory, actor, out, progress)
        else:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                count = (export_csv(directory, actor, out, progress) if kind == "csv"
                         else export_vcards(directory, actor, out, vcard_version, progress))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count
