"""What syncs pull: a cursor scan of every record, and the changes since a cursor (the directory's history, in the
order the changes were committed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.auth import Caller, Service
from api.routers.records import Plural

router = APIRouter(tags=["sync"])


Cursor = Annotated[int, Query(ge=0, le=2**63 - 1, description="where the last page ended (0: the start)")]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/scan/{plural}", summary="Every contact or organization, page by page in id order")
def scan(actor: Caller, directory: Service, plural: Plural, cursor: Cursor = 0,
         limit: Limit = 100) -> dict[str, Any]:
    """Stable under concurrent writes: a record created meanwhile comes at the end, and none is skipped or
    repeated. ``next_cursor`` is null once everything was read."""
    records = directory.scan(actor, plural.kind, cursor, limit)
    return {"items": [r.model_dump(mode="json") for r in records],
            "next_cursor": records[-1].id if len(records) == limit else None}


@router.get("/changes", summary="What changed since a cursor")
def changes(actor: Caller, directory: Service, since: Cursor = 0, limit: Limit = 100) -> dict[str, Any]:
    """Each change once, in commit order, with what it changed (``changes``: field → [before, after]); pass
    ``next_cursor`` as ``since`` next time. Start from ``latest`` to follow only what happens from now on."""
    found, cursor = directory.changes_since(actor, since, limit)
    return {"changes": [{"cursor": c.cursor, "event": c.event, "kind": c.kind.value, "id": c.record_id,
                         "actor": c.actor, "at": c.at.isoformat(), "changes": c.changes} for c in found],
            "next_cursor": cursor, "latest": directory.latest_change(actor)}
