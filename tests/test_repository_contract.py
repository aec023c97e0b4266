"""What every store behind ``core.repository.Repository`` must do, written once. Each test runs against every
store ``core.bootstrap.open_store`` can open: the embedded store now; a server store joins by adding its kind to
``STORES`` (and whatever it needs to start)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.bootstrap import open_store
from core.config import Settings
from core.directory import Directory
from core.errors import Conflict, StoreError
from core.indexes import INDEXES
from core.policy import Actor
from core.repository import Repository
from core.store import postgres_listing, postgres_query
from core.store.conditions import All, AnyOf, Condition, Ids, Key, Linked, Prefix

STORES = ["embedded", "postgresql"]
ADMIN = Actor("admin")
OpenHandle = Callable[[], Repository]

CONTACTS = [
    {"first_name": "Ann", "last_name": "Lee", "organization_id": 1, "division": "Home",
     "phones": [{"kind": "work", "raw": "+1 415 555 2671", "e164": "+14155552671", "region": "US", "sms": False}],
     "emails": [{"kind": "work", "address": "ann@acme.example"}], "custom_fields": {"tier": "Gold"}},
    {"first_name": "Zoë", "last_name": "Lee", "division": "EMEA",
     "phones": [{"kind": "cell", "raw": "020 7946 0958", "e164": "+442079460958", "region": "GB", "sms": True}],
     "emails": [{"kind": "work", "address": "zoe@acme.example"}], "custom_fields": {"tier": "Gold"},
     "external_ids": [{"source": "salesforce", "value": "003A"}]},
    {"first_name": "Bo", "last_name": "Ng", "phones": [{"kind": "work", "raw": "call me", "sms": False}],
     "socials": [{"network": "twitter", "handle": "@bo"}]},
]
ORGANIZATION = {"name": "Acme Towing", "tags": ["partner"], "phone": {"kind": "work", "raw": "+1 212 555 0100",
                                                                       "e164": "+12125550100", "region": "US",
                                                                       "sms": False}}


@pytest.fixture(params=STORES)
def open_handle(request, tmp_path: Path) -> Iterator[OpenHandle]:
    """Opens handles on one store, as separate processes (the bot, the terminal UI) would."""
    store: dict[str, str] = {"kind": request.param}
    if request.param == "postgresql":
        store["url"] = request.getfixturevalue("postgres_url")
    settings = Settings.model_validate({"store": store})
    handles: list[Repository] = []

    def open_one() -> Repository:
        handles.append(open_store(tmp_path / "data", settings))
        return handles[-1]

    yield open_one
    for handle in handles:
        handle.close()


@pytest.fixture
def filled(open_handle: OpenHandle) -> Repository:
    repo = open_handle()
    with repo.transaction():
        repo.insert("organizations", ORGANIZATION)
        for contact in CONTACTS:
            repo.insert("contacts", contact)
    return repo


class Boom(Exception):
    pass


def test_a_transaction_is_all_or_nothing(open_handle: OpenHandle):
    repo, other = open_handle(), open_handle()
    with pytest.raises(Boom), repo.transaction():
        repo.insert("contacts", CONTACTS[0])
        repo.insert("contacts", CONTACTS[1])
        raise Boom
    assert repo.count("contacts") == 0 and other.count("contacts") == 0
    assert repo.find("contact.last_name", "lee") == set()


def test_nested_transactions_commit_with_the_outer_one(open_handle: OpenHandle):
    repo, other = open_handle(), open_handle()
    with pytest.raises(Boom), repo.transaction():
        with repo.transaction():
            repo.insert("contacts", CONTACTS[0])
        raise Boom
    assert other.count("contacts") == 0
    with repo.transaction():
        with repo.transaction():
            first = repo.insert("contacts", CONTACTS[0])
        second = repo.insert("contacts", CONTACTS[1])
    assert other.get_many("contacts", [first, second]).keys() == {first, second}


def test_reads_see_what_another_handle_committed(filled: Repository, open_handle: OpenHandle):
    reader = open_handle()
    assert reader.count("contacts") == 3
    writer = open_handle()
    with writer.transaction():
        new = writer.insert("contacts", {"first_name": "Cy", "last_name": "Lee"})
        writer.replace("contacts", 1, {**CONTACTS[0], "first_name": "Anne"})
        writer.remove("contacts", 3)
    assert reader.get("contacts", 1)["first_name"] == "Anne"
    assert reader.get("contacts", 3) is None and reader.get("contacts", new)["first_name"] == "Cy"
    assert reader.find("contact.last_name", "lee") == {1, 2, new}


def test_ids_are_never_reused_and_a_taken_id_is_refused(filled: Repository):
    with filled.transaction():
        filled.remove("contacts", 3)
    with filled.transaction():
        assert filled.insert("contacts", CONTACTS[2]) == 4
        assert filled.insert("contacts", CONTACTS[2], 10) == 10
    with pytest.raises(StoreError), filled.transaction():
        filled.insert("contacts", CONTACTS[2], 10)
    assert sorted(filled.ids("contacts")) == [1, 2, 4, 10]
    assert {"contacts", "organizations"} <= set(filled.tables())


def test_revision_moves_on_every_commit(filled: Repository, open_handle: OpenHandle):
    before = filled.revision()
    writer = open_handle()
    with writer.transaction():
        writer.insert("notes", {"subject_kind": "contact", "subject_id": 1, "text": "hi", "author": "a"})
    assert filled.refresh() and filled.revision() != before
    assert not filled.refresh()  # nothing new since


def full_scan(repo: Repository, table: str, keys_of) -> dict[str, set[int]]:
    found: dict[str, set[int]] = defaultdict(set)
    for doc_id, doc in repo.get_many(table, repo.ids(table)).items():
        for key in keys_of(doc):
            found[key].add(doc_id)
    return found


def test_every_index_equals_a_full_scan_after_changes(filled: Repository, open_handle: OpenHandle):
    writer = open_handle()
    with writer.transaction():
        writer.replace("contacts", 1, {**CONTACTS[0], "division": "EMEA"})  # moved
        writer.replace("contacts", 2, {**CONTACTS[1], "last_name": "Lefèvre", "emails": []})
        writer.remove("contacts", 3)
        writer.insert("contacts", {**CONTACTS[2], "first_name": "Bea"})
        writer.insert("notes", {"subject_kind": "contact", "subject_id": 1, "text": "hi", "author": "a"})
        writer.insert("divisions", {"name": "EMEA"})
    for repo in (filled, writer, open_handle()):
        for spec in INDEXES:
            expected = full_scan(repo, spec.table, spec.keys)
            for key, ids in expected.items():
                assert repo.find(spec.name, key) == ids, (spec.name, key)
                assert repo.count_key(spec.name, key) == len(ids), (spec.name, key)
            assert repo.find(spec.name, "no such key") == set() and repo.count_key(spec.name, "no such key") == 0
            asked = [(spec.name, key) for key in expected] + [(spec.name, "no such key")]
            documents = {i: repo.get(spec.table, i) for ids in expected.values() for i in ids}
            found = repo.find_documents(asked)
            assert found == {**{(spec.name, k): {i: documents[i] for i in sorted(ids)} for k, ids in expected.items()},
                             (spec.name, "no such key"): {}}
            assert all(list(by_id) == sorted(by_id) for by_id in found.values())  # in id order
            if spec.ordered:
                pairs = [(key, i) for key in sorted(expected) for i in sorted(expected[key])]
                assert repo.ordered_keys(spec.name, None, 1000) == pairs, spec.name
                assert repo.ordered_keys(spec.name, pairs[0], 2) == pairs[1:3], spec.name
                if spec.name.endswith(".order"):  # what lists are ordered by: a key per document
                    assert repo.listing(spec.name).window(0, 1000) == [i for _, i in pairs], spec.name
                for prefix in {key[:2] for key in expected}:
                    wanted = set().union(*(ids for key, ids in expected.items() if key.startswith(prefix)))
                    assert repo.find_prefix(spec.name, prefix) == wanted, (spec.name, prefix)
            shared = {key: ids for key, ids in expected.items() if len(ids) > 1}
            assert dict(repo.shared_keys(spec.name)) == shared, spec.name
            everyone = {i for ids in expected.values() for i in ids}
            keys_of = {i: sorted(k for k, ids in expected.items() if i in ids) for i in everyone}
            assert {i: sorted(keys) for i, keys in repo.keys_of(spec.name, [*everyone, 999]).items()} == keys_of


def test_find_first_answers_from_the_first_choice_that_finds_a_document(filled: Repository):
    ann, zoe = filled.get("contacts", 1), filled.get("contacts", 2)
    nowhere = [("contact.phone", "+10000000000"), ("organization.phone", "+10000000000")]
    ann_by_number = [("contact.phone", "+14155552671"), ("organization.phone", "+14155552671")]
    assert filled.find_first([nowhere, ann_by_number, [("contact.digits", "4155552671")]]) == {
        ("contact.phone", "+14155552671"): {1: ann}, ("organization.phone", "+14155552671"): {}}  # not the digits
    both_lees = [("contact.email", "zoe@acme.example"), ("contact.email", "ann@acme.example")]
    assert filled.find_first([both_lees, ann_by_number]) == {("contact.email", "zoe@acme.example"): {2: zoe},
                                                           ("contact.email", "ann@acme.example"): {1: ann}}
    assert filled.find_first([nowhere, [("contact.digits", "4155552671")]]) == {("contact.digits", "4155552671"): {1: ann}}
    assert filled.find_first([nowhere]) == {} and filled.find_first([]) == {}


def test_a_stale_version_is_a_conflict_across_handles(open_handle: OpenHandle):
    first, second = Directory(open_handle()), Directory(open_handle())
    ann = first.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee"})
    seen_by_second = second.get_contact(ADMIN, ann.key)
    first.update(ADMIN, "contact", ann.key, {"title": "CFO"}, expected_version=ann.version)
    with pytest.raises(Conflict, match="was changed since you opened it"):
        second.update(ADMIN, "contact", ann.key, {"title": "CEO"}, expected_version=seen_by_second.version)
    assert first.get_contact(ADMIN, ann.key).title == "CFO"


FIRST_NAMES = ["Ann", "Anna", "Bo", "Cleo", "Dara", "Eli"]
LAST_NAMES = ["Lee", "Lefèvre", "Ng", "Nguyen", "Okafor"]


@pytest.fixture(params=[5000, 12, 0], ids=["probed in order", "probed a little", "joined"])
def crowd(open_handle: OpenHandle, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Repository:
    """180 contacts at six organizations in three divisions, two renamed since; a server store is made to treat
    anything past 20 matches as many, and to walk the list only when a page (7) of matches is within its first 14
    lines, so each of its ways of answering (fetching the few when matching; for a listing, ordering the matches'
    own key rows by the sort keys they carry, or walking the list) is exercised; a listing of several words starts
    from probes on the first rows of one (all of them, the first 12, or, allowed no probes, none: joined)."""
    monkeypatch.setattr(postgres_query, "NARROW", 20)
    monkeypatch.setattr(postgres_listing, "PAGE", 7)
    monkeypatch.setattr(postgres_query, "WALKED", 14)
    monkeypatch.setattr(postgres_query, "PROBED", request.param)
    repo = open_handle()
    with repo.transaction():
        for n in range(6):
            repo.insert("organizations", {"name": f"Org{n} {'Acme' if n % 2 else 'Zenith'}",
                                          "division": ["Home", "EMEA"][n % 2]})
        for n in range(180):
            repo.insert("contacts", {"first_name": FIRST_NAMES[n % 6], "last_name": LAST_NAMES[n % 5],
                                     "organization_id": n % 7 or None, "division": ["Home", "EMEA", "APAC"][n % 3]})
    with repo.transaction():
        for removed in (5, 60, 61):
            repo.remove("contacts", removed)
        for renamed in (8, 9):  # to the top of the list: whatever carries a sort key must follow
            repo.replace("contacts", renamed, {**(repo.get("contacts", renamed) or {}), "last_name": "Aalto"})
    return repo


CONDITIONS = {
    "one key": Key("contact.division", "APAC"),
    "few by prefix": Prefix("contact.terms", "okaf"),
    "a renamed one's first name": Prefix("contact.terms", "bo"),
    "many by prefix": Prefix("contact.terms", "a"),
    "linked": Linked("contact.organization", Prefix("organization.terms", "acme")),
    "ids": Ids(frozenset({1, 2, 3, 5, 999})),
    "all of many": All((Prefix("contact.terms", "a"), Prefix("contact.terms", "le"))),
    "all, one few": All((Prefix("contact.terms", "le"), Key("contact.division", "Home"), Ids(frozenset(range(40))))),
    # a few found, then checked one by one, most passing: a capped answer stops at the cap and one more
    "a few found, most passing": All((Ids(frozenset(range(1, 21))), All((AnyOf((
        Key("contact.division", "Home"), Key("contact.division", "EMEA"))),)))),
    "any": AnyOf((Prefix("contact.terms", "bo"), Linked("contact.organization", Key("organization.division", "EMEA")))),
    "a search as the service asks": All((AnyOf((Prefix("contact.terms", "an"), Linked(
        "contact.organization", All((Prefix("organization.terms", "an"), Key("organization.division", "Home")))))),
        AnyOf((Key("contact.division", "Home"), Key("contact.division", "APAC"))))),
    "nothing": AnyOf(()),
}


def expected_ids(repo: Repository, condition: Condition) -> set[int]:
    """The answer worked out from full scans of the documents."""
    def keyed(index: str) -> dict[str, set[int]]:
        spec = next(s for s in INDEXES if s.name == index)
        return full_scan(repo, spec.table, spec.keys)

    if isinstance(condition, Key):
        return keyed(condition.index).get(condition.key, set())
    if isinstance(condition, Prefix):
        return set().union(*(ids for key, ids in keyed(condition.index).items() if key.startswith(condition.prefix)))
    if isinstance(condition, Linked):
        targets = {str(i) for i in expected_ids(repo, condition.target)}
        return set().union(*(ids for key, ids in keyed(condition.index).items() if key in targets))
    if isinstance(condition, Ids):
        return set(condition.ids)
    parts = [expected_ids(repo, part) for part in condition.parts]
    if isinstance(condition, All):
        return set.intersection(*parts)
    return set().union(*parts)


@pytest.mark.parametrize("name", CONDITIONS)
def test_conditions_and_listings_answer_as_full_scans_do(crowd: Repository, name: str):
    condition = CONDITIONS[name]
    wanted = expected_ids(crowd, condition)
    assert crowd.matching(condition) == wanted
    capped = crowd.matching(condition, cap=10)
    assert capped <= wanted and (len(capped) > 10 or capped == wanted)
    order = [i for _, i in crowd.ordered_keys("contact.order", None, 1000) if i in wanted]
    listing = crowd.listing("contact.order", condition)
    # read as a person scrolls: from the end back, a jump to the middle, then on from the top
    assert listing.window(len(order) - 3, len(order) + 5) == order[-3:]
    middle = len(order) // 2
    assert listing.window(middle, middle + 9) == order[middle:middle + 9]
    assert [i for chunk in listing.chunks(8) for i in chunk] == order
    assert listing.count() == len(order) and listing.complete and listing.size() == len(order)
    for at in (0, middle, len(order) - 1):
        if order:
            assert listing.position(order[at]) == at
    assert listing.position(5) is None  # removed


def test_a_listing_of_everything_pages_both_ways_from_anywhere(crowd: Repository):
    order = [i for _, i in crowd.ordered_keys("contact.order", None, 1000)]
    listing = crowd.listing("contact.order")
    assert listing.complete and listing.size() == len(order) == 177
    assert listing.window(170, 200) == order[170:]  # the end, read first
    assert listing.window(100, 103) == order[100:103]  # a jump
    assert listing.window(93, 101) == order[93:101]  # the page before one read
    assert listing.window(0, 177) == order


def test_pages_of_ids_counts_and_the_last_id(crowd: Repository):
    ids = sorted(crowd.ids("contacts"))
    assert crowd.ids_after("contacts", 0, 4) == ids[:4]
    assert crowd.ids_after("contacts", 4, 3) == [6, 7, 8]  # 5 was removed
    assert crowd.ids_after("contacts", ids[-1], 10) == []
    assert crowd.last_id("contacts") == 180 and crowd.last_id("notes") == 0
    assert crowd.count("contacts") == 177
    assert crowd.count_key("contact.division", "APAC") == len(crowd.find("contact.division", "APAC")) == 59
    assert crowd.count_key("contact.division", "Nowhere") == 0


def test_a_bulk_load_keeps_ids_indexes_and_counts_and_refuses_a_taken_id(open_handle: OpenHandle):
    repo, other = open_handle(), open_handle()
    odd = {**CONTACTS[2], "title": "tab\there, back\\slash, line\nbreak"}  # what COPY's text format escapes
    with repo.filling():
        repo.load("contacts", [(10, CONTACTS[0]), (20, CONTACTS[1])])
        repo.load("contacts", [(30, odd)])
    assert other.get("contacts", 30) == odd and other.count("contacts") == 3
    assert other.count_key("contact.division", "Home") == 2 and other.count_key("contact.division", "EMEA") == 1
    assert other.find("contact.phone", "+14155552671") == {10} and other.find("contact.last_name", "lee") == {10, 20}
    assert repo.insert("contacts", CONTACTS[0]) == 31  # ids go on after the largest loaded
    with pytest.raises(StoreError, match="taken already"):
        repo.load("contacts", [(40, CONTACTS[0]), (20, CONTACTS[1])])
    assert other.get("contacts", 40) is None and other.count("contacts") == 4  # all or nothing
    assert other.count_key("contact.division", "Home") == 3
    with pytest.raises(RuntimeError), repo.transaction():  # a load is part of the transaction it is in
        repo.load("contacts", [(50, CONTACTS[0])])
        raise RuntimeError("changed my mind")
    assert other.get("contacts", 50) is None and other.count("contacts") == 4
