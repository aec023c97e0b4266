"""Change webhooks: other systems told of changes as they happen. A hook is a URL, the events it wants, the divisions
it may hear of, a secret its deliveries are signed with, and a cursor into the change feed (``feeds.py``) that
moves only once a delivery was accepted: the feed is written in each change's own transaction, so a crash neither
loses an event nor invents one, and events go out in commit order (so in order per record)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from core.directory.base import reads
from core.directory.feeds import ACTIONS, Change, Feeds
from core.directory.validation import Validation
from core.errors import ValidationFailed
from core.kinds import RecordKind
from core.policy import ALL_DIVISIONS, Action, Actor, Grant, Role

TABLE, LOG = "webhooks", "webhook_deliveries"
LOG_KEPT = 200  # deliveries remembered per hook
EVENTS = sorted([f"{kind}.{done}" for kind in RecordKind for done in (*ACTIONS.values(), "updated")])


@dataclass(frozen=True)
class Webhook:
    id: int
    url: str
    events: list[str]
    divisions: list[str]
    secret: str
    cursor: int
    created_by: str

    def wants(self, change: Change) -> bool:
        return "*" in self.events or change.event in self.events

    @property
    def listener(self) -> Actor:
        """Who the hook hears as: the feed shows it what its divisions hold, as it would a person."""
        return Actor(f"webhook:{self.id}", grant=Grant(role=Role.viewer, divisions=self.divisions))


class Webhooks(Feeds, Validation):
    def add_webhook(self, actor: Actor, url: str, events: list[str], divisions: list[str] | None = None) -> Webhook:
        """A hook for changes from now on (admins only); its secret is in the answer."""
        self.require(actor, Action.configure)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationFailed.one("url", url, "must be an http:// or https:// address")
        unknown = [e for e in events if e != "*" and e not in EVENTS]
        if unknown or not events:
            raise ValidationFailed.one("events", ",".join(unknown or events), "must list some of "
                                       + ", ".join(EVENTS) + " (or *)")
        wanted = divisions or [ALL_DIVISIONS]
        missing = [d for d in wanted if d != ALL_DIVISIONS and self.division_problem(d) is not None]
        if missing:
            raise ValidationFailed.one("division", missing[0], "is not a division of this directory")
        with self._repo.transaction():
            doc = {"url": url, "events": events, "divisions": wanted, "secret": "whsec_" + secrets.token_urlsafe(32),
                   "cursor": self.latest_change(actor), "created_by": actor.id, "at": self._now().isoformat()}
            hook_id = self._repo.insert(TABLE, doc)
            self._audit_subject(f"webhook:{hook_id}", "create", actor, {"url": [None, url]})
        return self._webhook(hook_id, doc)

    @reads
    def webhooks(self, actor: Actor) -> list[Webhook]:
        self.require(actor, Action.configure)
        return [self._webhook(i, d) for i, d in sorted(self._repo.get_many(TABLE, self._repo.ids(TABLE)).items())]

    def remove_webhook(self, actor: Actor, hook_id: int) -> None:
        self.require(actor, Action.configure)
        with self._repo.transaction():
            self._hook_doc(hook_id)
            self._repo.remove(TABLE, hook_id)
            self._audit_subject(f"webhook:{hook_id}", "delete", actor, {})

    @reads
    def webhook_deliveries(self, actor: Actor, hook_id: int) -> list[dict[str, Any]]:
        """The hook's latest deliveries and attempts, newest first."""
        self.require(actor, Action.configure)
        self._hook_doc(hook_id)
        return [d for _, d in sorted(self._logged(hook_id).items(), reverse=True)]

    def _logged(self, hook_id: int) -> dict[int, dict[str, Any]]:
        return {i: d for i, d in self._repo.get_many(LOG, self._repo.ids(LOG)).items() if d["hook"] == hook_id}

    def record_delivery(self, actor: Actor, hook: Webhook, change: Change, status: int | None, error: str | None,
                        attempt: int) -> None:
        """Log an attempt; an accepted one also moves the hook's cursor past its change (one transaction)."""
        self.require(actor, Action.configure)
        accepted = status is not None and 200 <= status < 300
        with self._repo.transaction():
            doc = self._repo.get(TABLE, hook.id)
            if doc is None:
                return  # removed meanwhile
            if accepted:
                self._repo.replace(TABLE, hook.id, {**doc, "cursor": max(doc["cursor"], change.cursor)})
            entry = {"hook": hook.id, "cursor": change.cursor, "event": change.event, "at": self._now().isoformat(),
                     "attempt": attempt, "status": status, "accepted": accepted}
            if error:
                entry["error"] = error
            self._repo.insert(LOG, entry)
            for old in sorted(self._logged(hook.id))[:-LOG_KEPT]:
                self._repo.remove(LOG, old)

    def advance_webhook(self, actor: Actor, hook_id: int, cursor: int) -> None:
        """Move a hook's cursor past changes it was not sent (events it does not want, records it may not see)."""
        self.require(actor, Action.configure)
        with self._repo.transaction():
            doc = self._repo.get(TABLE, hook_id)
            if doc is not None and cursor > doc["cursor"]:
                self._repo.replace(TABLE, hook_id, {**doc, "cursor": cursor})

    def _hook_doc(self, hook_id: int) -> dict[str, Any]:
        doc = self._repo.get(TABLE, hook_id)
        if doc is None:
            raise ValidationFailed.one("webhook", hook_id, "is no webhook's id (contacts webhook list shows them)")
        return doc

    @staticmethod
    def _webhook(hook_id: int, doc: dict[str, Any]) -> Webhook:
        return Webhook(hook_id, doc["url"], doc["events"], doc["divisions"], doc["secret"], doc["cursor"],
                       doc["created_by"])
