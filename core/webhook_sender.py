"""Delivering change webhooks: each hook's events, one request each, in commit order, signed; a hook whose receiver
fails is retried with backoff from the event that failed (later ones wait, to keep the order). One process sends
at a time (a lease in the directory, as for syncs); any process with the API may be the one.

A delivery is ``POST`` of the event as JSON with these headers:
- ``X-Contacts-Event``: ``contact.updated`` and the like; ``X-Contacts-Delivery``: the event's cursor (the same on
  a retry: receivers drop repeats by it);
- ``X-Contacts-Signature``: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the hook's secret>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from core.directory import Change, Directory, Webhook
from core.errors import ContactsError
from core.policy import Actor, Grant, Role

SENDER = Actor("webhooks", grant=Grant(role=Role.admin))  # logs deliveries and moves cursors, nothing else
LEASE = timedelta(seconds=30)  # a sender that dies holds the turn no longer than this
BATCH = 100


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_body(change: Change) -> bytes:
    return json.dumps({"cursor": change.cursor, "event": change.event, "kind": change.kind.value,
                       "id": change.record_id, "actor": change.actor, "at": change.at.isoformat(),
                       "changes": change.changes}, ensure_ascii=False).encode()


@dataclass
class _Backoff:
    failures: int = 0
    next_try: float = 0.0


@dataclass
class WebhookSender:
    directory: Directory
    say: Callable[[str], None]
    first_retry: float = 1.0  # seconds; doubled on each failure of the same event, up to max_retry
    max_retry: float = 300.0
    poll: float = 0.5
    timeout: float = 10.0
    backoff: dict[int, _Backoff] = field(default_factory=dict)
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:webhooks")

    held_until: float = 0.0

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.directory.refresh(SENDER)  # changes other processes made
                hooks = self.directory.webhooks(SENDER)
                if hooks:  # the feed's head costs a pass over the history when it changed: only with hooks to feed
                    latest = self.directory.latest_change(SENDER)
                    if any(hook.cursor < latest for hook in hooks) and self._holding():
                        self.send_due(hooks)
            except ContactsError as error:
                self.say(f"webhooks: {error}")
            stop.wait(self.poll)

    def _holding(self) -> bool:
        """Whether this process is the one sending (it renews its lease at half time: a write, so not each poll)."""
        if time.monotonic() < self.held_until:
            return True
        if not self.directory.claim_sync(SENDER, "webhooks", self.holder, LEASE):
            return False
        self.held_until = time.monotonic() + LEASE.total_seconds() / 2
        return True

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="webhooks", daemon=True)
        thread.start()
        return thread

    def release(self) -> None:
        """Let another process send at once (this one is stopping)."""
        if self.held_until:
            self.directory.release_sync(SENDER, "webhooks", self.holder)
            self.held_until = 0.0

    def send_due(self, hooks: list[Webhook]) -> None:
        for hook in hooks:
            state = self.backoff.setdefault(hook.id, _Backoff())
            if time.monotonic() < state.next_try:
                continue
            changes, examined = self.directory.changes_since(hook.listener, hook.cursor, BATCH)
            if all(self._deliver(hook, change, state) for change in changes if hook.wants(change)):
                self.directory.advance_webhook(SENDER, hook.id, examined)  # past what it does not want or see

    def _deliver(self, hook: Webhook, change: Change, state: _Backoff) -> bool:
        body = event_body(change)
        timestamp = int(time.time())
        request = urllib.request.Request(hook.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "Contacts-Webhooks/1",
            "X-Contacts-Event": change.event, "X-Contacts-Delivery": str(change.cursor),
            "X-Contacts-Signature": signature(hook.secret, timestamp, body)})
        status: int | None = None
        error: str | None = None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as failure:
            status, error = failure.code, f"the receiver answered {failure.code}"
        except (urllib.error.URLError, TimeoutError, OSError) as failure:
            error = f"cannot reach {hook.url}: {getattr(failure, 'reason', failure)}"
        self.directory.record_delivery(SENDER, hook, change, status, error, state.failures + 1)
        if status is not None and 200 <= status < 300:
            state.failures, state.next_try = 0, 0.0
            return True
        state.failures += 1
        state.next_try = time.monotonic() + min(self.max_retry, self.first_retry * 2 ** (state.failures - 1))
        self.say(f"webhook {hook.id}: {error}; trying again in {state.next_try - time.monotonic():.0f} s")
        return False
