"""Reading Block Kit the way a person reads it, and checking Slack's limits."""

from __future__ import annotations

from typing import Any


def texts(node: Any, kinds: tuple[str, ...] = ("mrkdwn", "plain_text")) -> list[str]:
    """Every text a person would see in ``node`` (blocks, a view, a message), in order."""
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("text"), str) and node.get("type") in kinds:
            found.append(node["text"])
        for key, value in node.items():
            if key != "text" or not isinstance(value, str):
                found += texts(value, kinds)
    elif isinstance(node, list):
        for item in node:
            found += texts(item, kinds)
    return found


def formatted(node: Any) -> str:
    """The texts Slack formats (mrkdwn): where a mention or a link could come alive."""
    return "\n".join(texts(node, ("mrkdwn",)))


def shown(node: Any) -> str:
    return "\n".join(texts(node))


def buttons(blocks: list[dict]) -> dict[str, dict]:
    """Buttons by their label."""
    found = {}
    for block in blocks:
        elements = block.get("elements", []) if block["type"] == "actions" else [block.get("accessory") or {}]
        for element in elements:
            if element.get("type") == "button":
                found[element["text"]["text"]] = element
    return found


def assert_within_limits(blocks: list[dict]) -> None:
    assert len(blocks) <= 50, f"{len(blocks)} blocks"
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] in ("section", "context"):
            for text in texts(block):
                assert len(text) <= 3000, f"a text of {len(text)} characters"
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75 and len(element.get("value", "")) <= 2000
