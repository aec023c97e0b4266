"""What syncs pull: every record in a stable order, page by page (a scan), and every change since a cursor.

The changes are the audit trail itself: each entry is written in the same transaction as the change it records,
so a change is never in the feed without having happened, nor happened without being in it; entries get
increasing ids in commit order, so an entry's id is a cursor."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.directory.base import Party, Service, reads
from core.kinds import RecordKind
from core.models import DEFAULT_DIVISION
from core.policy import Actor

ACTIONS = {"create": "created", "delete": "deleted", "note added": "note_added", "note edited": "note_edited",
           "note deleted": "note_deleted"}  # anything else changed the record: "updated"


@dataclass(frozen=True)
class Change:
    cursor: int  # the audit entry's id: ask for what came after it
    event: str  # contact.created, organization.updated, contact.note_added, …
    kind: RecordKind
    record_id: int
    actor: str
    at: datetime
    changes: dict[str, list[Any]]


class Feeds(Service):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._sorted: dict[str, tuple[int, list[int]]] = {}  # table → (store revision, its ids in order)

    def _sorted_ids(self, table: str) -> list[int]:
        """The table's ids in order, kept until anything changes (scans page through them)."""
        revision = self._repo.revision()
        cached = self._sorted.get(table)
        if cached is None or cached[0] != revision:
            cached = self._sorted[table] = (revision, sorted(self._repo.ids(table)))
        return cached[1]

    @reads
    def scan(self, actor: Actor, kind: str, after: int, limit: int) -> list[Party]:
        """Up to ``limit`` records the actor may see, with ids greater than ``after``, in id order: a record
        created while a scan runs comes at its end, one changed shows as it is when its page is read."""
        record_kind = RecordKind.of(kind)
        ids = self._sorted_ids(record_kind.table)
        found: list[Party] = []
        start = bisect_right(ids, after)
        while start < len(ids) and len(found) < limit:
            chunk = ids[start:start + max(limit, 100)]
            found += [r for r in self._load_many(record_kind, chunk) if self._sees(actor, r.division)]
            start += len(chunk)
        return found[:limit]

    @reads
    def changes_since(self, actor: Actor, after: int, limit: int) -> tuple[list[Change], int]:
        """Up to ``limit`` changes to records the actor may see, after the cursor ``after`` (0: from the start),
        and the cursor to ask from next (past changes the actor may not see, too)."""
        ids = self._sorted_ids("audit")
        found: list[Change] = []
        cursor = after
        for entry_id in ids[bisect_right(ids, after):]:
            change = self._change_of(actor, entry_id, self._repo.get("audit", entry_id) or {})
            if change is not None:
                found.append(change)
            cursor = entry_id
            if len(found) == limit:
                break
        return found, cursor

    @reads
    def latest_change(self, actor: Actor) -> int:
        """The cursor of now: changes after it have not happened yet."""
        ids = self._sorted_ids("audit")
        return ids[-1] if ids else 0

    def _last_division(self, subject: str) -> str | None:
        """The division a deleted record was in: its deletion's entry holds everything it was."""
        entries = self._repo.get_many("audit", self._repo.find("audit.subject", subject)).values()
        deletion = next((e for e in entries if e["action"] == "delete"), None)
        if deletion is None:
            return None
        return next((v for v in deletion.get("changes", {}).get("division", []) if v), DEFAULT_DIVISION)

    def _change_of(self, actor: Actor, entry_id: int, entry: dict[str, Any]) -> Change | None:
        kind, _, record_id = str(entry.get("subject", "")).partition(":")
        if kind not in RecordKind.__members__ or not record_id.isdigit():
            return None  # a token, a division: not a record
        record_kind = RecordKind(kind)
        doc = self._repo.get(record_kind.table, int(record_id))
        changes = entry.get("changes", {})
        division = doc.get("division", DEFAULT_DIVISION) if doc is not None else self._last_division(entry["subject"])
        if division is None or not self._sees(actor, division):
            return None
        event = f"{kind}.{ACTIONS.get(entry['action'], 'updated')}"
        return Change(entry_id, event, record_kind, int(record_id), entry["actor"],
                      datetime.fromisoformat(entry["at"].replace("Z", "+00:00")), changes)
