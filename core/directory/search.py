"""Search and reverse lookup over the store's indexes: ranked, paged, and capped at 1000 matches."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from core.indexes import TABLES, contact_terms, division_keys, email_key, organization_terms
from core.phones import digits_of, e164_candidates, looks_like_phone, parse_phone
from core.repository import Repository
from core.store.conditions import All, AnyOf, Condition, Ids, Key, Linked, Prefix, both
from core.text import fold, words

MAX_RESULTS = 1000
KINDS = ("contact", "organization")


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    title: str
    subtitle: str
    score: int


@dataclass(frozen=True)
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    page: int = 1
    page_size: int = 25

    @property
    def refine(self) -> bool:
        """More matched than anyone can read: the caller should ask for a narrower search."""
        return self.total > MAX_RESULTS

    @property
    def pages(self) -> int:
        return 0 if self.refine else -(-self.total // self.page_size)

    @property
    def message(self) -> str:
        if self.refine:
            return f"more than {MAX_RESULTS} records match {self.query!r}; refine your search"
        if not self.total:
            return f"nothing matches {self.query!r}"
        start = (self.page - 1) * self.page_size
        return f"showing {start + 1}-{start + len(self.hits)} of {self.total} matching {self.query!r}"


@dataclass(frozen=True)
class LookupFound:
    """What a lookup found, stored documents by id (in id order, or a search's): ``normalized`` is what was searched
    for (an E.164 number, an address, a handle)."""

    query: str
    kind: Literal["phone", "email", "social", "search"]
    normalized: str
    contacts: dict[int, dict] = field(default_factory=dict)
    organizations: dict[int, dict] = field(default_factory=dict)
    search: SearchResult | None = None


def visibility(kind: str, divisions: set[str] | None) -> Condition | None:
    """Records of ``kind`` in ``divisions`` (None: no limit)."""
    if divisions is None:
        return None
    return AnyOf(tuple(Key(f"{kind}.division", d) for d in sorted(divisions)))


def limiting(repo: Repository, kind: str, divisions: set[str] | None) -> set[str] | None:
    """``divisions``, or None when they hold every record of ``kind`` (one division, say, or all there are): for
    records of that kind, a limit every one meets is none, and a list read without checking each record's division
    jumps anywhere in it at once (counts, not records, are read to know)."""
    if divisions is None or sum(repo.count_key(f"{kind}.division", d) for d in divisions) < repo.count(TABLES[kind]):
        return divisions
    return None


def visible_only(repo: Repository, kind: str, ids: set[int], divisions: set[str] | None) -> set[int]:
    visible = visibility(kind, divisions)
    if visible is None or not ids:
        return ids
    return repo.matching(All((Ids(frozenset(ids)), visible)))


def visible_documents(documents: dict[int, dict], divisions: set[str] | None) -> dict[int, dict]:
    """Those of ``documents`` in ``divisions`` (None: all)."""
    if divisions is None:
        return documents
    return {i: doc for i, doc in documents.items() if division_keys(doc)[0] in divisions}


def phone_matches(repo: Repository, text: str, region: str,
                  kinds: Iterable[str] = KINDS) -> tuple[str, dict[str, dict[int, dict]]]:
    """Records owning the number ``text`` denotes, and the form it was searched in (E.164, or its digits)."""
    candidates, digits = list(dict.fromkeys(e164_candidates(text, region))), digits_of(text)
    found = repo.find_first([[(f"{kind}.phone", c) for kind in kinds] for c in candidates] +
                            [[(f"{kind}.digits", digits) for kind in kinds]])  # one question to the store
    for candidate in candidates:
        if any(found.get((f"{kind}.phone", candidate)) for kind in kinds):
            return candidate, {kind: found[(f"{kind}.phone", candidate)] for kind in kinds}
    return (parse_phone(text.strip(), region).e164 or digits,
            {kind: found.get((f"{kind}.digits", digits), {}) for kind in kinds})


def lookup(repo: Repository, value: str, region: str, divisions: set[str] | None) -> LookupFound:
    """What an agent types, answered in one question to the store when it is a number, an address or a handle
    (a caller is on the line)."""
    text = value.strip()
    if "@" in text[1:] and " " not in text:
        address = email_key(text)
        found = repo.find_documents([("contact.email", address)])[("contact.email", address)]
        return LookupFound(value, "email", address, visible_documents(found, divisions))
    if text.startswith("@") and len(text) > 1 and " " not in text:
        handle = fold(text[1:])
        found = repo.find_documents([("contact.social", handle)])[("contact.social", handle)]
        return LookupFound(value, "social", "@" + handle, visible_documents(found, divisions))
    if looks_like_phone(text):
        normalized, by_kind = phone_matches(repo, text, region)
        return LookupFound(value, "phone", normalized, visible_documents(by_kind["contact"], divisions),
                           visible_documents(by_kind["organization"], divisions))
    result = search(repo, text, divisions, region=region)
    documents = {kind: repo.get_many(TABLES[kind], [h.id for h in result.hits if h.kind == kind]) for kind in KINDS}
    return LookupFound(value, "search", text, documents["contact"], documents["organization"], result)


def _term(kind: str, term: str, divisions: set[str] | None) -> Condition:
    own = Prefix(f"{kind}.terms", term)
    if kind != "contact":
        return own
    # "jane acme" finds Jane who works at Acme, if Acme is in a division one sees
    organizations = both(Prefix("organization.terms", term), visibility("organization", divisions))
    assert organizations is not None
    return AnyOf((own, Linked("contact.organization", organizations)))


def matching(repo: Repository, kind: str, query: str, region: str, divisions: set[str] | None) -> Condition | None:
    """What records of ``kind`` in ``divisions`` (None: all) match ``query``: all its words as prefixes, or its
    digits for a phone number (None: every record; blank matches everything). A record is found through a linked one
    only if that one is visible too."""
    visible = visibility(kind, limiting(repo, kind, divisions))  # linked records (of other kinds) keep theirs
    if not query.strip():
        return visible
    if looks_like_phone(query):
        _, found = phone_matches(repo, query, region, (kind,))
        return both(AnyOf((Ids(frozenset(found[kind])), Prefix(f"{kind}.digits", digits_of(query)))), visible)
    terms = sorted(set(words(query)), key=len, reverse=True)  # longer words narrow fastest
    if not terms:
        return AnyOf(())
    words_matched = [_term(kind, term, divisions) for term in terms]
    return both(words_matched[0] if len(words_matched) == 1 else All(tuple(words_matched)), visible)


def search(
    repo: Repository,
    query: str,
    divisions: set[str] | None,
    *,
    kinds: tuple[str, ...] = KINDS,
    page: int = 1,
    page_size: int = 25,
    region: str,
) -> SearchResult:
    page, page_size = max(page, 1), min(max(page_size, 1), 100)
    conditions = {kind: matching(repo, kind, query, region, divisions) if query.strip() else AnyOf(())
                  for kind in kinds}
    found = {kind: repo.matching(condition, MAX_RESULTS) for kind, condition in conditions.items() if condition}
    total = sum(len(ids) for ids in found.values())
    if total > MAX_RESULTS:  # how many more is not counted: that would read them all
        return SearchResult(query, MAX_RESULTS + 1, [], page, page_size)
    hits = [hit for kind, ids in found.items() for hit in _rank(repo, kind, ids, query, divisions)]
    hits.sort(key=lambda h: (-h.score, fold(h.title), h.kind, h.id))
    start = (page - 1) * page_size
    return SearchResult(query, total, hits[start:start + page_size], page, page_size)


def _rank(repo: Repository, kind: str, ids: set[int], query: str, divisions: set[str] | None) -> list[Hit]:
    docs = repo.get_many(TABLES[kind], ids)
    terms = words(query)
    organizations = {}
    if kind == "contact":
        organizations = linked_organizations(repo, docs.values(), divisions)
    hits = []
    for doc_id, doc in docs.items():
        if kind == "contact":
            name_fields = [doc["first_name"], doc.get("middle_name") or "", doc["last_name"]]
            title = " ".join(n for n in name_fields if n)
            organization = organizations.get(doc.get("organization_id", 0), {}).get("name", "")
            subtitle = " · ".join(p for p in (organization, doc.get("title", ""), _first_phone(doc)) if p)
            names, others = words(title), set(contact_terms(doc))
        else:
            title = doc["name"]
            subtitle = " · ".join(p for p in (doc.get("industry", ""), _first_phone(doc)) if p)
            names, others = words(title), set(organization_terms(doc))
        hits.append(Hit(kind, doc_id, title, subtitle, _score(terms, names, others)))
    return hits


def linked_organizations(repo: Repository, contacts: Iterable[dict], divisions: set[str] | None) -> dict[int, dict]:
    """The organizations ``contacts`` link to that are in ``divisions`` (None: all): a contact's row or card never
    names an organization its reader cannot see."""
    wanted = sorted({d["organization_id"] for d in contacts if d.get("organization_id")})
    return visible_documents(repo.get_many("organizations", wanted), divisions)


def _score(terms: list[str], names: list[str], others: set[str]) -> int:
    score = 0
    for term in terms:
        if term in names:
            score += 4
        elif any(n.startswith(term) for n in names):
            score += 3
        elif term in others:
            score += 2
        elif any(o.startswith(term) for o in others):
            score += 1
    return score


def _first_phone(doc: dict) -> str:
    phones = doc.get("phones") or [p for p in (doc.get("phone"),) if p]
    return phones[0]["raw"] if phones else ""
