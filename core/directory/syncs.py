"""What a sync from another system (a CRM) keeps here: how far the last run got, how it went, and a lease that
lets one run at a time proceed, whichever process or machine starts it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.directory.base import Service, reads
from core.policy import Action, Actor

TABLE = "sync"


@dataclass(frozen=True)
class SyncState:
    source: str
    mark: str | None  # how far the last good run got (for example the newest LastModifiedDate it saw)
    at: datetime | None  # when the last run ended
    ok: bool
    outcome: str  # what the last run did, or why it failed


class Syncs(Service):
    def _sync_doc(self, source: str) -> tuple[int | None, dict[str, Any]]:
        docs = self._repo.get_many(TABLE, self._repo.ids(TABLE))
        return next(((i, d) for i, d in docs.items() if d["source"] == source), (None, {"source": source}))

    def _put_sync_doc(self, doc_id: int | None, doc: dict[str, Any]) -> None:
        if doc_id is None:
            self._repo.insert(TABLE, doc)
        else:
            self._repo.replace(TABLE, doc_id, doc)

    @reads
    def sync_mark(self, actor: Actor, source: str) -> str | None:
        return self._sync_doc(source)[1].get("mark")

    @reads
    def sync_state(self, actor: Actor, source: str) -> SyncState | None:
        """How the last sync from ``source`` went, if one ran (anyone who may see the directory may know)."""
        _, doc = self._sync_doc(source)
        if "at" not in doc:
            return None
        return SyncState(source, doc.get("mark"), datetime.fromisoformat(doc["at"]), doc.get("ok", True),
                         doc.get("outcome", ""))

    def record_sync(self, actor: Actor, source: str, *, ok: bool, outcome: str, mark: str | None = None) -> None:
        """Remember how a run went; a good run also how far it got (``mark``), in the transaction it runs in."""
        self.require(actor, Action.configure)
        with self._repo.transaction():
            doc_id, doc = self._sync_doc(source)
            doc = {**doc, "at": self._now().isoformat(), "ok": ok, "outcome": outcome}
            if mark is not None:
                doc["mark"] = mark
            self._put_sync_doc(doc_id, doc)

    def claim_sync(self, actor: Actor, source: str, holder: str, lease: timedelta) -> bool:
        """Take the right to run a sync from ``source`` for ``lease`` (True), unless another holder has it."""
        self.require(actor, Action.configure)
        now = self._now()
        with self._repo.transaction():
            doc_id, doc = self._sync_doc(source)
            until = doc.get("lease_until")
            if until and doc.get("holder") != holder and datetime.fromisoformat(until) > now:
                return False
            self._put_sync_doc(doc_id, {**doc, "holder": holder, "lease_until": (now + lease).isoformat()})
        return True

    def release_sync(self, actor: Actor, source: str, holder: str) -> None:
        self.require(actor, Action.configure)
        with self._repo.transaction():
            doc_id, doc = self._sync_doc(source)
            if doc.get("holder") == holder:
                doc = {k: v for k, v in doc.items() if k not in ("holder", "lease_until")}
                self._put_sync_doc(doc_id, doc)
