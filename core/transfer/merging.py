"""How an incoming record is merged into the stored one it matched: the rules every import shares."""

from __future__ import annotations

from typing import Any

from core.errors import FieldProblem
from core.indexes import external_id_key, name_key
from core.models import PhoneKind, street_lines
from core.phones import parse_phone
from core.text import fold

# How list fields are merged into a match: items of the kinds the file gives replace those of the same kind.
KIND_FIELDS = {"phones": "kind", "emails": "kind", "socials": "network"}


def organization_keys(data: dict[str, Any], by_name: bool = True) -> list[str]:
    keys = [f"ext:{external_id_key(i['source'], i['value'])}" for i in data.get("external_ids", ())]
    if by_name and data.get("name"):
        keys.append(f"name:{name_key(data['name'])}")
    return keys


def merge(current: dict[str, Any], given: dict[str, Any], region: str) -> tuple[dict[str, Any], dict[str, int]]:
    """``current`` with the fields ``given`` has: list items of the given kinds replace those of the same kind,
    external ids, websites and tags add up, address and custom fields merge key by key, other fields are
    replaced.

    Also returns, per list field, how many kept items come before the given ones (to place errors)."""
    merged, shifts = dict(current), {}
    for key, value in given.items():
        if key in KIND_FIELDS:
            kind_field = KIND_FIELDS[key]
            kinds = {item.get(kind_field, "work") for item in value}
            old = current.get(key) or []
            if key == "phones":
                value = [_known_phone(phone, old, region) for phone in value]
            kept = [item for item in old if item[kind_field] not in kinds]
            merged[key], shifts[key] = kept + value, len(kept)
        elif key in ("external_ids", "websites", "tags"):
            old = current.get(key) or []
            seen = {_same(key, i) for i in old}
            merged[key] = old + [i for i in value if _same(key, i) not in seen]
            shifts[key] = len(old)
        elif key in ("phone", "fax") and current.get(key):
            merged[key] = _known_phone(value, [current[key]], region)
        elif key == "address":  # a street given on several lines sets both street lines
            merged[key] = {**(current.get(key) or {}), **street_lines(value)}
        elif key == "custom_fields":
            merged[key] = {**(current.get(key) or {}), **value}
        else:
            merged[key] = value
    return merged, shifts


def _same(key: str, item: Any) -> Any:
    """What makes two items of a list the same item."""
    return (fold(item["source"]), item["value"]) if key == "external_ids" else fold(item)


def unshifted(problem: FieldProblem, shifts: dict[str, int]) -> FieldProblem:
    """A problem with a merged list item, named by the item's place among the given ones."""
    parts = problem.field.split(".")
    if len(parts) > 1 and parts[0] in shifts and parts[1].isdigit():
        parts[1] = str(int(parts[1]) - shifts[parts[0]])
    return FieldProblem(".".join(parts), problem.value, problem.message)


def _known_phone(phone: dict[str, Any], old: list[dict[str, Any]], region: str) -> dict[str, Any]:
    """A number the record has already (however the file writes it) stays as it was typed, with its SMS state
    unless the file gives one."""
    e164 = parse_phone(phone["raw"], phone.get("region") or region).e164
    same = next((p for p in old if p["raw"] == phone["raw"] or (e164 and p.get("e164") == e164)), None)
    if same is None:
        return phone
    return {**same, "kind": phone.get("kind", PhoneKind.work.value), "sms": phone.get("sms", same.get("sms", False))}


