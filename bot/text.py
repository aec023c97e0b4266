"""Untrusted text in Slack: made inert in mrkdwn and cut to Block Kit's limits with a visible marker."""

from __future__ import annotations

import re

from core.text import inert

MORE = "… (truncated)"


# mrkdwn has no escape character: a marker that could open or close bold, italics, strike or code is shown as a
# look-alike that formats nothing. "_" only at a word's edge, so addresses like jane_doe@example.com stay as they are.
_MARKERS = str.maketrans({"*": "∗", "~": "∼", "`": "ˋ"})
_EDGE_UNDERSCORE = re.compile(r"(?:(?<=^)|(?<=\s)|(?<=[^\w@.]))_|_(?=$|\s|[^\w@.])")


def escape(text: object) -> str:
    """Make record or user text inert in mrkdwn: ``<!channel>``, ``<@U1>`` and ``<url|label>`` show as typed,
    ``*bold*`` and the like do not format, and control and direction-changing characters show as stand-ins."""
    shown = inert(str(text)).translate(_MARKERS)
    shown = _EDGE_UNDERSCORE.sub("ˍ", shown)
    return shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
