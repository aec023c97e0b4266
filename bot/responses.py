"""Replies to a request's response_url over kept-alive connections.

Bolt's ``respond`` opens a new connection for every reply (a TLS handshake to hooks.slack.com each time); at a busy
support floor's rate that was half of what a lookup cost. A pool keeps a few connections to Slack open."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import urllib3

log = logging.getLogger(__name__)
_pool = urllib3.PoolManager(num_pools=4, maxsize=16, timeout=urllib3.Timeout(connect=5, read=10),
                            retries=urllib3.Retry(total=2, backoff_factor=0.2, allowed_methods=None))


def post(response_url: str | None, message: dict[str, Any]) -> None:
    """Send ``message`` (Slack's message fields; None values left out) to ``response_url``."""
    if response_url is None:
        raise ValueError("this request has no response_url to answer")  # as Bolt's respond does
    body = orjson.dumps({key: value for key, value in message.items() if value is not None})
    answer = _pool.request("POST", response_url, body=body, headers={"Content-Type": "application/json"})
    if answer.status >= 300:
        log.warning("Slack refused a reply: HTTP %s", answer.status)  # never the URL: it lets anyone reply
