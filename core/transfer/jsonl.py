"""JSON Lines: one object per line, every record, note, relationship, interaction, division and schema version,
as stored. Importing into an empty directory restores it exactly, ids included (links to records keep working);
importing into one that has records merges: contacts and organizations are matched like any import, and notes,
relationships and interactions follow their records without being added twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from core.directory import BACKUP_ORDER, Directory, MatchBy, dump
from core.errors import ContactsError, FieldProblem, ValidationFailed
from core.kinds import RecordKind
from core.policy import Action, Actor
from core.transfer.plan import Importer, Incoming
from core.transfer.report import ImportAction, Outcome, Report
from core.transfer.text_files import BINARY

# Export order is import order: what a line refers to comes before it.
TYPES = BACKUP_ORDER
REJECTION_KEY = "import_errors"  # why a line of a rejects file was rejected: import skips it
PARTIES = {kind.value for kind in RecordKind}


def export_jsonl(directory: Directory, actor: Actor, out: IO[bytes],
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Everything in the directory (admins only: a backup holds every division)."""
    count = 0
    with directory.reading():
        total = directory.backup_size(actor)
        for kind, chunk in directory.backup(actor):
            out.write(b"".join(orjson.dumps({"type": kind, "id": i, **doc}) + b"\n" for i, doc in chunk))
            count += len(chunk)
            if progress is not None:
                progress(count, total)
    return count


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | FieldProblem]]:
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed by the with below)
    except OSError as error:
        raise ValidationFailed.one("file", str(path), f"cannot be read: {error.strerror}") from None
    with handle:
        if b"\x00" in handle.peek(8192)[:8192]:
            raise ValidationFailed.one("file", str(path), BINARY)
        for line_number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                yield line_number, FieldProblem("line", line.decode("utf-8", "replace").rstrip("\r\n"),
                                                f"is not a JSON object: {error}")
                continue
            if not isinstance(obj, dict) or obj.get("type") not in TYPES:
                yield line_number, FieldProblem("type", obj, f"must be one of {', '.join(TYPES)}")
                continue
            yield line_number, obj


def import_jsonl(directory: Directory, actor: Actor, path: Path, *, dry_run: bool = False, strict: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> Report:
    directory.require(actor, Action.configure)
    restore = directory.is_empty(actor)
    importer = Importer(directory, actor, detail=f"import of {path.name}")
    total = 0
    if progress is not None:
        with open(path, "rb") as lines:
            total = sum(1 for _ in lines)
    return importer.run(lambda: _Session(directory, actor, restore).items(read_jsonl(path)), dry_run=dry_run,
                        strict=strict, progress=progress, total=total)


class _Session:
    """Turns the lines of a file into the importer's items, handling the lines that are not records itself
    (the importer runs them inside its transaction as it pulls items) and mapping ids of the file to ours."""

    def __init__(self, directory: Directory, actor: Actor, restore: bool):
        self.directory, self.actor, self.restore = directory, actor, restore
        self.ids: dict[str, dict[int | None, int]] = {kind: {} for kind in TYPES}  # file id → ours

    def items(self, lines: Iterator[tuple[int, dict[str, Any] | FieldProblem]]) -> Iterator[Incoming | Outcome]:
        for line, obj in lines:
            if isinstance(obj, FieldProblem):
                yield Incoming(line, problems=[obj], source=obj.value if isinstance(obj.value, dict) else
                               {"text": obj.value})
                continue
            obj.pop(REJECTION_KEY, None)
            original = dict(obj)  # as the file has it, for a rejects file
            kind = obj.pop("type")
            file_id = obj.pop("id", None)
            try:
                if not isinstance(file_id, int | None) or isinstance(file_id, bool):
                    raise ValidationFailed.one("id", file_id, "must be a whole number")
                if kind in PARTIES:
                    yield self._party(line, kind, file_id, obj, original)
                    continue
                action = self._other(kind, file_id, obj)
            except ContactsError as error:
                problems = error.problems if isinstance(error, ValidationFailed) else [
                    FieldProblem(kind, file_id, str(error))]
                yield Outcome(line, ImportAction.error, f"{kind} {file_id}", problems, source=original)
            except KeyError as error:
                yield Outcome(line, ImportAction.error, f"{kind} {file_id}",
                              [FieldProblem(str(error.args[0]), None, f"is required on a {kind} line")],
                              source=original)
            except (TypeError, AttributeError):
                # A field of the wrong JSON type where a line refers to another record (an id that is a list...).
                yield Outcome(line, ImportAction.error, f"{kind} {file_id}",
                              [FieldProblem(kind, file_id, f"has a field of the wrong type for a {kind} line (ids "
                                                           "are whole numbers, names and kinds are text)")],
                              source=original)
            else:
                yield Outcome(line, action, f"{kind} {file_id}")

    def _party(self, line: int, kind: str, file_id: int | None, doc: dict[str, Any],
               original: dict[str, Any]) -> Incoming:
        same_as = None if self.restore else self._same_record(kind, file_id, doc)
        if not self.restore:  # a record new here keeps its id if free, and when it was made (to be known again)
            doc.pop("version", None)
        if kind == "contact" and doc.get("organization_id") is not None:
            doc["organization_id"] = self._mapped("organization", doc["organization_id"])
        item = Incoming(line, source=original, record_id=file_id, same_as=same_as,
                        matching=not self.restore, by_name=False,
                        written=lambda record_id: self.ids[kind].__setitem__(file_id, record_id))
        setattr(item, kind, doc)
        return item

    def _same_record(self, kind: str, file_id: int | None, doc: dict[str, Any]) -> int | None:
        """The stored record a line is a copy of: the same moment of creation and name, under the same id (an id
        alone may be another directory's record) or, for an organization, another (a copy made by merging this
        backup before, when its id was taken)."""
        if not doc.get("created_at"):
            return None
        record_kind = RecordKind(kind)
        candidates = [file_id] if file_id is not None else []
        if record_kind is RecordKind.organization and isinstance(doc.get("name"), str):
            candidates += self.directory.matching(self.actor, record_kind, MatchBy.name, doc["name"])
        for candidate in candidates:
            try:
                mine = dump(self.directory.get(self.actor, record_kind, candidate))
            except ContactsError:
                continue
            if all(mine.get(f) == doc.get(f) for f in ("created_at", "name", "first_name", "last_name")):
                return candidate
        return None

    def _other(self, kind: str, file_id: int | None, doc: dict[str, Any]) -> ImportAction:
        """Store a line that is not a contact or organization; say whether it was new or not."""
        directory, actor = self.directory, self.actor
        if kind == "division":
            exists = directory.division_problem(str(doc.get("name", ""))) is None
            if exists and (not self.restore or dump(directory.division(doc["name"])) == doc):
                return ImportAction.unchanged
            directory.put_attached(actor, kind, doc, file_id if self.restore else None, replace=True)
            return ImportAction.update if exists else ImportAction.create
        if kind == "schema":
            current = directory.schema(RecordKind.of(str(doc.get("entity", ""))))
            if self.restore:
                if doc.get("version", 0) <= current.version:
                    return ImportAction.unchanged
                directory.put_schema_version(actor, doc, file_id)
                return ImportAction.create
            missing = [f for f in doc.get("fields", []) if current.field(f.get("key", "")) is None]
            for field in missing:
                directory.add_custom_field(actor, current.entity, field)
            return ImportAction.update if missing else ImportAction.unchanged
        if kind == "note":
            doc["subject_id"] = self._mapped(doc["subject_kind"], doc["subject_id"])
            if doc.get("source", {}).get("interaction_id") is not None:
                doc["source"]["interaction_id"] = self.ids["interaction"].get(doc["source"]["interaction_id"])
            parent, fields = (doc["subject_kind"], doc["subject_id"]), ("text", "created_at")
        elif kind == "relationship":
            doc["organization_id"] = self._mapped("organization", doc["organization_id"])
            parent, fields = ("organization", doc["organization_id"]), ("user", "role")
        else:
            doc["contact_id"] = self._mapped("contact", doc["contact_id"])
            parent, fields = ("contact", doc["contact_id"]), ("at", "kind")
        existing = directory.attached_to(actor, kind, *parent)
        match = next((i for i, d in existing.items() if all(d.get(f) == doc.get(f) for f in fields)), None)
        action = ImportAction.unchanged
        if match is None:
            match = directory.put_attached(actor, kind, doc, file_id if self.restore else None)
            action = ImportAction.create
        self.ids[kind][file_id] = match
        return action

    def _mapped(self, kind: str, file_id: int) -> int:
        if file_id in self.ids[kind]:
            return self.ids[kind][file_id]
        if self.restore:
            return file_id
        raise ValidationFailed.one(f"{kind}_id", file_id, f"is not a {kind} of this file (its line must come first)")

