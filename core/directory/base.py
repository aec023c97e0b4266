"""What every part of the service shares: the store, the policy and the clock, loading a record as a person may
see it, one validation helper and the audit trail."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel, ValidationError

from core.config import Settings
from core.errors import FieldProblem, NotFound, ValidationFailed
from core.indexes import subject_key
from core.kinds import RecordKind
from core.models import PATTERN_RULES, AuditEntry, Contact, Organization
from core.policy import Action, Actor, Policy
from core.repository import Repository
from core.text import CONTROL_RULE, holds_controls

Party = Contact | Organization
SYSTEM_FIELDS = frozenset({"id", "version", "created_at", "modified_at"})
Model = TypeVar("Model", bound=BaseModel)
P = ParamSpec("P")
R = TypeVar("R")


def utc_now() -> datetime:
    return datetime.now(UTC)


def dump(record: BaseModel) -> dict[str, Any]:
    """The stored form of a record: JSON types, without the id (the store keys it) or empty optional fields."""
    return record.model_dump(mode="json", exclude_none=True, exclude_defaults=True, exclude={"id"})


def _controls(value: Any, path: str) -> Iterator[FieldProblem]:
    if isinstance(value, str):
        if holds_controls(value):
            yield FieldProblem(path or "record", value, CONTROL_RULE)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _controls(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _controls(item, f"{path}.{index}")


def problems_of(error: ValidationError, prefix: str = "") -> list[FieldProblem]:
    """pydantic's errors in the directory's words: the field, the value, and the rule it breaks."""
    problems = []
    for item in error.errors():
        field = prefix + ".".join(str(p) for p in item["loc"]) if item["loc"] else prefix.rstrip(".") or "record"
        message, value = item["msg"].removeprefix("Value error, "), item.get("input")
        if item["type"] == "string_pattern_mismatch":
            message = PATTERN_RULES.get(item["ctx"]["pattern"], message)
        elif item["type"] == "extra_forbidden":
            message = "is not a field of this record"
        elif item["type"] == "missing" or (item["type"] == "string_too_short" and item["ctx"]["min_length"] == 1):
            message, value = "is required", None
        elif item["type"] == "string_too_long":
            message = f"must be at most {item['ctx']['max_length']} characters"
        problems.append(FieldProblem(field, value, message))
    return problems


def validated(model: type[Model], data: Any, *, prefix: str = "", context: dict[str, Any] | None = None) -> Model:
    """``data`` as a ``model``, or ValidationFailed naming each field that breaks a rule. Text that a terminal would
    obey or that reorders what is shown never comes in (records stored before this rule are read as they are, and
    every front end shows such characters as stand-ins: ``core.text.inert``)."""
    if not isinstance(data, Mapping):
        raise ValidationFailed.one(prefix.rstrip(".") or "record", data, "must be an object of named fields")
    if controls := list(_controls(data, prefix.rstrip("."))):
        raise ValidationFailed(controls)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        raise ValidationFailed(problems_of(error, prefix)) from None


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    keys = (before.keys() | after.keys()) - SYSTEM_FIELDS
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def reads(method: Callable[P, R]) -> Callable[P, R]:
    """Run a read-only operation on one consistent state of the store."""

    @functools.wraps(method)
    def consistent(*args: P.args, **kwargs: P.kwargs) -> R:
        service = args[0]
        assert isinstance(service, Service)
        with service._repo.reading():
            return method(*args, **kwargs)

    return consistent


class Service:
    """The state every operation works on. Front ends never see ``_repo``: they call the operations."""

    def __init__(self, repo: Repository, settings: Settings, clock: Callable[[], datetime] = utc_now):
        self._repo = repo
        self.settings = settings
        self._policy = Policy(settings.access)
        self._now = clock

    @property
    def region(self) -> str:
        """The region numbers typed without a country code are read in (``[phone] default_region``)."""
        return self.settings.phone.default_region

    def can(self, actor: Actor, action: Action, division: str | None = None) -> bool:
        return self._policy.allows(actor, action, division)

    def require(self, actor: Actor, action: Action, division: str | None = None) -> None:
        """PermissionDenied, saying why, unless ``actor`` may do ``action`` (in ``division``)."""
        self._policy.require(actor, action, division)

    def _sees(self, actor: Actor, division: str) -> bool:
        return self._policy.allows(actor, Action.view, division)

    # ---- loading

    def _load(self, kind: str, record_id: int) -> Party:
        record_kind = RecordKind.of(kind)
        doc = self._repo.get(record_kind.table, record_id)
        if doc is None:
            raise NotFound(record_kind, record_id)
        return record_kind.model.model_validate({**doc, "id": record_id}, context={"stored": True})

    def _load_many(self, kind: str, record_ids: Iterable[int]) -> list[Party]:
        return self._parsed(kind, self._repo.get_many(RecordKind.of(kind).table, record_ids))

    @staticmethod
    def _parsed(kind: str, documents: dict[int, dict]) -> list[Party]:
        """Stored documents (by id) as records, in their order."""
        model = RecordKind.of(kind).model
        return [model.model_validate({**doc, "id": i}, context={"stored": True}) for i, doc in documents.items()]

    def _visible(self, actor: Actor, record: Party) -> Party:
        if not self._sees(actor, record.division):
            # A record outside one's divisions does not exist for them: the same answer as a missing id.
            raise NotFound(RecordKind.of_record(record), record.id)
        return record

    def _checked(self, actor: Actor, kind: str, record_id: int, action: Action) -> Party:
        """The record, if ``actor`` may see it and do ``action`` to it."""
        record = self._visible(actor, self._load(kind, record_id))
        self._policy.require(actor, action, record.division)
        return record

    @reads
    def get(self, actor: Actor, kind: str, record_id: int) -> Party:
        return self._visible(actor, self._load(kind, record_id))

    def get_contact(self, actor: Actor, record_id: int) -> Contact:
        record = self.get(actor, RecordKind.contact, record_id)
        assert isinstance(record, Contact)
        return record

    def get_organization(self, actor: Actor, record_id: int) -> Organization:
        record = self.get(actor, RecordKind.organization, record_id)
        assert isinstance(record, Organization)
        return record

    # ---- audit

    def _audit(self, kind: str, record_id: int, action: str, actor: Actor, changes: dict[str, Any],
               detail: str | None = None, at: datetime | None = None) -> None:
        self._audit_subject(subject_key(kind, record_id), action, actor, changes, detail, at)

    def _audit_subject(self, subject: str, action: str, actor: Actor, changes: dict[str, Any],
                       detail: str | None = None, at: datetime | None = None) -> None:
        """Record a change; ``at`` is the time the change itself carries, so the two always agree."""
        # The stored form of an AuditEntry, built directly: bulk imports write one per record.
        entry: dict[str, Any] = {"subject": subject, "action": action, "actor": actor.id,
                                 "at": (at or self._now()).isoformat().replace("+00:00", "Z")}
        if changes:
            entry["changes"] = changes
        if detail is not None:
            entry["detail"] = detail
        self._repo.append("audit", entry)

    @reads
    def history(self, actor: Actor, kind: str, record_id: int) -> list[AuditEntry]:
        """Every change to a record, newest first. A deleted record's history is for admins."""
        record_kind = RecordKind.of(kind)
        try:
            self.get(actor, record_kind, record_id)
        except NotFound:
            self._policy.require(actor, Action.configure)
        ids = self._repo.find("audit.subject", subject_key(record_kind, record_id))
        entries = [AuditEntry.model_validate({**d, "id": i}) for i, d in self._repo.get_many("audit", ids).items()]
        return sorted(entries, key=lambda e: (e.at, e.id or 0), reverse=True)


def preview(text: str, length: int = 80) -> str:
    """One line of ``text`` for an audit entry's detail."""
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1] + "…"
