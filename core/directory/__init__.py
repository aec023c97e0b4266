"""The service API every front end calls: every operation takes the acting user, checks the policy, validates,
and commits atomically with an audit entry. Front ends never touch the store; ``core.bootstrap`` opens one.

``Directory`` is a thin façade over one module per concern (see ARCHITECTURE.md)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from core.config import Settings
from core.directory.base import Party, dump, utc_now
from core.directory.deliveries import Deliveries
from core.directory.divisions import Divisions, MoveResult
from core.directory.feeds import Change
from core.directory.merge import Merging
from core.directory.queries import Listing, Lookup, MatchBy, Profile, Queries, Row
from core.directory.records import Records
from core.directory.restore import BACKUP_ORDER, Restoring
from core.directory.schemas import Schemas
from core.directory.search import MAX_RESULTS
from core.directory.syncs import Syncs, SyncState
from core.directory.tokens import TokenInfo, Tokens
from core.directory.webhooks import Webhook, Webhooks
from core.repository import Repository

__all__ = ["BACKUP_ORDER", "MAX_RESULTS", "Change", "Directory", "Listing", "Lookup", "MatchBy", "MoveResult", "Party",
           "Profile", "Row", "SyncState",
           "TokenInfo", "Webhook", "dump"]


class Directory(Records, Queries, Divisions, Schemas, Merging, Restoring, Deliveries, Syncs, Tokens,
                Webhooks):
    def __init__(self, repo: Repository, settings: Settings | None = None,
                 clock: Callable[[], datetime] = utc_now):
        super().__init__(repo, settings or Settings(), clock)
        self.ensure_default_division()

    def close(self) -> None:
        self._repo.close()

    def batch(self, *, optimistic: bool = False) -> AbstractContextManager[None]:
        """Run many operations as one atomic commit (for bulk work: one disk flush instead of one each).
        ``optimistic``: others keep writing meanwhile; ``ConcurrentChange`` at the end if they changed a record
        this batch changes (nothing of it is kept: run it again)."""
        return self._repo.transaction(optimistic=optimistic)
