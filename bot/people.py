"""Slack users as the acting users core's permission policy knows."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.policy import Actor

log = logging.getLogger(__name__)


class People:
    """Maps a Slack user id to an ``Actor``; with ``match_by_email`` also to their email, asked once per user."""

    def __init__(self, client: WebClient, match_by_email: bool):
        self._client = client
        self._match_by_email = match_by_email
        self._emails: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def actor(self, user_id: str, name: str | None = None) -> Actor:
        return Actor(id=user_id, name=name, email=self._email(user_id) if self._match_by_email else None)

    def _email(self, user_id: str) -> str | None:
        with self._lock:
            if user_id in self._emails:
                return self._emails[user_id]
        try:
            profile = self._client.users_info(user=user_id)["user"].get("profile", {})
            email = profile.get("email")
        except SlackApiError as error:
            log.warning("users.info for %s failed: %s; matching by user id only", user_id, error.response.get("error"))
            return None  # not cached: the next request asks again
        with self._lock:
            self._emails[user_id] = email
        return email
