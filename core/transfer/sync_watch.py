"""CRM sync that keeps itself current: a long-running process (``contacts sync salesforce --watch``, or the bot's
when ``[salesforce] watch = true``) syncs on the configured interval. A lease in the directory lets one run at a
time proceed, whichever process or machine is due; the others skip that turn."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

from core.directory import Directory
from core.errors import ContactsError
from core.policy import Actor
from core.transfer.salesforce import SOURCE, SYNC_ACTOR, SyncResult, sync_salesforce
from core.transfer.salesforce_api import SalesforceClient, SalesforceSettings

MIN_LEASE = timedelta(minutes=10)  # a process that dies mid-run holds the turn no longer than this


class SyncWatcher:
    def __init__(self, directory: Directory, actor: Actor, settings: SalesforceSettings,
                 say: Callable[[str], None], make_client: Callable[[SalesforceSettings], SalesforceClient] =
                 SalesforceClient):
        self.directory, self.actor, self.settings, self.say = directory, actor, settings, say
        self.make_client = make_client
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self.lease = max(settings.interval * 2, MIN_LEASE)

    def run_once(self) -> SyncResult | None:
        """One run, if no other process is running one (None then). A failed run is recorded and said."""
        if not self.directory.claim_sync(self.actor, SOURCE, self.holder, self.lease):
            self.say("Salesforce sync: another process is running it; skipping this turn")
            return None
        try:
            try:
                client = self.make_client(self.settings)
            except ContactsError as error:  # the login failed: no run to record it, so record it here
                self.directory.record_sync(self.actor, SOURCE, ok=False, outcome=f"failed: {error}")
                raise
            result = sync_salesforce(self.directory, self.actor, client, division=self.settings.division,
                                     on_delete=self.settings.on_delete,
                                     archive_division=self.settings.archive_division)
        except ContactsError as error:
            self.say(f"Salesforce sync failed: {error}")
            return None
        finally:
            self.directory.release_sync(self.actor, SOURCE, self.holder)
        self.say(result.summary())
        return result

    def run(self, stop: threading.Event) -> None:
        """Sync now and then every interval, until ``stop`` is set."""
        while not stop.is_set():
            self.run_once()
            stop.wait(self.settings.interval.total_seconds())

    def start(self, stop: threading.Event) -> threading.Thread:
        """Run in a background thread (a bot or API process syncing besides its own work)."""
        thread = threading.Thread(target=self.run, args=(stop,), name="salesforce-sync", daemon=True)
        thread.start()
        return thread


def sync_in_background(directory: Directory, stop: threading.Event, say: Callable[[str], None]) -> bool:
    """With ``[salesforce] watch = true``, keep the directory in step with Salesforce from this process (a bot's, an
    API's) until ``stop`` is set, acting as ``SYNC_ACTOR``; False when not configured. Bad settings: ValidationFailed."""
    if not (directory.settings.model_extra or {}).get("salesforce", {}).get("watch"):
        return False
    settings = SalesforceSettings.load(directory)
    SyncWatcher(directory, SYNC_ACTOR, settings, say=say).start(stop)
    say(f"syncing from Salesforce every {settings.interval}")
    return True

