"""Search as agents type it: case- and accent-insensitive, prefixes, ranked, paged, capped at 1000."""

from __future__ import annotations

import pytest

from core.directory.search import MAX_RESULTS
from tests.conftest import ADMIN, open_directory

pytestmark = pytest.mark.both_stores  # run on the embedded store and on PostgreSQL


@pytest.fixture
def people(directory):
    acme = directory.create(ADMIN, "organization", {"name": "Acme Towing", "tags": ["partner"]})
    make = lambda first, last, **extra: directory.create(ADMIN, "contact", {"first_name": first, "last_name": last, **extra})
    return {
        "acme": acme,
        "zoe": make("Zoë", "Smith", organization_id=acme.id, emails=[{"address": "zoe@acme.example"}],
                    phones=[{"raw": "+1 415 555 2671"}]),
        "joe": make("Joe", "Smithers", title="Account Manager"),
        "jo": make("Jo", "Anders", socials=[{"network": "twitter", "handle": "@smith_fan"}]),
        "jose": make("José", "García", emails=[{"address": "jgarcia@mail.example"}]),
    }


def ids(result):
    return [(h.kind, h.id) for h in result.hits]


def test_case_and_accent_insensitive(directory, people):
    for query in ("zoe", "ZOË", "Zoe SMITH", "jose garcia", "GARCIA"):
        assert directory.search(ADMIN, query).total == 1, query


def test_prefixes_match_and_names_rank_first(directory, people):
    result = directory.search(ADMIN, "smith")
    assert ids(result) == [("contact", people["zoe"].id), ("contact", people["joe"].id), ("contact", people["jo"].id)]
    assert [h.score for h in result.hits] == [4, 3, 2]  # Jo's handle is smith_fan


def test_all_words_must_match(directory, people):
    assert ids(directory.search(ADMIN, "jo smi")) == [("contact", people["joe"].id), ("contact", people["jo"].id)]
    assert ids(directory.search(ADMIN, "jo smithe")) == [("contact", people["joe"].id)]
    assert directory.search(ADMIN, "jo nobody").total == 0


def test_organization_names_find_their_contacts(directory, people):
    result = directory.search(ADMIN, "acme")
    assert ("organization", people["acme"].id) in ids(result) and ("contact", people["zoe"].id) in ids(result)
    assert ids(directory.search(ADMIN, "zoe tow")) == [("contact", people["zoe"].id)]
    assert ("organization", people["acme"].id) in ids(directory.search(ADMIN, "partner"))


def test_emails_titles_and_phone_digits(directory, people):
    assert ids(directory.search(ADMIN, "jgarcia")) == [("contact", people["jose"].id)]
    assert ids(directory.search(ADMIN, "manager", kinds=["contact"])) == [("contact", people["joe"].id)]
    assert ids(directory.search(ADMIN, "415555")) == [("contact", people["zoe"].id)]


def test_hit_says_who_and_where(directory, people):
    hit = directory.search(ADMIN, "zoe").hits[0]
    assert (hit.title, hit.subtitle) == ("Zoë Smith", "Acme Towing · +1 415 555 2671")


def test_reverse_lookup_by_email_and_handle(directory, people):
    found = directory.lookup(ADMIN, "ZOE@acme.example")
    assert (found.kind, [c.id for c in found.contacts]) == ("email", [people["zoe"].id])
    found = directory.lookup(ADMIN, "@Smith_Fan")
    assert (found.kind, found.normalized, [c.id for c in found.contacts]) == ("social", "@smith_fan", [people["jo"].id])


def test_words_lookup_falls_back_to_search(directory, people):
    found = directory.lookup(ADMIN, "garcía")
    assert found.kind == "search" and [c.id for c in found.contacts] == [people["jose"].id]


def test_paging(directory):
    with directory.batch():
        for i in range(30):
            directory.create(ADMIN, "contact", {"first_name": f"Pat{i:02d}", "last_name": "Page"})
    first = directory.search(ADMIN, "page", page_size=25)
    second = directory.search(ADMIN, "page", page=2, page_size=25)
    assert (first.total, len(first.hits), len(second.hits), first.pages) == (30, 25, 5, 2)
    assert first.message == "showing 1-25 of 30 matching 'page'"
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}


@pytest.mark.slow
def test_more_than_1000_matches_asks_to_refine(directory):
    with directory.batch():
        for i in range(MAX_RESULTS + 1):
            directory.create(ADMIN, "contact", {"first_name": f"Many{i}", "last_name": "Common"})
    result = directory.search(ADMIN, "common")
    assert result.refine and result.total == MAX_RESULTS + 1 and result.hits == []
    assert "refine your search" in result.message
    assert directory.search(ADMIN, "common many10").total == 12  # Many10, Many100..Many109


def test_nothing_typed_finds_nothing(directory, people):
    assert directory.search(ADMIN, "  ...  ").total == 0


def test_a_search_typed_a_key_at_a_time_sees_changes_made_between_keys(directory, data_dir):
    """Words matched for earlier keys are remembered, but never past a change, in this process or another."""
    directory.create(ADMIN, "contact", {"first_name": "Orla", "last_name": "Brennan"})
    assert directory.browse(ADMIN, "contact", "o br").size() == 1
    other = open_directory(data_dir)
    other.create(ADMIN, "contact", {"first_name": "Oisin", "last_name": "Brady"})
    other.close()
    assert directory.browse(ADMIN, "contact", "o bra").size() == 1  # "o" again: it must include Oisin now
    assert {r.name for r in directory.rows(ADMIN, "contact", directory.browse(ADMIN, "contact", "o br").window(0, 10))} == {
        "Orla Brennan", "Oisin Brady"}
