"""Likely duplicate contacts, and the values a merge keeps."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from itertools import groupby
from typing import Any

from core.directory.search import visible_only
from core.errors import ValidationFailed
from core.indexes import email_keys, external_id_keys, names_of_order_key, phone_keys
from core.models import Contact
from core.phones import digits_of
from core.repository import Repository
from core.text import fold

NAME_SIMILARITY = 0.85
PAGE = 5000  # contacts a full scan reads at a time
# A phone or email shared by more contacts than this is a switchboard or a team inbox, not evidence of one person.
MAX_SHARED = 25
SCALAR_FIELDS = ("first_name", "middle_name", "last_name", "salutation", "title", "organization_id", "address",
                 "external_system_url")


# How sure each kind of evidence makes a pair; a pair's score adds its reasons' weights, up to 1.
WEIGHTS = {"same external id": 1.0, "same email": 0.7, "same phone": 0.6, "similar name, same organization": 0.5,
           "similar name, no organization": 0.3}


@dataclass(frozen=True)
class Candidate:
    """Two contacts that may be one person: why, and how sure (0 to 1)."""

    ids: list[int]
    reasons: list[str]
    score: float


def _similar_first_names(a: str, b: str) -> bool:
    a, b = fold(a), fold(b)
    return a == b or a.startswith(b) or b.startswith(a) or SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


def find(repo: Repository, divisions: set[str] | None, contact_id: int | None, limit: int,
         progress: Callable[[int, int], None] | None = None) -> list[Candidate]:
    """Pairs of contacts (of ``contact_id``, if given) that share an external id, an email or a phone, or have
    alike names at the same organization, most likely first. Five people called Wei Nakamura at five companies
    are not duplicates."""
    reasons: dict[tuple[int, int], set[str]] = {}

    def link(a: int, b: int, reason: str) -> None:
        if a != b:
            reasons.setdefault((min(a, b), max(a, b)), set()).add(reason)

    shared = (("contact.external_id", "same external id"), ("contact.email", "same email"),
              ("contact.phone", "same phone"))
    if contact_id is None:
        for index, reason in shared:
            for key, ids in repo.shared_keys(index):
                if len(ids) > MAX_SHARED:
                    continue
                ordered = sorted(ids)
                for i, a in enumerate(ordered):
                    for b in ordered[i + 1:]:
                        link(a, b, f"{reason} {key.split('=', 1)[-1]}")
        people = _everyone_by_name(repo, progress)  # those the actor may not see are dropped below
    else:
        doc = repo.get("contacts", contact_id) or {}
        keys = {"contact.external_id": list(external_id_keys(doc)), "contact.email": list(email_keys(doc)),
                "contact.phone": list(phone_keys(doc))}
        for index, reason in shared:
            for key in keys[index]:
                for other in repo.find(index, key):
                    link(contact_id, other, f"{reason} {key.split('=', 1)[-1]}")
        people = _namesakes(repo, fold(doc["last_name"])) if doc else iter(())
    _link_names(people, contact_id, link)
    allowed = visible_only(repo, "contact", {i for pair in reasons for i in pair}, divisions)
    found = []
    for (a, b), why in reasons.items():
        if a in allowed and b in allowed and (contact_id is None or contact_id in (a, b)):
            score = min(1.0, sum(WEIGHTS[next(w for w in WEIGHTS if r.startswith(w))] for r in why))
            found.append(Candidate([a, b], sorted(why), round(score, 2)))
    found.sort(key=lambda c: (-c.score, c.ids))
    return found[:limit]


Person = tuple[int, str, int | None, str]  # id, folded last name, organization id, folded first name


def _everyone_by_name(repo: Repository, progress: Callable[[int, int], None] | None) -> Iterator[Person]:
    """Every contact's names and organization, from the indexes a page at a time, in name order: no document is
    read, and no more than a page is held."""
    total, done, after = repo.count("contacts"), 0, None
    while page := repo.ordered_keys("contact.order", after, PAGE):
        organization_of = repo.keys_of("contact.organization", [i for _, i in page])
        for key, i in page:
            last, first = names_of_order_key(key)
            yield i, last, int(organization_of[i][0]) if i in organization_of else None, first
        after, done = page[-1], done + len(page)
        if progress is not None:
            progress(done, total)
    if progress is not None:
        progress(total, total)


def _namesakes(repo: Repository, last_name: str) -> Iterator[Person]:
    """The contacts with one last name (one contact's duplicates need no more than these)."""
    for i, doc in repo.get_many("contacts", repo.find("contact.last_name", last_name)).items():
        yield i, last_name, doc.get("organization_id"), fold(doc["first_name"])


def _link_names(people: Iterable[Person], contact_id: int | None, link: Callable[[int, int, str], None]) -> None:
    """Contacts are compared by name only within one block: same last name, same organization (or none), same
    first initial. Blocks stay small however many contacts there are, so the work grows with the directory, not
    with its square; people come in last-name order, so one last name's blocks are held at a time."""
    for _, namesakes in groupby(people, key=lambda person: person[1]):
        blocks: dict[tuple[int | None, str], list[tuple[int, str]]] = {}
        for i, _, organization, first in namesakes:
            blocks.setdefault((organization, first[:1]), []).append((i, first))
        for (organization, _), members in blocks.items():
            reason = "similar name, same organization" if organization else "similar name, no organization"
            for n, (a, name_a) in enumerate(members):
                for b, name_b in members[n + 1:]:
                    if (contact_id is None or contact_id in (a, b)) and _similar_first_names(name_a, name_b):
                        link(a, b, reason)


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
