"""Untrusted text in Slack: escaped for mrkdwn and cut to Block Kit's limits with a visible marker."""

from __future__ import annotations

MORE = "… (truncated)"


def escape(text: object) -> str:
    """Make record or user text inert in mrkdwn: ``<!channel>``, ``<@U1>`` and ``<url|label>`` show as typed."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int, marker: str = MORE) -> str:
    """``text`` shortened to ``limit`` characters, ending with ``marker`` when anything was cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(marker))] + marker


def clip_escaped(text: object, limit: int) -> str:
    """Escape, then clip without cutting an ``&amp;``-style entity in half."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(0, limit - len(MORE))]
    entity = cut.rfind("&")
    if entity != -1 and ";" not in cut[entity:]:
        cut = cut[:entity]
    return cut + MORE
