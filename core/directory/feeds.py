"""What syncs pull: every record in a stable order, page by page (a scan), and every change since a cursor.

The changes are the audit trail itself: each entry is written in the same transaction as the change it records,
so a change is never in the feed without having happened, nor happened without being in it; entries get
increasing ids in commit order, so an entry's id is a cursor."""

from __future__ import annotations

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
    @reads
    def scan(self, actor: Actor, kind: str, after: int, limit: int) -> list[Party]:
        """Up to ``limit`` records the actor may see, with ids greater than ``after``, in id order: a record
        created while a scan runs comes at its end, one changed shows as it is when its page is read."""
        record_kind = RecordKind.of(kind)
        found: list[Party] = []
        while len(found) < limit:
            chunk = self._repo.ids_after(record_kind.table, after, max(limit, 100))
            if not chunk:
                break
            found += [r for r in self._load_many(record_kind, chunk) if self._sees(actor, r.division)]
            after = chunk[-1]
        return found[:limit]

    @reads
    def changes_since(self, actor: Actor, after: int, limit: int) -> tuple[list[Change], int]:
        """Up to ``limit`` changes to records the actor may see, after the cursor ``after`` (0: from the start),
        and the cursor to ask from next (past changes the actor may not see, too)."""
        found: list[Change] = []
        cursor = after
        while len(found) < limit:
            chunk = self._repo.ids_after("audit", cursor, max(limit, 100))
            if not chunk:
                break
            entries = self._repo.get_many("audit", chunk)
            for entry_id in chunk:
                change = self._change_of(actor, entry_id, entries.get(entry_id, {}))
                if change is not None:
                    found.append(change)
                cursor = entry_id
                if len(found) == limit:
                    break
        return found, cursor

    @reads
    def latest_change(self, actor: Actor) -> int:
        """The cursor of now: changes after it have not happened yet."""
        return self._repo.last_id("audit")

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
