"""Checking a record against every rule and the store, and the one way a changed record is committed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.customfields import CustomFieldSchema, FieldType, validate_values
from core.directory.base import Party, Service, changes_between, dump, reads, validated
from core.errors import FieldProblem, StaleVersion, ValidationFailed
from core.indexes import custom_key, name_key
from core.kinds import RecordKind
from core.models import Contact, Division
from core.policy import Action, Actor
from core.text import fold

Changes = dict[str, Any] | Callable[[Party], dict[str, Any]]


class Validation(Service):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._schemas: dict[RecordKind, tuple[frozenset[int], CustomFieldSchema]] = {}

    @reads
    def schema(self, entity: str) -> CustomFieldSchema:
        """The current version of ``entity``'s custom fields (version 0, empty, before any was defined).
        Shared and cached: read it, don't change it (new versions come from ``add_custom_field`` and friends)."""
        kind = RecordKind.of(entity)
        version_ids = frozenset(self._repo.find("schema.entity", kind))
        cached = self._schemas.get(kind)
        if cached and cached[0] == version_ids:  # versions are never rewritten, only added
            return cached[1]
        versions = self._repo.get_many("schemas", version_ids)
        if versions:
            schema_id, doc = max(versions.items(), key=lambda item: item[1]["version"])
            schema = CustomFieldSchema.model_validate({**doc, "id": schema_id})
        else:
            schema = CustomFieldSchema(entity=kind.value)
        self._schemas[kind] = (version_ids, schema)
        return schema

    @reads
    def divisions(self) -> list[Division]:
        """Every division, by name. Their names are not secret: people pick from them when they create records."""
        docs = self._repo.get_many("divisions", self._repo.ids("divisions"))
        return sorted((Division.model_validate({**d, "id": i}) for i, d in docs.items()), key=lambda d: fold(d.name))

    def division_problem(self, name: str) -> FieldProblem | None:
        """What is wrong with ``name`` as a division, if it is not one."""
        return None if self._division_named(name) else self._no_such_division(name)

    def _division_named(self, name: str) -> Division | None:
        """The division called ``name``, however it is capitalised."""
        asked = _division_key(name)
        return _division(self._repo.find_documents([asked])[asked])

    def _no_such_division(self, name: str) -> FieldProblem:
        names = ", ".join(d.name for d in self.divisions())
        return FieldProblem("division", name, f"is not a division (divisions: {names})")

    def validate(self, kind: str, data: dict[str, Any], previous: dict[str, Any] | None = None) -> Party:
        """The record ``data`` describes, checked against every rule and the store (ValidationFailed if not).
        ``previous`` is the stored form of the record being changed, if any. Every problem is reported at once."""
        record_kind = RecordKind.of(kind)
        problems: list[FieldProblem] = []
        schema = self.schema(record_kind)
        custom = data.get("custom_fields") or {}
        if not isinstance(custom, dict):
            problems.append(FieldProblem("custom_fields", custom, "must be an object of field keys and values"))
            custom, data = {}, {**data, "custom_fields": {}}
        try:
            custom = validate_values(schema, custom, (previous or {}).get("custom_fields", {}), self.region)
        except ValidationFailed as error:
            problems += error.problems
        try:
            record = validated(record_kind.model, data, context={"region": self.region})
        except ValidationFailed as error:
            raise ValidationFailed(error.problems + problems) from None
        if problems:
            raise ValidationFailed(problems)
        record.custom_fields = custom
        identifiers = {key: (f"{record_kind}.custom", custom_key(key, value)) for key, value in custom.items()
                       if (spec := schema.field(key)) is not None and spec.type is FieldType.identifier}
        division_asked = _division_key(record.division)
        found = self._repo.find_documents([*identifiers.values(), division_asked])  # one question to the store
        problems += self._identifier_clashes(record_kind, record, schema,
                                             {key: set(found[asked]) for key, asked in identifiers.items()})
        division = _division(found[division_asked])
        if division is None:
            problems.append(self._no_such_division(record.division))
        else:
            record.division = division.name  # as the grants in [access] spell it
        if (isinstance(record, Contact) and record.organization_id is not None
                and self._repo.get(RecordKind.organization.table, record.organization_id) is None):
            problems.append(FieldProblem("organization_id", record.organization_id, "is not an organization"))
        if problems:
            raise ValidationFailed(problems)
        return record

    @staticmethod
    def _identifier_clashes(kind: RecordKind, record: Party, schema: CustomFieldSchema,
                            holders: dict[str, set[int]]) -> list[FieldProblem]:
        """Problems for the identifier fields of ``record`` that others hold too (``holders``: who holds each)."""
        clashes = []
        for key, others in holders.items():
            spec = schema.field(key)
            if spec is not None and others - {record.id}:
                clashes.append(FieldProblem(
                    f"custom_fields.{key}", record.custom_fields[key],
                    # not which one: it may be in a division the person cannot see
                    f"{spec.label!r} is an identifier and another {kind} already has it",
                ))
        return clashes

    # ---- committing a change

    @staticmethod
    def _expect_version(kind: str, current: Party, expected_version: int | None) -> None:
        if expected_version is not None and current.version != expected_version:
            raise StaleVersion(
                f"{kind} {current.id} was changed since you opened it (version {expected_version}, now "
                f"{current.version}); reload it and make your change again. Nothing was changed.")

    def _change(self, actor: Actor, kind: str, record_id: int, action: Action, changes: Changes, *,
                expected_version: int | None = None, audit_action: str = "update", detail: str | None = None,
                moving: bool = False) -> Party:
        """Load, check visibility and permission, apply ``changes`` (a dict, or a function of the current record),
        validate, and commit the next version with its audit entry: every change to a record goes through here.
        ``expected_version`` guards against overwriting a change someone else saved meanwhile."""
        with self._repo.transaction():
            current = self._checked(actor, kind, record_id, action)
            self._expect_version(kind, current, expected_version)
            wanted = changes(current) if callable(changes) else changes
            if not moving and "division" in wanted and name_key(str(wanted["division"])) != name_key(current.division):
                raise ValidationFailed.one(
                    "division", wanted["division"],
                    f"a record's division is chosen when it is created and cannot be edited (it is "
                    f"{current.division!r}); move it to put it in another division",
                )
            data = {**current.model_dump(mode="json", exclude={"version", "created_at", "modified_at"}), **wanted}
            record = self.validate(kind, data, previous=dump(current))
            return self._commit(actor, kind, current, record, audit_action, detail)

    def _commit(self, actor: Actor, kind: str, current: Party, record: Party, audit_action: str,
                detail: str | None = None) -> Party:
        """Store validated ``record`` as the next version of ``current`` with an audit entry of each changed
        field; nothing is written (and ``current`` comes back) if nothing changed. Call inside a transaction."""
        record.id, record.created_at, record.version = current.id, current.created_at, current.version
        before, after = dump(current), dump(record)
        diff = changes_between(before, after)
        if not diff:
            return current
        record.version, record.modified_at = current.version + 1, self._now()
        assert record.id is not None
        self._repo.replace(RecordKind.of(kind).table, record.id, dump(record))
        self._audit(kind, record.id, audit_action, actor, diff, detail, at=record.modified_at)
        return record


def _division_key(name: str) -> tuple[str, str]:
    return "division.name", name_key(name)


def _division(found: dict[int, dict]) -> Division | None:
    """The division among the documents ``found`` under a name (the first made, should two share it)."""
    if not found:
        return None
    division_id = min(found)
    return Division.model_validate({**found[division_id], "id": division_id})
