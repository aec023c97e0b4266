"""Finding likely duplicates and merging them without losing anything."""

from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from tests.conftest import ADMIN, store

pytestmark = pytest.mark.both_stores  # run on the embedded store and on PostgreSQL


@pytest.fixture
def twins(directory):
    directory.add_custom_field(ADMIN, "contact", {"key": "customer_id", "label": "Customer ID", "type": "identifier"})
    directory.add_custom_field(ADMIN, "contact", {"key": "tier", "label": "Tier", "type": "text"})
    older = directory.create(ADMIN, "contact", {
        "first_name": "Katherine", "last_name": "O'Neil", "title": "CFO",
        "phones": [{"raw": "+1 415 555 2671", "sms": True}], "emails": [{"address": "kate@acme.example"}],
        "external_ids": [{"source": "salesforce", "value": "003A"}], "custom_fields": {"customer_id": "CUS-1"},
    })
    newer = directory.create(ADMIN, "contact", {
        "first_name": "Katharine", "last_name": "O'Neil", "external_system_url": "https://crm.example/2",
        "phones": [{"raw": "(415) 555-2671"}, {"raw": "+1 415 555 9999", "kind": "cell"}],
        "emails": [{"address": "KATE@acme.example"}, {"address": "k.oneil@home.example", "kind": "personal"}],
        "external_ids": [{"source": "zendesk", "value": "77"}], "survey_opt_out": True,
        "custom_fields": {"tier": "Gold"},
    })
    stranger = directory.create(ADMIN, "contact", {"first_name": "Bob", "last_name": "O'Neil"})
    directory.add_note(ADMIN, "contact", older.id, "older note")
    directory.add_note(ADMIN, "contact", newer.id, "newer note")
    return older, newer, stranger


def test_duplicates_by_phone_email_and_similar_name(directory, twins):
    older, newer, stranger = twins
    [pair] = directory.find_duplicates(ADMIN)
    assert pair.ids == [older.id, newer.id] and pair.score == 1.0
    assert pair.reasons == ["same email kate@acme.example", "same phone +14155552671", "similar name, no organization"]
    assert [c.ids for c in directory.find_duplicates(ADMIN, contact_id=newer.id)] == [[older.id, newer.id]]
    assert directory.find_duplicates(ADMIN, contact_id=stranger.id) == []


def test_namesakes_at_different_companies_are_not_duplicates(directory):
    companies = [directory.create(ADMIN, "organization", {"name": f"Company {n}"}) for n in range(5)]
    weis = [directory.create(ADMIN, "contact", {"first_name": "Wei", "last_name": "Nakamura",
                                                "organization_id": company.id}) for company in companies]
    assert directory.find_duplicates(ADMIN) == []
    again = directory.create(ADMIN, "contact", {"first_name": "Wei", "last_name": "Nakamura",
                                                "organization_id": companies[2].id})
    [pair] = directory.find_duplicates(ADMIN)
    assert pair.ids == [weis[2].id, again.id] and pair.reasons == ["similar name, same organization"]
    assert pair.score == 0.5


def test_a_switchboard_number_shared_by_many_is_no_evidence(directory):
    for n in range(30):
        directory.create(ADMIN, "contact", {"first_name": f"Agent{n}", "last_name": f"Person{n}",
                                            "phones": [{"raw": "+1 212 555 0100"}]})
    assert directory.find_duplicates(ADMIN) == []


def test_merge_keeps_every_distinct_value_and_note(directory, twins):
    older, newer, _ = twins
    merged = directory.merge_contacts(ADMIN, older.id, [newer.id])
    assert merged.first_name == "Katherine" and merged.title == "CFO"
    assert merged.external_system_url == "https://crm.example/2"
    assert [(p.e164, p.sms) for p in merged.phones] == [("+14155552671", True), ("+14155559999", False)]
    assert [e.address for e in merged.emails] == ["kate@acme.example", "k.oneil@home.example"]
    assert [(x.source, x.value) for x in merged.external_ids] == [("salesforce", "003A"), ("zendesk", "77")]
    assert merged.custom_fields == {"customer_id": "CUS-1", "tier": "Gold"}
    assert merged.survey_opt_out is True
    assert sorted(n.text for n in directory.notes(ADMIN, "contact", older.id)) == ["newer note", "older note"]
    assert store(directory).get("contacts", newer.id) is None
    assert [c.id for c in directory.lookup(ADMIN, "+1 415 555 9999").contacts] == [older.id]
    assert directory.history(ADMIN, "contact", older.id)[0].detail == f"merged in contacts {newer.id}"
    assert directory.history(ADMIN, "contact", newer.id)[0].detail == f"merged into contact {older.id}"


def test_merge_choices_pick_values_field_by_field(directory, twins):
    older, newer, _ = twins
    merged = directory.merge_contacts(ADMIN, older.id, [newer.id], choices={"first_name": newer.id})
    assert merged.first_name == "Katharine"


def test_merge_refusals_change_nothing(directory, twins):
    older, newer, _ = twins
    with pytest.raises(ValidationFailed, match="at least one other contact"):
        directory.merge_contacts(ADMIN, older.id, [older.id])
    with pytest.raises(ValidationFailed, match="must name one of the contacts being merged"):
        directory.merge_contacts(ADMIN, older.id, [newer.id], choices={"first_name": 999})
    assert store(directory).get("contacts", newer.id) is not None
    assert len(directory.notes(ADMIN, "contact", older.id)) == 1


def test_preview_shows_the_merge_without_changing_anything(directory, twins):
    older, newer, _ = twins
    preview = directory.merge_preview(ADMIN, older.id, [newer.id], choices={"first_name": newer.id})
    assert preview.first_name == "Katharine" and len(preview.phones) == 2 and preview.id == older.id
    assert store(directory).get("contacts", newer.id) is not None
    assert directory.get_contact(ADMIN, older.id).first_name == "Katherine"
