"""Typed errors. Every message is meant for the person who caused it: it names the field and the value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ContactsError(Exception):
    """Base of every error core raises on purpose; ``str(error)`` is a message for a person."""


@dataclass(frozen=True)
class FieldProblem:
    """``field`` holds ``value``, which breaks the rule ``message`` states. ``fix`` names the option of the
    operation that would fix it (such as ``encoding``), for each front end to phrase as a flag or a control."""

    field: str
    value: Any
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        shown = _show(self.value)
        return f"{self.field}: {self.message} (got {shown})" if shown else f"{self.field}: {self.message}"


def _show(value: Any) -> str:
    if value is None:
        return ""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ValidationFailed(ContactsError):
    """One or more fields are invalid. ``problems`` lists each with its field, value and the rule."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))

    @classmethod
    def one(cls, field: str, value: Any, message: str, fix: str | None = None) -> ValidationFailed:
        return cls([FieldProblem(field, value, message, fix)])


class NotFound(ContactsError):
    def __init__(self, kind: str, record_id: Any):
        self.kind, self.record_id = kind, record_id
        super().__init__(f"no {kind} with id {record_id!r}")


class PermissionDenied(ContactsError):
    """The acting user may not do this; nothing was changed."""


class Conflict(ContactsError):
    """The record changed since the caller read it; nothing was changed."""


class StaleVersion(Conflict):
    """The caller named the version it read (a form, an API's If-Match) and the record has another one now."""


class StoreError(ContactsError):
    """The data directory cannot be used as it is."""


class StoreUnavailable(StoreError):
    """A server store cannot be reached (stopped, restarting, the network down); it is used again once it answers."""


class CorruptStore(StoreError):
    """A store file is damaged. Core refuses to open it and never writes over it."""


class UnsupportedStoreFormat(StoreError):
    """The store was written in a format this release does not read."""


class StoreBusy(StoreError):
    """Another process held the store's write lock for too long."""


class ConcurrentChange(StoreError):
    """Another process changed what a transaction worked out without the write lock also changes: work it out again."""


class StoreFull(StoreError):
    """The disk (or the process's file size limit) had no room for a write; nothing of it was kept."""


class Stopped(ContactsError):
    """A read was stopped before it finished, because what it was for is no longer wanted (a newer search replaced
    it); nothing was changed."""
