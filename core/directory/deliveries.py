"""Requests that may arrive twice (a Slack event redelivered, a signed command replayed) change things once.

A front end claims a request's own id (Slack's ``event_id``, ``trigger_id``) before it acts: the claim is a durable
write, so it holds for every process on this directory and across restarts. Claiming comes first, so a request is
acted on at most once; a front end whose work then fails for a reason a retry could fix releases its claim.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.directory.base import Service

TABLE = "deliveries"
KEPT_FOR = timedelta(hours=2)  # Slack redelivers an event for about an hour; a signature is good for five minutes
PRUNE_EVERY = 500  # claims between sweeps of the expired ones


class Deliveries(Service):
    def claim_delivery(self, key: str) -> bool:
        """True the first time ``key`` is claimed (within ``KEPT_FOR``); False for a repeat, which must do nothing."""
        now = self._now()
        with self._repo.transaction():
            if self._repo.find("delivery.key", key):
                return False
            claim_id = self._repo.insert(TABLE, {"key": key, "at": now.isoformat()})
            if claim_id % PRUNE_EVERY == 0:
                self._forget_before(now - KEPT_FOR)
        return True

    def release_delivery(self, key: str) -> None:
        """Let a repeat of ``key`` through again: the first attempt failed and changed nothing."""
        with self._repo.transaction():
            for claim_id in self._repo.find("delivery.key", key):
                self._repo.remove(TABLE, claim_id)

    def _forget_before(self, moment: datetime) -> None:
        """Claims are numbered as they are made, so the expired ones come first: the sweep reads on until the first
        one kept, not every claim of the last two hours (tens of thousands, on a busy directory, every sweep)."""
        after = 0
        while chunk := self._repo.ids_after(TABLE, after, PRUNE_EVERY):
            claims = self._repo.get_many(TABLE, chunk)
            for claim_id in chunk:
                if datetime.fromisoformat(claims[claim_id]["at"]) >= moment:
                    return
                self._repo.remove(TABLE, claim_id)
            after = chunk[-1]
