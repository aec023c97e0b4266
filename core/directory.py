"""The service API both front ends call: every operation takes the acting user, checks the policy, validates,
and commits atomically with an audit entry. Front ends never touch the store."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from core import duplicates, search
from core.config import Settings, default_data_dir, load_settings
from core.customfields import CustomField, CustomFieldSchema, Entity, FieldType, validate_values
from core.errors import Conflict, FieldProblem, NotFound, PermissionDenied, ValidationFailed
from core.indexes import TABLES
from core.models import (
    DEFAULT_DIVISION,
    PATTERN_RULES,
    AuditEntry,
    Contact,
    Division,
    Interaction,
    Note,
    NoteSource,
    Organization,
    Relationship,
    SubjectKind,
)
from core.phones import digits_of, e164_candidates
from core.policy import Action, Actor, Policy
from core.repository import Repository, TinyDBRepository
from core.text import fold

Party = Contact | Organization
MODELS: dict[str, type[Party]] = {"contact": Contact, "organization": Organization}
SYSTEM_FIELDS = frozenset({"id", "version", "created_at", "modified_at"})
MAX_MERGE = 25
ATTACHED: dict[str, type[Note] | type[Relationship] | type[Interaction] | type[Division]] = {
    "notes": Note, "relationships": Relationship, "interactions": Interaction, "divisions": Division}


def reads(method):
    """Run a read-only operation on one consistent state of the store."""

    @functools.wraps(method)
    def consistent(self: Directory, *args, **kwargs):
        with self.repo.reading():
            return method(self, *args, **kwargs)

    return consistent


def utc_now() -> datetime:
    return datetime.now(UTC)


def dump(record: BaseModel) -> dict:
    """The stored form of a record: JSON types, without the id (the store keys it) or empty optional fields."""
    return record.model_dump(mode="json", exclude_none=True, exclude_defaults=True, exclude={"id"})


def problems_of(error: ValidationError, prefix: str = "") -> list[FieldProblem]:
    problems = []
    for item in error.errors():
        field = prefix + ".".join(str(p) for p in item["loc"]) if item["loc"] else prefix.rstrip(".") or "record"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "string_pattern_mismatch":
            message = PATTERN_RULES.get(item["ctx"]["pattern"], message)
        elif item["type"] == "extra_forbidden":
            message = "is not a field of this record"
        elif item["type"] == "missing":
            message = "is required"
        problems.append(FieldProblem(field, item.get("input") if item["type"] != "missing" else None, message))
    return problems


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    keys = (before.keys() | after.keys()) - SYSTEM_FIELDS
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


@dataclass(frozen=True)
class Lookup:
    """The answer to what an agent typed. ``normalized`` says what was searched (for example the E.164 number)."""

    query: str
    kind: str
    normalized: str
    contacts: list[Contact]
    organizations: list[Organization]
    search: search.SearchResult | None = None

    @property
    def found(self) -> bool:
        return bool(self.contacts or self.organizations)


@dataclass(frozen=True)
class Profile:
    """Everything a card or a detail pane shows about one record, read in one consistent view."""

    record: Party
    organization: Organization | None
    notes: list[Note]
    interactions: list[Interaction]
    relationships: list[Relationship]
    contacts: list[Contact]
    schema: CustomFieldSchema
    can_note: bool
    can_edit: bool

    @property
    def kind(self) -> str:
        return _kind_of(self.record)

    def custom_values(self) -> list[tuple[str, Any]]:
        """(label, value) of each custom field the record has, in schema order, disabled fields included."""
        values = self.record.custom_fields
        return [(f.label, values[f.key]) for f in self.schema.fields if f.key in values]


@dataclass(frozen=True)
class Row:
    """One line of a record list: what an admin scans for."""

    kind: str
    id: int
    name: str
    organization: str
    phone: str
    division: str
    survey_opt_out: bool


@dataclass(frozen=True)
class MoveResult:
    record: Party
    message: str


class Directory:
    def __init__(self, repo: Repository, settings: Settings | None = None, clock: Callable[[], datetime] = utc_now):
        self.repo = repo
        self.settings = settings or Settings()
        self.policy = Policy(self.settings.access)
        self._now = clock
        self._schemas: dict[str, tuple[frozenset[int], CustomFieldSchema]] = {}
        self._orders: dict[str, tuple[int, list[int]]] = {}
        if not self.repo.find("division.name", fold(DEFAULT_DIVISION)):
            with self.repo.transaction():
                if not self.repo.find("division.name", fold(DEFAULT_DIVISION)):
                    now = self._now()
                    division = Division(name=DEFAULT_DIVISION, description="The division records go to by default",
                                        version=1, created_at=now, modified_at=now)
                    self.repo.insert("divisions", dump(division))

    @classmethod
    def open(cls, data_dir: Path | None = None) -> Directory:
        directory = data_dir or default_data_dir()
        settings = load_settings(directory)
        return cls(TinyDBRepository(directory), settings)

    def close(self) -> None:
        self.repo.close()

    def batch(self) -> AbstractContextManager[None]:
        """Run many operations as one atomic commit (for bulk work: one disk flush instead of one each)."""
        return self.repo.transaction()

    @property
    def region(self) -> str:
        return self.settings.phone.default_region

    # ------------------------------------------------------------------ records

    def _load(self, kind: str, record_id: int) -> Party:
        doc = self.repo.get(TABLES[kind], record_id)
        if doc is None:
            raise NotFound(kind, record_id)
        return MODELS[kind].model_validate({**doc, "id": record_id}, context={"stored": True})

    def _load_many(self, kind: str, record_ids: Iterable[int]) -> list[Party]:
        model = MODELS[kind]
        docs = self.repo.get_many(TABLES[kind], record_ids)
        return [model.model_validate({**doc, "id": i}, context={"stored": True}) for i, doc in docs.items()]

    def _visible(self, actor: Actor, record: Party) -> Party:
        if not self.policy.allows(actor, Action.view, record.division):
            raise NotFound(_kind_of(record), record.id)  # a record outside one's divisions does not exist for them
        return record

    @reads
    def get(self, actor: Actor, kind: str, record_id: int) -> Party:
        _check_kind(kind)
        return self._visible(actor, self._load(kind, record_id))

    def get_contact(self, actor: Actor, record_id: int) -> Contact:
        return self.get(actor, "contact", record_id)  # type: ignore[return-value]

    def get_organization(self, actor: Actor, record_id: int) -> Organization:
        return self.get(actor, "organization", record_id)  # type: ignore[return-value]

    def validate(self, kind: str, data: dict[str, Any], previous: dict[str, Any] | None = None) -> Party:
        """The record ``data`` describes, checked against every rule and the store (ValidationFailed if not).
        ``previous`` is the stored form of the record being changed, if any."""
        problems: list[FieldProblem] = []
        schema = self.schema(kind)
        try:
            custom = validate_values(schema, data.get("custom_fields") or {},
                                     (previous or {}).get("custom_fields", {}), self.region)
        except ValidationFailed as error:
            problems += error.problems
        try:
            record = MODELS[kind].model_validate(data, context={"region": self.region})
        except ValidationError as error:
            raise ValidationFailed(problems_of(error) + problems) from None
        if problems:
            raise ValidationFailed(problems)
        record.custom_fields = custom
        problems += self._identifier_clashes(kind, record, schema)
        unknown_division = self.division_problem(record.division)
        if unknown_division:
            problems.append(unknown_division)
        if isinstance(record, Contact) and record.organization_id is not None:
            if self.repo.get("organizations", record.organization_id) is None:
                problems.append(FieldProblem("organization_id", record.organization_id, "is not an organization"))
        if problems:
            raise ValidationFailed(problems)
        return record

    def _identifier_clashes(self, kind: str, record: Party, schema: CustomFieldSchema) -> list[FieldProblem]:
        clashes = []
        for key, value in record.custom_fields.items():
            spec = schema.field(key)
            if spec is None or spec.type is not FieldType.identifier:
                continue
            others = self.repo.find(f"{kind}.custom", f"{key}={fold(value)}") - {record.id}
            if others:
                clashes.append(FieldProblem(
                    f"custom_fields.{key}", value,
                    f"{spec.label!r} is an identifier and {kind} {min(others)} already has it",
                ))
        return clashes

    def create(self, actor: Actor, kind: str, data: Mapping[str, Any]) -> Party:
        _check_kind(kind)
        _refuse_system_fields(data)
        division = data.get("division") or DEFAULT_DIVISION
        self.policy.require(actor, Action.edit, division)
        with self.repo.transaction():
            record = self.validate(kind, dict(data))
            now = self._now()
            record.version, record.created_at, record.modified_at = 1, now, now
            doc = dump(record)
            record.id = self.repo.insert(TABLES[kind], doc)
            self._audit(kind, record.id, "create", actor, changes_between({}, doc), at=now)
        return record

    def update(
        self,
        actor: Actor,
        kind: str,
        record_id: int,
        changes: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> Party:
        """Change the given fields; others stay as they are. ``expected_version`` guards against overwriting
        a change someone else saved since the caller read the record."""
        _check_kind(kind)
        _refuse_system_fields(changes)
        return self._change(actor, kind, record_id, Action.edit, dict(changes), expected_version)

    def _change(
        self,
        actor: Actor,
        kind: str,
        record_id: int,
        action: Action,
        changes: dict[str, Any] | Callable[[Party], dict[str, Any]],
        expected_version: int | None = None,
        audit_action: str = "update",
    ) -> Party:
        with self.repo.transaction():
            current = self._visible(actor, self._load(kind, record_id))
            self.policy.require(actor, action, current.division)
            if expected_version is not None and current.version != expected_version:
                raise Conflict(
                    f"{kind} {record_id} was changed since you opened it (version {expected_version}, now "
                    f"{current.version}); reload it and make your change again. Nothing was changed."
                )
            if callable(changes):
                changes = changes(current)
            if "division" in changes and changes["division"] != current.division:
                raise ValidationFailed.one(
                    "division", changes["division"],
                    f"a record's division is chosen when it is created and cannot be edited (it is "
                    f"{current.division!r}); use move to put it in another division",
                )
            before = dump(current)
            data = {**current.model_dump(mode="json", exclude={"version", "created_at", "modified_at"}), **changes}
            record = self.validate(kind, data, previous=before)
            record.created_at = current.created_at
            record.version = current.version
            after = dump(record)
            diff = changes_between(before, after)
            if not diff:
                return current
            record.version, record.modified_at = current.version + 1, self._now()
            self.repo.replace(TABLES[kind], record_id, dump(record))
            self._audit(kind, record_id, audit_action, actor, diff, at=record.modified_at)
        return record

    def put_validated(self, actor: Actor, kind: str, record: Party, previous: Party | None, detail: str) -> Party:
        """Write a record that ``validate`` accepted earlier: bulk paths check every record before writing any.
        ``previous`` is the stored record it replaces (None to create one); if that changed meanwhile, Conflict."""
        self.policy.require(actor, Action.edit, record.division)
        with self.repo.transaction():
            now = self._now()
            if previous is None:
                record.version = record.version or 1
                record.created_at = record.created_at or now
                record.modified_at = record.modified_at or now
                record.id = self.repo.insert(TABLES[kind], dump(record), record.id)
                self._audit(kind, record.id, "import", actor, {}, detail, at=now)
                return record
            stored = self.repo.get(TABLES[kind], previous.id)
            if stored is None or stored.get("version") != previous.version:
                raise Conflict(f"{kind} {previous.id} was changed while this import ran; run it again. "
                               "Nothing was changed.")
            record.id, record.created_at = previous.id, previous.created_at
            record.version, record.modified_at = previous.version + 1, now
            after = dump(record)
            self.repo.replace(TABLES[kind], record.id, after)
            self._audit(kind, record.id, "import", actor, changes_between(dump(previous), after), detail, at=now)
        return record

    def put_attached(self, actor: Actor, table: str, data: Mapping[str, Any], record_id: int | None = None) -> int:
        """Store a note, relationship, interaction or division as another directory exported it (authors and
        times kept), under ``record_id`` if given: for restoring a backup and merging exports. Admins only."""
        self.policy.require(actor, Action.configure)
        try:
            item = ATTACHED[table].model_validate({**data, "id": None})
        except ValidationError as error:
            raise ValidationFailed(problems_of(error)) from None
        with self.repo.transaction():
            if isinstance(item, Division):
                if self.repo.find("division.name", fold(item.name)):
                    raise ValidationFailed.one("name", item.name, "a division with this name exists already")
            else:
                self._load(*((("contact", item.contact_id) if isinstance(item, Interaction) else
                              ("organization", item.organization_id) if isinstance(item, Relationship) else
                              (item.subject_kind, item.subject_id))))
            return self.repo.insert(table, dump(item), record_id)

    def put_schema_version(self, actor: Actor, data: Mapping[str, Any], record_id: int | None = None) -> None:
        """Store one version of a custom-field schema as exported (for restoring a backup into an empty one)."""
        self.policy.require(actor, Action.configure)
        try:
            schema = CustomFieldSchema.model_validate({**data, "id": None})
        except ValidationError as error:
            raise ValidationFailed(problems_of(error)) from None
        with self.repo.transaction():
            if any(self.repo.get("schemas", i)["version"] == schema.version
                   for i in self.repo.find("schema.entity", schema.entity)):
                raise ValidationFailed.one("version", schema.version,
                                           f"{schema.entity} custom fields already have this version")
            self.repo.insert("schemas", dump(schema), record_id)

    def set_survey_opt_out(self, actor: Actor, contact_id: int, opted_out: bool) -> Contact:
        """Set or clear the contact's request to receive no automated surveys (agents may do this)."""
        return self._change(actor, "contact", contact_id, Action.note, {"survey_opt_out": opted_out},
                            audit_action="survey opt-out" if opted_out else "survey opt-in")  # type: ignore[return-value]

    def set_sms(self, actor: Actor, contact_id: int, number: str, enabled: bool) -> Contact:
        """Allow or block SMS to one of the contact's numbers, named in any format."""

        def toggle(contact: Party) -> dict[str, Any]:
            assert isinstance(contact, Contact)
            index = self._phone_index(contact, number)
            phones = [p.model_dump(mode="json") for p in contact.phones]
            phones[index]["sms"] = enabled
            return {"phones": phones}

        return self._change(actor, "contact", contact_id, Action.note, toggle,
                            audit_action="sms on" if enabled else "sms off")  # type: ignore[return-value]

    def _phone_index(self, contact: Contact, number: str) -> int:
        candidates = set(e164_candidates(number, self.region))
        digits = digits_of(number)
        for i, phone in enumerate(contact.phones):
            if phone.e164 in candidates or (digits and digits_of(phone.raw) == digits):
                return i
        listed = ", ".join(p.raw for p in contact.phones) or "none"
        raise ValidationFailed.one("phone", number, f"is not one of {contact.full_name}'s numbers ({listed})")

    def move(self, actor: Actor, kind: str, record_id: int, division: str) -> MoveResult:
        """Put a record in another division. Unlike an edit, this is explicit and needs edit rights in both.

        The record keeps its id, notes and history, so links to it (from Slack, a CRM, bookmarks) stay valid.
        """
        _check_kind(kind)
        with self.repo.transaction():
            record = self._visible(actor, self._load(kind, record_id))
            old = record.division
            self.policy.require(actor, Action.edit, old)
            self.policy.require(actor, Action.edit, division)
            if division == old:
                raise ValidationFailed.one("division", division, f"the {kind} is already in division {old!r}")
            unknown_division = self.division_problem(division)
            if unknown_division:
                raise ValidationFailed([unknown_division])
            before = dump(record)
            record.division = division
            record.version, record.modified_at = record.version + 1, self._now()
            self.repo.replace(TABLES[kind], record_id, dump(record))
            self._audit(kind, record_id, "move", actor, changes_between(before, dump(record)), at=record.modified_at)
        message = (
            f"Moved {kind} {record.full_name} (id {record_id}) from division {old!r} to {division!r}; "
            "its id, notes and history are unchanged. People without access to "
            f"{division!r} no longer see it."
        )
        return MoveResult(record, message)

    def delete(self, actor: Actor, kind: str, record_id: int) -> None:
        """Delete a record with its notes (and a contact's interactions); an organization's contacts stay,
        unlinked from it."""
        _check_kind(kind)
        with self.repo.transaction():
            record = self._visible(actor, self._load(kind, record_id))
            self.policy.require(actor, Action.edit, record.division)
            for note_id in self.repo.find("note.subject", f"{kind}:{record_id}"):
                self.repo.remove("notes", note_id)
            if kind == "contact":
                for interaction_id in self.repo.find("interaction.contact", str(record_id)):
                    self.repo.remove("interactions", interaction_id)
            if kind == "organization":
                for rel_id in self.repo.find("relationship.organization", str(record_id)):
                    self.repo.remove("relationships", rel_id)
                for contact_id in self.repo.find("contact.organization", str(record_id)):
                    self._unlink(actor, contact_id)
            self.repo.remove(TABLES[kind], record_id)
            self._audit(kind, record_id, "delete", actor, changes_between(dump(record), {}))

    def _unlink(self, actor: Actor, contact_id: int) -> None:
        contact = self._load("contact", contact_id)
        before = dump(contact)
        contact.organization_id = None
        contact.version, contact.modified_at = contact.version + 1, self._now()
        self.repo.replace("contacts", contact_id, dump(contact))
        self._audit("contact", contact_id, "update", actor, changes_between(before, dump(contact)),
                    "its organization was deleted", at=contact.modified_at)

    @reads
    def contacts_of(self, actor: Actor, organization_id: int) -> list[Contact]:
        self.get(actor, "organization", organization_id)
        ids = self.repo.find("contact.organization", str(organization_id))
        contacts = [c for c in self._load_many("contact", ids) if self.policy.allows(actor, Action.view, c.division)]
        return sorted(contacts, key=lambda c: (fold(c.last_name), fold(c.first_name), c.id))  # type: ignore[union-attr]

    @reads
    def profile(self, actor: Actor, kind: str, record_id: int) -> Profile:
        _check_kind(kind)
        record = self.get(actor, kind, record_id)
        organization = None
        if isinstance(record, Contact) and record.organization_id:
            try:
                organization = self.get_organization(actor, record.organization_id)
            except NotFound:
                organization = None
        is_contact = isinstance(record, Contact)
        return Profile(
            record=record,
            organization=organization,
            notes=self.notes(actor, kind, record_id),
            interactions=self.interactions(actor, record_id) if is_contact else [],
            relationships=[] if is_contact else self.relationships(actor, record_id),
            contacts=[] if is_contact else self.contacts_of(actor, record_id),
            schema=self.schema(kind),
            can_note=self.policy.allows(actor, Action.note, record.division),
            can_edit=self.policy.allows(actor, Action.edit, record.division),
        )

    def can(self, actor: Actor, action: Action, division: str | None = None) -> bool:
        return self.policy.allows(actor, action, division)

    # ------------------------------------------------------------------ notes

    def add_note(
        self, actor: Actor, kind: SubjectKind, subject_id: int, text: str, source: NoteSource | dict | None = None
    ) -> Note:
        _check_kind(kind)
        with self.repo.transaction():
            subject = self._visible(actor, self._load(kind, subject_id))
            self.policy.require(actor, Action.note, subject.division)
            now = self._now()
            try:
                note = Note.model_validate({
                    "subject_kind": kind, "subject_id": subject_id, "text": text, "author": actor.id,
                    "source": source, "version": 1, "created_at": now, "modified_at": now,
                })
            except ValidationError as error:
                raise ValidationFailed(problems_of(error)) from None
            note.id = self.repo.insert("notes", dump(note))
            self._audit(kind, subject_id, "note added", actor, {"note": [None, note.id]}, _preview(text), at=now)
        return note

    def _note_for_change(self, actor: Actor, note_id: int) -> tuple[Note, Party]:
        doc = self.repo.get("notes", note_id)
        if doc is None:
            raise NotFound("note", note_id)
        note = Note.model_validate({**doc, "id": note_id})
        subject = self._visible(actor, self._load(note.subject_kind, note.subject_id))
        self.policy.require(actor, Action.note, subject.division)
        if note.author != actor.id and not self.policy.allows(actor, Action.edit, subject.division):
            raise PermissionDenied(
                f"note {note_id} was written by {note.author}; only its author or an admin may change it. "
                "Nothing was changed."
            )
        return note, subject

    def edit_note(self, actor: Actor, note_id: int, text: str) -> Note:
        with self.repo.transaction():
            note, _ = self._note_for_change(actor, note_id)
            before = note.text
            try:
                note = Note.model_validate({**note.model_dump(), "text": text})
            except ValidationError as error:
                raise ValidationFailed(problems_of(error)) from None
            if note.text == before:
                return note
            note.version, note.modified_at = note.version + 1, self._now()
            self.repo.replace("notes", note_id, dump(note))
            self._audit(note.subject_kind, note.subject_id, "note edited", actor,
                        {f"note {note_id}": [before, note.text]}, at=note.modified_at)
        return note

    def delete_note(self, actor: Actor, note_id: int) -> None:
        with self.repo.transaction():
            note, _ = self._note_for_change(actor, note_id)
            self.repo.remove("notes", note_id)
            self._audit(note.subject_kind, note.subject_id, "note deleted", actor,
                        {f"note {note_id}": [note.text, None]})

    @reads
    def notes(self, actor: Actor, kind: SubjectKind, subject_id: int) -> list[Note]:
        """Notes on a record, newest first."""
        self.get(actor, kind, subject_id)
        ids = self.repo.find("note.subject", f"{kind}:{subject_id}")
        notes = [Note.model_validate({**d, "id": i}) for i, d in self.repo.get_many("notes", ids).items()]
        return sorted(notes, key=lambda n: (n.created_at, n.id), reverse=True)

    # ------------------------------------------------------------------ interactions

    def record_interaction(self, actor: Actor, contact_id: int, *, kind: str = "call", summary: str | None = None,
                           channel_id: str | None = None, channel_name: str | None = None,
                           message_ts: str | None = None, permalink: str | None = None) -> Interaction:
        """Note that a conversation with the contact happened (for example a call a telephony system announced)."""
        with self.repo.transaction():
            contact = self._visible(actor, self._load("contact", contact_id))
            self.policy.require(actor, Action.note, contact.division)
            try:
                interaction = Interaction(contact_id=contact_id, kind=kind, summary=summary, channel_id=channel_id,
                                          channel_name=channel_name, message_ts=message_ts, permalink=permalink,
                                          recorded_by=actor.id, at=self._now())
            except ValidationError as error:
                raise ValidationFailed(problems_of(error)) from None
            interaction.id = self.repo.insert("interactions", dump(interaction))
            self._audit("contact", contact_id, "interaction", actor, {"interaction": [None, interaction.id]},
                        _preview(summary or kind), at=interaction.at)
        return interaction

    @reads
    def interactions(self, actor: Actor, contact_id: int, limit: int = 10) -> list[Interaction]:
        """The contact's most recent interactions, newest first."""
        self.get(actor, "contact", contact_id)
        ids = self.repo.find("interaction.contact", str(contact_id))
        found = [Interaction.model_validate({**d, "id": i}) for i, d in self.repo.get_many("interactions", ids).items()]
        return sorted(found, key=lambda x: (x.at, x.id), reverse=True)[:limit]

    @reads
    def interaction_at(self, actor: Actor, channel_id: str, message_ts: str) -> Interaction | None:
        """The interaction recorded for a chat message, if any (so notes from its thread can point to it)."""
        for interaction_id in sorted(self.repo.find("interaction.message", f"{channel_id}:{message_ts}")):
            interaction = Interaction.model_validate({**self.repo.get("interactions", interaction_id), "id": interaction_id})
            try:
                self.get(actor, "contact", interaction.contact_id)
            except NotFound:
                continue
            return interaction
        return None

    # ------------------------------------------------------------------ relationships

    def add_relationship(self, actor: Actor, organization_id: int, user: str, role: str) -> Relationship:
        with self.repo.transaction():
            organization = self._visible(actor, self._load("organization", organization_id))
            self.policy.require(actor, Action.edit, organization.division)
            now = self._now()
            try:
                relationship = Relationship(organization_id=organization_id, user=user, role=role, version=1,
                                            created_at=now, modified_at=now)
            except ValidationError as error:
                raise ValidationFailed(problems_of(error)) from None
            relationship.id = self.repo.insert("relationships", dump(relationship))
            self._audit("organization", organization_id, "relationship added", actor,
                        {"relationship": [None, f"{relationship.user}: {relationship.role}"]})
        return relationship

    def remove_relationship(self, actor: Actor, relationship_id: int) -> None:
        with self.repo.transaction():
            doc = self.repo.get("relationships", relationship_id)
            if doc is None:
                raise NotFound("relationship", relationship_id)
            relationship = Relationship.model_validate({**doc, "id": relationship_id})
            organization = self._visible(actor, self._load("organization", relationship.organization_id))
            self.policy.require(actor, Action.edit, organization.division)
            self.repo.remove("relationships", relationship_id)
            self._audit("organization", organization.id, "relationship removed", actor,
                        {"relationship": [f"{relationship.user}: {relationship.role}", None]})

    @reads
    def relationships(self, actor: Actor, organization_id: int) -> list[Relationship]:
        self.get(actor, "organization", organization_id)
        ids = self.repo.find("relationship.organization", str(organization_id))
        found = [Relationship.model_validate({**d, "id": i}) for i, d in self.repo.get_many("relationships", ids).items()]
        return sorted(found, key=lambda r: (fold(r.role), fold(r.user)))

    # ------------------------------------------------------------------ divisions

    @reads
    def divisions(self) -> list[Division]:
        docs = self.repo.get_many("divisions", self.repo.ids("divisions"))
        return sorted((Division.model_validate({**d, "id": i}) for i, d in docs.items()), key=lambda d: fold(d.name))

    def division_problem(self, name: str) -> FieldProblem | None:
        """What is wrong with ``name`` as a division, if it is not one."""
        if self.repo.find("division.name", fold(name)):
            return None
        names = ", ".join(d.name for d in self.divisions())
        return FieldProblem("division", name, f"is not a division (divisions: {names})")

    def create_division(self, actor: Actor, name: str, description: str | None = None) -> Division:
        self.policy.require(actor, Action.configure)
        with self.repo.transaction():
            now = self._now()
            try:
                division = Division(name=name, description=description, version=1, created_at=now, modified_at=now)
            except ValidationError as error:
                raise ValidationFailed(problems_of(error)) from None
            if self.repo.find("division.name", fold(division.name)):
                raise ValidationFailed.one("name", name, "a division with this name exists already")
            division.id = self.repo.insert("divisions", dump(division))
            self._audit_subject(f"division:{division.id}", "create", actor, {"name": [None, division.name]})
        return division

    # ------------------------------------------------------------------ custom field schemas

    @reads
    def schema(self, entity: Entity) -> CustomFieldSchema:
        """The current version of ``entity``'s custom fields (version 0, empty, before any was defined).
        Shared and cached: read it, don't change it (new versions come from ``add_custom_field`` and friends)."""
        _check_kind(entity)
        version_ids = frozenset(self.repo.find("schema.entity", entity))
        cached = self._schemas.get(entity)
        if cached and cached[0] == version_ids:  # versions are never rewritten, only added
            return cached[1]
        versions = self.repo.get_many("schemas", version_ids)
        if versions:
            schema_id, doc = max(versions.items(), key=lambda item: item[1]["version"])
            schema = CustomFieldSchema.model_validate({**doc, "id": schema_id})
        else:
            schema = CustomFieldSchema(entity=entity)
        self._schemas[entity] = (version_ids, schema)
        return schema

    @reads
    def schema_history(self, entity: Entity) -> list[CustomFieldSchema]:
        _check_kind(entity)
        versions = self.repo.get_many("schemas", self.repo.find("schema.entity", entity))
        return sorted((CustomFieldSchema.model_validate({**d, "id": i}) for i, d in versions.items()),
                      key=lambda s: s.version)

    def _new_schema_version(self, actor: Actor, entity: Entity, change: Callable[[list[CustomField]], str]) -> CustomFieldSchema:
        self.policy.require(actor, Action.configure)
        with self.repo.transaction():
            current = self.schema(entity)
            fields = [f.model_copy() for f in current.fields]
            detail = change(fields)
            try:
                schema = CustomFieldSchema(entity=entity, version=current.version + 1, fields=fields,
                                           author=actor.id, created_at=self._now())
            except ValidationError as error:
                raise ValidationFailed(problems_of(error, "schema.")) from None
            schema.id = self.repo.insert("schemas", dump(schema))
            self._audit_subject(f"schema:{entity}", f"version {schema.version}", actor, {}, detail)
        return schema

    def add_custom_field(self, actor: Actor, entity: Entity, field: Mapping[str, Any]) -> CustomFieldSchema:
        try:
            spec = CustomField.model_validate(field)
        except ValidationError as error:
            raise ValidationFailed(problems_of(error, "field.")) from None

        def add(fields: list[CustomField]) -> str:
            if any(f.key == spec.key for f in fields):
                raise ValidationFailed.one("key", spec.key, f"{entity}s already have a custom field with this key; "
                                           "keys stay reserved even when a field is disabled")
            if spec.required:
                raise ValidationFailed.one("required", True, "a new field cannot be required: existing records "
                                           "have no value for it")
            fields.append(spec)
            return f"added {spec.type.value} field {spec.key!r}"

        return self._new_schema_version(actor, entity, add)

    def set_custom_field_disabled(self, actor: Actor, entity: Entity, key: str, disabled: bool = True) -> CustomFieldSchema:
        """Disable (or enable again) a field: values are kept and stay searchable, but cannot be changed."""

        def toggle(fields: list[CustomField]) -> str:
            for i, spec in enumerate(fields):
                if spec.key == key:
                    if spec.disabled == disabled:
                        raise ValidationFailed.one("key", key, f"is already {'disabled' if disabled else 'enabled'}")
                    fields[i] = spec.model_copy(update={"disabled": disabled})
                    return f"{'disabled' if disabled else 'enabled'} field {key!r}"
            known = ", ".join(f.key for f in fields) or "none"
            raise ValidationFailed.one("key", key, f"is not a custom field of {entity}s (fields: {known})")

        return self._new_schema_version(actor, entity, toggle)

    # ------------------------------------------------------------------ sync marks

    def sync_mark(self, source: str) -> str | None:
        """How far the last sync from ``source`` got (for example the newest LastModifiedDate it saw)."""
        marks = [d for d in self.repo.get_many("sync", self.repo.ids("sync")).values() if d["source"] == source]
        return marks[0]["mark"] if marks else None

    def set_sync_mark(self, actor: Actor, source: str, mark: str) -> None:
        self.policy.require(actor, Action.configure)
        with self.repo.transaction():
            docs = self.repo.get_many("sync", self.repo.ids("sync"))
            existing = next((i for i, d in docs.items() if d["source"] == source), None)
            doc = {"source": source, "mark": mark, "at": self._now().isoformat()}
            if existing is None:
                self.repo.insert("sync", doc)
            else:
                self.repo.replace("sync", existing, doc)

    # ------------------------------------------------------------------ audit

    def _audit(self, kind: str, record_id: int, action: str, actor: Actor, changes: dict, detail: str | None = None,
               at: datetime | None = None) -> None:
        self._audit_subject(f"{kind}:{record_id}", action, actor, changes, detail, at)

    def _audit_subject(self, subject: str, action: str, actor: Actor, changes: dict, detail: str | None = None,
                       at: datetime | None = None) -> None:
        """Record a change; ``at`` is the time the change itself carries, so the two always agree."""
        # The stored form of an AuditEntry, built directly: bulk imports write one per record.
        entry: dict[str, Any] = {"subject": subject, "action": action, "actor": actor.id,
                                 "at": (at or self._now()).isoformat().replace("+00:00", "Z")}
        if changes:
            entry["changes"] = changes
        if detail is not None:
            entry["detail"] = detail
        self.repo.insert("audit", entry)

    @reads
    def history(self, actor: Actor, kind: str, record_id: int) -> list[AuditEntry]:
        """Every change to a record, newest first. A deleted record's history is for admins."""
        _check_kind(kind)
        try:
            self.get(actor, kind, record_id)
        except NotFound:
            self.policy.require(actor, Action.configure)
        ids = self.repo.find("audit.subject", f"{kind}:{record_id}")
        entries = [AuditEntry.model_validate({**d, "id": i}) for i, d in self.repo.get_many("audit", ids).items()]
        return sorted(entries, key=lambda e: (e.at, e.id), reverse=True)

    # ------------------------------------------------------------------ finding

    @reads
    def lookup(self, actor: Actor, value: str) -> Lookup:
        """What an agent types: a phone number in any format, an email, a @handle, or words to search for."""
        found = search.lookup(self.repo, value, self.region, self.policy.visible_divisions(actor))
        return Lookup(
            found.query, found.kind, found.normalized,
            self._in_order("contact", found.contact_ids),  # type: ignore[arg-type]
            self._in_order("organization", found.organization_ids),  # type: ignore[arg-type]
            found.search,
        )

    def _in_order(self, kind: str, ids: list[int]) -> list[Party]:
        if not ids:
            return []
        by_id = {r.id: r for r in self._load_many(kind, ids)}
        return [by_id[i] for i in ids if i in by_id]

    @reads
    def search(self, actor: Actor, query: str, *, kinds: Iterable[str] = ("contact", "organization"),
               page: int = 1, page_size: int = 25) -> search.SearchResult:
        return search.search(self.repo, query, self.policy.visible_divisions(actor), kinds=tuple(kinds),
                             page=page, page_size=page_size, region=self.region)

    @reads
    def organization_named(self, actor: Actor, name: str) -> Organization:
        """The one organization called ``name`` (case- and accent-insensitively), as a person types it in a form."""
        hits = self.search(actor, name, kinds=["organization"], page_size=100).hits
        exact = [h for h in hits if fold(h.title) == fold(name.strip())]
        if len(exact) != 1:
            reason = "several organizations have this name" if exact else "no organization has this name"
            raise ValidationFailed.one("organization_id", name, reason)
        return self.get_organization(actor, exact[0].id)

    @reads
    def browse(self, actor: Actor, kind: str, query: str = "") -> list[int]:
        """Every record of ``kind`` the actor may see that matches ``query`` (all when blank), in name order.

        Not capped at 1000 like ``search``: this is for lists that render lazily, such as the terminal UI's.
        """
        _check_kind(kind)
        revision = self.repo.revision()
        cached = self._orders.get(kind)
        if cached is None or cached[0] != revision:
            cached = self._orders[kind] = (revision, self.repo.ids_in_order(f"{kind}.order"))
        order = cached[1]
        visible = self.policy.visible_divisions(actor)
        text = query.strip()
        if not text and visible is None:
            return list(order)
        wanted = search.matching_ids(self.repo, kind, text, self.region) if text else set(order)
        wanted = search.visible_only(self.repo, kind, wanted, visible)
        return [i for i in order if i in wanted]

    @reads
    def rows(self, kind: str, ids: Iterable[int]) -> list[Row]:
        """List lines for ``ids`` (those that still exist), read straight from the stored documents."""
        _check_kind(kind)
        docs = self.repo.get_many(TABLES[kind], ids)
        names = {}
        if kind == "contact":
            names = {i: d["name"] for i, d in self.repo.get_many(
                "organizations", {d["organization_id"] for d in docs.values() if d.get("organization_id")}).items()}
        found = []
        for record_id, doc in docs.items():
            if kind == "contact":
                name = " ".join(doc[f] for f in ("first_name", "middle_name", "last_name") if doc.get(f))
                phones = doc.get("phones") or [{}]
                organization = names.get(doc.get("organization_id"), "")
            else:
                name, organization = doc["name"], doc.get("industry", "")
                phones = [doc.get("phone") or {}]
            found.append(Row(kind, record_id, name, organization, phones[0].get("raw", ""),
                             doc.get("division", DEFAULT_DIVISION), bool(doc.get("survey_opt_out"))))
        return found

    def records(self, kind: str, ids: Iterable[int]) -> list[Party]:
        """Records by id, for front ends that already hold ids from a search (unknown ids are skipped)."""
        return self._load_many(kind, ids)

    # ------------------------------------------------------------------ duplicates and merge

    @reads
    def find_duplicates(self, actor: Actor, contact_id: int | None = None, limit: int = 100) -> list[duplicates.DuplicateGroup]:
        visible = self.policy.visible_divisions(actor)
        if contact_id is not None:
            self.get(actor, "contact", contact_id)
        return duplicates.find(self.repo, visible, contact_id, limit)

    def _merge_plan(self, actor: Actor, survivor_id: int, other_ids: Iterable[int],
                    choices: Mapping[str, int]) -> tuple[list[Contact], dict[str, Any]]:
        others = list(dict.fromkeys(i for i in other_ids if i != survivor_id))
        if not others:
            raise ValidationFailed.one("contacts", [survivor_id], "name at least one other contact to merge")
        if len(others) + 1 > MAX_MERGE:
            raise ValidationFailed.one("contacts", len(others) + 1, f"at most {MAX_MERGE} contacts merge at once")
        records = [self._visible(actor, self._load("contact", i)) for i in [survivor_id, *others]]
        for record in records:
            self.policy.require(actor, Action.edit, record.division)
        return records, duplicates.merged_values(records, choices)  # type: ignore[arg-type]

    @reads
    def merge_preview(self, actor: Actor, survivor_id: int, other_ids: Iterable[int],
                      choices: Mapping[str, int] | None = None) -> Contact:
        """The contact ``merge_contacts`` would leave, without changing anything."""
        records, merged = self._merge_plan(actor, survivor_id, other_ids, choices or {})
        preview = self.validate("contact", {**merged, "division": records[0].division},
                                  previous=dump(records[0]))
        preview.id = survivor_id
        return preview  # type: ignore[return-value]

    def merge_contacts(self, actor: Actor, survivor_id: int, other_ids: Iterable[int],
                       choices: Mapping[str, int] | None = None) -> Contact:
        """Merge duplicates into ``survivor_id``. Every distinct phone, email, social handle and external id, and
        every note and interaction, is kept; ``choices`` names, per field, the record whose value wins (by default
        the survivor's, then the most recently modified record that has one)."""
        with self.repo.transaction():
            records, merged = self._merge_plan(actor, survivor_id, other_ids, choices or {})
            survivor, others = records[0], [r.id for r in records[1:]]
            for record in records[1:]:
                for note_id in self.repo.find("note.subject", f"contact:{record.id}"):
                    note = self.repo.get("notes", note_id)
                    self.repo.replace("notes", note_id, {**note, "subject_id": survivor_id})
                for interaction_id in self.repo.find("interaction.contact", str(record.id)):
                    interaction = self.repo.get("interactions", interaction_id)
                    self.repo.replace("interactions", interaction_id, {**interaction, "contact_id": survivor_id})
                self.repo.remove("contacts", record.id)
                self._audit("contact", record.id, "merged", actor, changes_between(dump(record), {}),
                            f"merged into contact {survivor_id}")
            before = dump(survivor)
            record = self.validate("contact", {**merged, "division": survivor.division}, previous=before)
            record.id, record.created_at = survivor_id, survivor.created_at
            record.version, record.modified_at = survivor.version + 1, self._now()
            self.repo.replace("contacts", survivor_id, dump(record))
            self._audit("contact", survivor_id, "merge", actor, changes_between(before, dump(record)),
                        "merged in contacts " + ", ".join(str(i) for i in others), at=record.modified_at)
        return record  # type: ignore[return-value]


def _kind_of(record: Party) -> str:
    return "contact" if isinstance(record, Contact) else "organization"


def _check_kind(kind: str) -> None:
    if kind not in MODELS:
        raise ValidationFailed.one("kind", kind, "must be 'contact' or 'organization'")


def _refuse_system_fields(data: Mapping[str, Any]) -> None:
    given = sorted(SYSTEM_FIELDS & data.keys())
    if given:
        raise ValidationFailed.one(given[0], data[given[0]], "is set by the directory and cannot be given")


def _preview(text: str, length: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1] + "…"
