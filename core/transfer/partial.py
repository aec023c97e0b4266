"""Partial rows: an optional value that cannot be stored is left out (with a warning naming where it came from)
and the record comes in without it; only a required field, or a problem with the whole row, rejects it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import FieldProblem

REQUIRED = {"contact": ("first_name", "last_name"), "organization": ("name",)}
# What places a record (its identity, its division, its link): a wrong one is damage to refuse, not a value to skip.
PLACING = {"id", "version", "created_at", "modified_at", "division", "organization_id"}
_LEFT_OUT = object()


@dataclass(frozen=True)
class Droppable:
    """A problem with an optional value: where it is in the incoming data (``entity``, ``path``)."""

    entity: str
    path: tuple[str, ...]


def droppable(problem: FieldProblem, data: dict[str, dict[str, Any] | None]) -> Droppable | None:
    """Where the value ``problem`` is about sits in ``data``, if leaving it out leaves a record worth keeping.

    ``problem.field`` is ``contact:emails.1.address`` as the importer's validation names it."""
    entity, separator, rest = problem.field.partition(":")
    if not separator or entity not in REQUIRED or not rest:
        return None
    path = tuple(rest.split("."))
    record = data.get(entity)
    if not record or path[0] in REQUIRED[entity] or path[0] not in record or path[0] in PLACING:
        return None
    value = record[path[0]]
    if isinstance(value, list):
        if len(path) < 2 or not path[1].isdigit() or int(path[1]) >= len(value):
            return None
        return Droppable(entity, path[:2])  # the whole item: a phone without its region is not the number given
    if isinstance(value, dict) and len(path) > 1:
        return Droppable(entity, path[:2]) if path[1] in value else None
    return Droppable(entity, path[:1])


def leave_out(data: dict[str, dict[str, Any] | None], origins: dict[str, str], drops: list[Droppable]) -> None:
    """Remove the values ``drops`` name; list items after a removed one move up, and so do their origins."""
    shortened: set[tuple[str, str]] = set()
    for drop in drops:
        record = data[drop.entity]
        assert record is not None
        head = drop.path[0]
        if len(drop.path) == 1:
            record.pop(head, None)
        elif isinstance(record[head], list):
            record[head][int(drop.path[1])] = _LEFT_OUT
            shortened.add((drop.entity, head))
        else:
            record[head].pop(drop.path[1], None)
            if not record[head]:
                del record[head]
    for entity, head in shortened:
        record = data[entity]
        assert record is not None
        prefix = f"{entity}.{head}."
        moved = {}
        kept: list[Any] = []
        for index, item in enumerate(record[head]):
            origin = origins.pop(f"{prefix}{index}", None)
            if item is _LEFT_OUT:
                continue
            if origin is not None:
                moved[f"{prefix}{len(kept)}"] = origin
            kept.append(item)
        origins.update(moved)
        if kept:
            record[head] = kept
        else:
            del record[head]
