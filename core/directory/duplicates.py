"""Likely duplicate contacts, and the values a merge keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any

from core.directory.search import visible_only
from core.errors import ValidationFailed
from core.models import Contact
from core.phones import digits_of
from core.repository import Repository
from core.text import fold

NAME_SIMILARITY = 0.85
SCALAR_FIELDS = ("first_name", "middle_name", "last_name", "salutation", "title", "organization_id", "address",
                 "external_system_url")


@dataclass(frozen=True)
class DuplicateGroup:
    ids: list[int]
    reasons: list[str]


def _similar_first_names(a: str, b: str) -> bool:
    a, b = fold(a), fold(b)
    return a == b or a.startswith(b) or b.startswith(a) or SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


def _name_pairs(repo: Repository, ids: set[int]) -> list[tuple[int, int]]:
    """Pairs among contacts sharing a last name whose first names are alike; compared within buckets of the
    first name's initial so that common surnames stay cheap."""
    docs = repo.get_many("contacts", ids)
    buckets: dict[str, list[tuple[int, str]]] = {}
    for doc_id, doc in docs.items():
        buckets.setdefault(fold(doc["first_name"])[:1], []).append((doc_id, doc["first_name"]))
    pairs: list[tuple[int, int]] = []
    for members in buckets.values():
        for i, (a, name_a) in enumerate(members):
            pairs.extend((a, b) for b, name_b in members[i + 1:] if _similar_first_names(name_a, name_b))
    return pairs


def find(repo: Repository, divisions: set[str] | None, contact_id: int | None, limit: int) -> list[DuplicateGroup]:
    """Groups of contacts that share a phone number or email, or have alike names; of one contact if given."""
    reasons: dict[tuple[int, int], set[str]] = {}

    def link(a: int, b: int, reason: str) -> None:
        if a != b:
            reasons.setdefault((min(a, b), max(a, b)), set()).add(reason)

    if contact_id is None:
        for index, reason in (("contact.phone", "same phone"), ("contact.email", "same email")):
            for key, ids in repo.shared_keys(index):
                ordered = sorted(ids)
                for other in ordered[1:]:
                    link(ordered[0], other, f"{reason} {key}")
        for _, ids in repo.shared_keys("contact.last_name"):
            for a, b in _name_pairs(repo, ids):
                link(a, b, "similar name")
    else:
        doc = repo.get("contacts", contact_id) or {}
        for phone in doc.get("phones", ()):
            if phone.get("e164"):
                for other in repo.find("contact.phone", phone["e164"]):
                    link(contact_id, other, f"same phone {phone['e164']}")
        for email in doc.get("emails", ()):
            for other in repo.find("contact.email", email["address"].casefold()):
                link(contact_id, other, f"same email {email['address']}")
        if doc:
            for a, b in _name_pairs(repo, repo.find("contact.last_name", fold(doc["last_name"]))):
                if contact_id in (a, b):
                    link(a, b, "similar name")

    everyone = {i for pair in reasons for i in pair}
    allowed = visible_only(repo, "contact", everyone, divisions)
    parent = {i: i for i in allowed}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in reasons:
        if a in allowed and b in allowed:
            parent[root(a)] = root(b)
    groups: dict[int, set[int]] = {}
    for i in allowed:
        groups.setdefault(root(i), set()).add(i)
    result = []
    for members in groups.values():
        if len(members) < 2:
            continue
        why = sorted({r for pair, rs in reasons.items() if pair[0] in members and pair[1] in members for r in rs})
        result.append(DuplicateGroup(sorted(members), why))
    result.sort(key=lambda g: (-len(g.reasons), -len(g.ids), g.ids[0]))
    return result[:limit]


def _distinct(items: list[dict], key) -> list[dict]:
    seen: dict[Any, dict] = {}
    for item in items:
        seen.setdefault(key(item), item)
    return list(seen.values())


def merged_values(records: list[Contact], choices: Mapping[str, int]) -> dict[str, Any]:
    """The surviving contact's fields: ``records[0]`` survives; lists are united, empty fields filled."""
    survivor = records[0]
    by_id = {r.id: r for r in records}
    newest_first = [survivor, *sorted(records[1:], key=lambda r: r.modified_at or datetime.min, reverse=True)]
    dumped = {r.id: r.model_dump(mode="json") for r in records}
    data = {k: v for k, v in dumped[survivor.id].items() if k not in ("version", "created_at", "modified_at")}

    for field, source_id in choices.items():
        if source_id not in by_id:
            raise ValidationFailed.one(f"choices.{field}", source_id, "must name one of the contacts being merged")
    for field in SCALAR_FIELDS:
        if field in choices:
            data[field] = dumped[choices[field]][field]
        elif data[field] in (None, ""):
            data[field] = next((dumped[r.id][field] for r in newest_first if dumped[r.id][field] not in (None, "")), None)

    everything = [dumped[r.id] for r in newest_first]
    data["phones"] = _distinct([p for d in everything for p in d["phones"]],
                               lambda p: p["e164"] or digits_of(p["raw"]))
    data["emails"] = _distinct([e for d in everything for e in d["emails"]], lambda e: e["address"].casefold())
    data["socials"] = _distinct([s for d in everything for s in d["socials"]],
                                lambda s: (s["network"], fold(s["handle"])))
    data["external_ids"] = _distinct([x for d in everything for x in d["external_ids"]],
                                     lambda x: (fold(x["source"]), x["value"]))
    custom: dict[str, Any] = {}
    for d in reversed(everything):
        custom.update(d["custom_fields"])
    for field, source_id in choices.items():
        if field.startswith("custom_fields."):
            key = field.removeprefix("custom_fields.")
            custom[key] = dumped[source_id]["custom_fields"].get(key)
    data["custom_fields"] = {k: v for k, v in custom.items() if v is not None}
    # A customer who asked for no surveys on any of their records keeps that wish.
    data["survey_opt_out"] = any(r.survey_opt_out for r in records)
    return data
