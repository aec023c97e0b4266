"""JSON Lines: one object per line, every record, note, relationship, interaction, division and schema version,
as stored. Importing into an empty directory restores it exactly, ids included (links to records keep working);
importing into one that has records merges: contacts and organizations are matched like any import, and notes,
relationships and interactions follow their records without being added twice.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from core.directory import Directory
from core.errors import ContactsError, FieldProblem, ValidationFailed
from core.policy import Action, Actor
from core.text import fold
from core.transfer.plan import Importer, Incoming, Outcome, Report

# Export order is import order: what a line refers to comes before it.
TYPES = {"division": "divisions", "schema": "schemas", "organization": "organizations", "contact": "contacts",
         "relationship": "relationships", "interaction": "interactions", "note": "notes"}
PARTIES = {"organization", "contact"}
RESTORE_TABLES = ("organizations", "contacts", "notes", "relationships", "interactions")


def export_jsonl(directory: Directory, actor: Actor, out: io.BufferedIOBase,
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Everything in the directory (admins only: a backup holds every division)."""
    directory.policy.require(actor, Action.configure)
    repo, count = directory.repo, 0
    with repo.reading():
        total = sum(repo.count(table) for table in TYPES.values())
        for kind, table in TYPES.items():
            ids = sorted(repo.ids(table))
            for start in range(0, len(ids), 5000):
                chunk = ids[start:start + 5000]
                docs = repo.get_many(table, chunk)
                out.write(b"".join(orjson.dumps({"type": kind, "id": i, **docs[i]}) + b"\n" for i in chunk))
                count += len(chunk)
                if progress is not None:
                    progress(count, total)
    return count


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | FieldProblem]]:
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise ValidationFailed.one("file", str(path), f"cannot be read: {error.strerror}") from None
    with handle:
        for line_number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                yield line_number, FieldProblem("line", line[:60].decode("utf-8", "replace"),
                                                f"is not a JSON object: {error}")
                continue
            if not isinstance(obj, dict) or obj.get("type") not in TYPES:
                yield line_number, FieldProblem("type", obj.get("type") if isinstance(obj, dict) else obj,
                                                f"must be one of {', '.join(TYPES)}")
                continue
            yield line_number, obj


def import_jsonl(directory: Directory, actor: Actor, path: Path, *, dry_run: bool = False, strict: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> Report:
    directory.policy.require(actor, Action.configure)
    restore = not any(directory.repo.count(t) for t in RESTORE_TABLES)
    session = _Session(directory, actor, restore)
    importer = Importer(directory, actor, detail=f"import of {path.name}")
    total = 0
    if progress is not None:
        with open(path, "rb") as lines:
            total = sum(1 for _ in lines)
    return importer.run(session.items(read_jsonl(path)), dry_run=dry_run, strict=strict, progress=progress,
                        total=total)


class _Session:
    """Turns the lines of a file into the importer's items, handling the lines that are not records itself
    (the importer runs them inside its transaction as it pulls items) and mapping ids of the file to ours."""

    def __init__(self, directory: Directory, actor: Actor, restore: bool):
        self.directory, self.actor, self.restore = directory, actor, restore
        self.ids: dict[str, dict[int, int]] = {kind: {} for kind in TYPES}

    def items(self, lines: Iterator[tuple[int, dict[str, Any] | FieldProblem]]) -> Iterator[Incoming | Outcome]:
        for line, obj in lines:
            if isinstance(obj, FieldProblem):
                yield Incoming(line, problems=[obj], source=obj)
                continue
            kind = obj.pop("type")
            file_id = obj.pop("id", None)
            if kind in PARTIES:
                yield self._party(line, kind, file_id, obj)
                continue
            try:
                action = self._other(kind, file_id, obj)
            except ContactsError as error:
                problems = error.problems if isinstance(error, ValidationFailed) else [
                    FieldProblem(kind, file_id, str(error))]
                yield Outcome(line, "error", f"{kind} {file_id}", problems, source=obj)
            else:
                yield Outcome(line, action, f"{kind} {file_id}")

    def _party(self, line: int, kind: str, file_id: int | None, doc: dict[str, Any]) -> Incoming:
        for field in ("version", "created_at", "modified_at"):
            if not self.restore:
                doc.pop(field, None)
        if kind == "contact" and doc.get("organization_id") is not None:
            doc["organization_id"] = self.ids["organization"].get(doc["organization_id"], doc["organization_id"])
        item = Incoming(line, source=doc, record_id=file_id if self.restore else None,
                        written=lambda record_id: self.ids[kind].__setitem__(file_id, record_id))
        setattr(item, kind, doc)
        return item

    def _other(self, kind: str, file_id: int | None, doc: dict[str, Any]) -> str:
        """Store a line that is not a contact or organization; say whether it was new ("create") or not."""
        directory, actor = self.directory, self.actor
        if kind == "division":
            if directory.repo.find("division.name", fold(str(doc.get("name", "")))):
                return "unchanged"
            free = self.restore and directory.repo.get("divisions", file_id) is None
            directory.put_attached(actor, "divisions", doc, file_id if free else None)
            return "create"
        if kind == "schema":
            entity = doc.get("entity", "")
            if entity not in ("contact", "organization"):
                raise ValidationFailed.one("entity", entity, "must be contact or organization")
            current = directory.schema(entity)
            if self.restore:
                if doc.get("version", 0) <= current.version:
                    return "unchanged"
                directory.put_schema_version(actor, doc, file_id)
                return "create"
            missing = [f for f in doc.get("fields", []) if current.field(f.get("key", "")) is None]
            for field in missing:
                directory.add_custom_field(actor, entity, field)
            return "update" if missing else "unchanged"
        table = TYPES[kind]
        if kind == "note":
            doc["subject_id"] = self._mapped(doc["subject_kind"], doc["subject_id"])
            if doc.get("source", {}).get("interaction_id") is not None:
                doc["source"]["interaction_id"] = self.ids["interaction"].get(doc["source"]["interaction_id"])
            same = ("note.subject", f"{doc['subject_kind']}:{doc['subject_id']}", ("text", "created_at"))
        elif kind == "relationship":
            doc["organization_id"] = self._mapped("organization", doc["organization_id"])
            same = ("relationship.organization", str(doc["organization_id"]), ("user", "role"))
        else:
            doc["contact_id"] = self._mapped("contact", doc["contact_id"])
            same = ("interaction.contact", str(doc["contact_id"]), ("at", "kind"))
        index, key, fields = same
        existing = directory.repo.get_many(table, directory.repo.find(index, key))
        match = next((i for i, d in existing.items() if all(d.get(f) == doc.get(f) for f in fields)), None)
        action = "unchanged"
        if match is None:
            match, action = directory.put_attached(actor, table, doc, file_id if self.restore else None), "create"
        self.ids[kind][file_id] = match
        return action

    def _mapped(self, kind: str, file_id: int) -> int:
        if file_id in self.ids[kind]:
            return self.ids[kind][file_id]
        if self.restore:
            return file_id
        raise ValidationFailed.one(f"{kind}_id", file_id, f"is not a {kind} of this file (its line must come first)")

