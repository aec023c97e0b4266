"""Bulk paths: writing records an import checked earlier, restoring a backup as it was exported (ids, authors and
times kept), reading everything for a backup, and remembering how far a sync got. Admins only, but for imports,
which need edit rights in the division they write to."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from core.customfields import CustomFieldSchema
from core.directory.base import Party, dump, reads, validated
from core.directory.validation import Validation
from core.errors import Conflict, ValidationFailed
from core.indexes import id_key, subject_key
from core.kinds import RecordKind
from core.models import Division, Interaction, Note, Relationship
from core.policy import Action, Actor


class Attached(StrEnum):
    """What is stored beside the records, in the order a backup writes it (what a line refers to comes first)."""

    division = "division"
    schema = "schema"
    relationship = "relationship"
    interaction = "interaction"
    note = "note"

    @property
    def table(self) -> str:
        return f"{self.value}s"


BACKUP_ORDER = ("division", "schema", "organization", "contact", "relationship", "interaction", "note")
_MODELS: dict[Attached, type[BaseModel]] = {
    Attached.division: Division, Attached.relationship: Relationship, Attached.interaction: Interaction,
    Attached.note: Note}
_RECORD_TABLES = (*(k.table for k in RecordKind), "notes", "relationships", "interactions")


class Restoring(Validation):
    def put_validated(self, actor: Actor, kind: str, record: Party, previous: Party | None, detail: str) -> Party:
        """Write a record that ``validate`` accepted earlier: bulk paths check every record before writing any.
        ``previous`` is the stored record it replaces (None to create one); if that changed meanwhile, Conflict."""
        record_kind = RecordKind.of(kind)
        self.require(actor, Action.edit, record.division)
        with self._repo.transaction():
            now = self._now()
            if previous is None:
                record.version = record.version or 1
                record.created_at = record.created_at or now
                record.modified_at = record.modified_at or now
                record.id = self._repo.insert(record_kind.table, dump(record),
                                              self._free_id(record_kind.table, record.id))
                self._audit(record_kind, record.id, "import", actor, {}, detail, at=now)
                return record
            assert previous.id is not None
            stored = self._repo.get(record_kind.table, previous.id)
            if stored is None or stored.get("version") != previous.version:
                raise Conflict(f"{kind} {previous.id} was changed while this import ran; run it again. "
                               "Nothing was changed.")
            self.require(actor, Action.edit, previous.division)
            return self._commit(actor, record_kind, previous, record, "import", detail)

    def _free_id(self, table: str, wanted: int | None) -> int | None:
        """``wanted`` if no document has it yet (a restored record keeps its id), else None (the next id)."""
        return wanted if wanted is not None and self._repo.get(table, wanted) is None else None

    def put_attached(self, actor: Actor, what: str, data: Mapping[str, Any], record_id: int | None = None,
                     replace: bool = False) -> int:
        """Store a note, relationship, interaction or division as another directory exported it (authors and
        times kept), under ``record_id`` if that is free: for restoring a backup and merging exports. ``replace``
        lets a division take the place of the one of its name (a restore brings back the default division as it
        was, not as this directory made it)."""
        self.require(actor, Action.configure)
        attached = _attached(what)
        if attached is Attached.schema:
            raise ValidationFailed.one("type", what, "schema versions are stored with put_schema_version")
        item = validated(_MODELS[attached], {**data, "id": None})
        with self._repo.transaction():
            if isinstance(item, Division):
                existing = self._division_named(item.name)
                if existing is not None and replace:
                    assert existing.id is not None
                    self._repo.replace(attached.table, existing.id, dump(item))
                    return existing.id
                if existing is not None:
                    raise ValidationFailed.one("name", item.name, "a division with this name exists already")
            elif isinstance(item, Interaction):
                self._load(RecordKind.contact, item.contact_id)
            elif isinstance(item, Relationship):
                self._load(RecordKind.organization, item.organization_id)
            else:
                assert isinstance(item, Note)
                self._load(item.subject_kind, item.subject_id)
            return self._repo.insert(attached.table, dump(item), self._free_id(attached.table, record_id))

    def put_schema_version(self, actor: Actor, data: Mapping[str, Any], record_id: int | None = None) -> None:
        """Store one version of a custom-field schema as exported (for restoring a backup into an empty one)."""
        self.require(actor, Action.configure)
        schema = validated(CustomFieldSchema, {**data, "id": None})
        with self._repo.transaction():
            if any(d["version"] == schema.version for d in self._repo.get_many(
                    "schemas", self._repo.find("schema.entity", schema.entity)).values()):
                raise ValidationFailed.one("version", schema.version,
                                           f"{schema.entity} custom fields already have this version")
            self._repo.insert("schemas", dump(schema), self._free_id("schemas", record_id))

    @reads
    def attached_to(self, actor: Actor, what: str, kind: str, record_id: int) -> dict[int, dict[str, Any]]:
        """The notes, relationships or interactions of one record as stored (a merge import skips those it has)."""
        self.require(actor, Action.configure)
        attached = _attached(what)
        index, key = {
            Attached.note: ("note.subject", subject_key(kind, record_id)),
            Attached.relationship: ("relationship.organization", id_key(record_id)),
            Attached.interaction: ("interaction.contact", id_key(record_id)),
        }.get(attached, ("", ""))
        if not index:
            raise ValidationFailed.one("type", what, "must be note, relationship or interaction")
        return self._repo.get_many(attached.table, self._repo.find(index, key))

    @reads
    def is_empty(self, actor: Actor) -> bool:
        """No records, notes, relationships or interactions yet (a backup imported now restores ids as well)."""
        self.require(actor, Action.configure)
        return not any(self._repo.count(table) for table in _RECORD_TABLES)

    @reads
    def backup_size(self, actor: Actor) -> int:
        self.require(actor, Action.configure)
        return sum(self._repo.count(_table_of(what)) for what in BACKUP_ORDER)

    def backup(self, actor: Actor, size: int = 5000) -> Iterator[tuple[str, list[tuple[int, dict[str, Any]]]]]:
        """Everything, as stored, in ``BACKUP_ORDER`` and id order, ``size`` documents at a time (admins only:
        a backup holds every division). Call inside ``reading()`` for one consistent state."""
        self.require(actor, Action.configure)
        for what in BACKUP_ORDER:
            table = _table_of(what)
            after = 0
            while chunk := self._repo.ids_after(table, after, size):
                docs = self._repo.get_many(table, chunk)
                yield what, [(i, docs[i]) for i in chunk]
                after = chunk[-1]

    def compact(self, actor: Actor) -> None:
        """Fold the journal into a fresh snapshot now (maintenance: admins only)."""
        self.require(actor, Action.configure)
        self._repo.compact()


def _attached(what: str) -> Attached:
    try:
        return Attached(what.removesuffix("s"))
    except ValueError:
        raise ValidationFailed.one("type", what, "must be one of " + ", ".join(a.value for a in Attached)) from None


def _table_of(what: str) -> str:
    return RecordKind(what).table if what in RecordKind.__members__ else _attached(what).table
