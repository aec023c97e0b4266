"""Custom fields: defined per entity type, versioned, validated by type, disabled but never dropped."""

from __future__ import annotations

import pytest

from core.errors import PermissionDenied, ValidationFailed
from core.policy import Actor
from tests.conftest import ADMIN, open_directory, store

pytestmark = pytest.mark.both_stores  # run on the embedded store and on PostgreSQL

FIELDS = [
    {"key": "note_line", "label": "Note line", "type": "text"},
    {"key": "summary", "label": "Summary", "type": "longtext"},
    {"key": "portal", "label": "Portal", "type": "url"},
    {"key": "billing_email", "label": "Billing email", "type": "email"},
    {"key": "hotline", "label": "Hotline", "type": "phone"},
    {"key": "customer_id", "label": "Customer ID", "type": "identifier"},
    {"key": "tier", "label": "Tier", "type": "enum", "options": [{"value": "Gold"}, {"value": "Silver"}]},
    {"key": "skills", "label": "Skills", "type": "tag"},
    {"key": "seats", "label": "Seats", "type": "integer", "minimum": 1, "maximum": 500},
    {"key": "score", "label": "Score", "type": "number", "maximum": 10},
    {"key": "renewal", "label": "Renewal", "type": "date"},
    {"key": "last_call", "label": "Last call", "type": "datetime"},
    {"key": "vip", "label": "VIP", "type": "checkbox"},
]


@pytest.fixture
def schema_directory(directory):
    for field in FIELDS:
        directory.add_custom_field(ADMIN, "contact", field)
    return directory


def contact_with(directory, **custom):
    return directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee", "custom_fields": custom})


@pytest.mark.parametrize("key, given, stored", [
    ("note_line", "  VIP line  ", "VIP line"),
    ("summary", "line one\nline two", "line one\nline two"),
    ("portal", "https://portal.example/acme", "https://portal.example/acme"),
    ("billing_email", "billing@ACME.example", "billing@acme.example"),
    ("hotline", "(415) 555-2671", "+14155552671"),
    ("customer_id", "CUS-1", "CUS-1"),
    ("tier", "gold", "Gold"),
    ("skills", "sip, networking, sip", ["sip", "networking"]),
    ("seats", "42", 42),
    ("score", 9.5, 9.5),
    ("renewal", "2027-03-31", "2027-03-31"),
    ("last_call", "2026-11-02T10:15:00+00:00", "2026-11-02T10:15:00+00:00"),
    ("vip", "yes", True),
])
def test_values_are_stored_in_their_type(schema_directory, key, given, stored):
    contact = contact_with(schema_directory, **{key: given})
    assert contact.custom_fields == {key: stored}
    assert schema_directory.get(ADMIN, "contact", contact.id).custom_fields == {key: stored}


@pytest.mark.parametrize("key, given, words", [
    ("note_line", "x" * 101, "text, at most 100 characters"),
    ("note_line", "two\nlines", "text, at most 100"),
    ("summary", "x" * 1001, "at most 1000"),
    ("portal", "portal.example", "url"),
    ("billing_email", "billing@", "email"),
    ("hotline", "call me", "phone"),
    ("tier", "Platinum", "one of 'Gold', 'Silver'"),
    ("skills", [f"s{i}" for i in range(11)], "up to 10 tags"),
    ("seats", "0", "at least 1 and at most 500"),
    ("seats", "4.5", "integer"),
    ("score", "11", "at most 10"),
    ("score", "nan", "number"),
    ("renewal", "31/03/2027", "YYYY-MM-DD"),
    ("vip", "maybe", "true or false"),
])
def test_bad_values_name_field_value_and_rule(schema_directory, key, given, words):
    with pytest.raises(ValidationFailed) as caught:
        contact_with(schema_directory, **{key: given})
    problem = caught.value.problems[0]
    assert problem.field == f"custom_fields.{key}" and problem.value == given
    assert words in problem.message
    assert store(schema_directory).count("contacts") == 0


def test_unknown_field_lists_the_known_ones(schema_directory):
    with pytest.raises(ValidationFailed, match=r"custom_fields.colour: is not a custom field of contacts \(fields: note_line"):
        contact_with(schema_directory, colour="red")


def test_identifiers_are_unique_case_insensitively(schema_directory):
    first = contact_with(schema_directory, customer_id="CUS-9")
    with pytest.raises(ValidationFailed, match="another contact already has it"):
        contact_with(schema_directory, customer_id="cus-9")
    assert schema_directory.update(ADMIN, "contact", first.id, {"title": "CTO"}).custom_fields == {"customer_id": "CUS-9"}


def test_identifier_and_tag_values_are_searchable(schema_directory):
    contact = contact_with(schema_directory, customer_id="CUS-777", skills=["networking"])
    assert [h.id for h in schema_directory.search(ADMIN, "cus 777").hits] == [contact.id]
    assert [h.id for h in schema_directory.search(ADMIN, "network").hits] == [contact.id]


def test_disabled_field_keeps_values_but_refuses_changes(schema_directory):
    contact = contact_with(schema_directory, tier="Gold")
    schema = schema_directory.set_custom_field_disabled(ADMIN, "contact", "tier")
    assert schema.field("tier").disabled
    kept = schema_directory.update(ADMIN, "contact", contact.id, {"title": "CTO"})
    assert kept.custom_fields == {"tier": "Gold"}
    with pytest.raises(ValidationFailed, match="'Tier' is disabled: its values are kept but cannot be changed"):
        schema_directory.update(ADMIN, "contact", contact.id, {"custom_fields": {"tier": "Silver"}})
    with pytest.raises(ValidationFailed, match="is disabled"):
        contact_with(schema_directory, tier="Gold")
    schema_directory.set_custom_field_disabled(ADMIN, "contact", "tier", disabled=False)
    assert schema_directory.update(ADMIN, "contact", contact.id, {"custom_fields": {"tier": "Silver"}}).custom_fields == {"tier": "Silver"}


def test_every_schema_change_is_a_new_version_and_old_ones_stay(schema_directory):
    history = schema_directory.schema_history("contact")
    assert [s.version for s in history] == list(range(1, len(FIELDS) + 1))
    assert [f.key for f in history[0].fields] == ["note_line"]
    schema_directory.set_custom_field_disabled(ADMIN, "contact", "vip")
    assert schema_directory.schema("contact").version == len(FIELDS) + 1
    assert not schema_directory.schema_history("contact")[-2].field("vip").disabled


def test_schema_survives_reopening(schema_directory, data_dir):
    schema_directory.close()
    reopened = open_directory(data_dir)
    assert [f.key for f in reopened.schema("contact").fields] == [f["key"] for f in FIELDS]
    reopened.close()


@pytest.mark.parametrize("field, words", [
    ({"key": "Tier", "label": "T", "type": "text"}, "lower-case letter"),
    ({"key": "tier", "label": "T", "type": "colour"}, "'text', 'longtext'"),
    ({"key": "tier", "label": "T", "type": "enum"}, "at least one option"),
    ({"key": "tier", "label": "T", "type": "text", "max_length": 500}, "at most 100"),
    ({"key": "tier", "label": "T", "type": "text", "minimum": 1}, "only to integer and number"),
    ({"key": "tier", "label": "T", "type": "integer", "minimum": 5, "maximum": 1}, "greater than maximum"),
    ({"key": "tier", "label": "T", "type": "text", "required": True}, "cannot be required"),
])
def test_bad_field_definitions(directory, field, words):
    with pytest.raises(ValidationFailed, match=words):
        directory.add_custom_field(ADMIN, "contact", field)
    assert directory.schema("contact").version == 0


def test_keys_stay_reserved(schema_directory):
    schema_directory.set_custom_field_disabled(ADMIN, "contact", "vip")
    with pytest.raises(ValidationFailed, match="keys stay reserved"):
        schema_directory.add_custom_field(ADMIN, "contact", {"key": "vip", "label": "VIP", "type": "text"})


def test_at_most_25_fields(directory):
    for i in range(25):
        directory.add_custom_field(ADMIN, "organization", {"key": f"f{i}", "label": f"F{i}", "type": "text"})
    with pytest.raises(ValidationFailed, match="at most 25"):
        directory.add_custom_field(ADMIN, "organization", {"key": "f25", "label": "F25", "type": "text"})


def test_only_admins_change_schemas(data_dir):
    directory = open_directory(data_dir, '[access.default]\nrole = "agent"\n')
    with pytest.raises(PermissionDenied, match="only admins may manage custom fields"):
        directory.add_custom_field(Actor("ann"), "contact", {"key": "x", "label": "X", "type": "text"})
    directory.close()


def test_a_second_field_with_the_same_label_is_refused(directory):
    directory.add_custom_field(ADMIN, "contact", {"key": "tier", "label": "Account tier", "type": "text"})
    with pytest.raises(ValidationFailed, match="already have a field labelled like this \\('tier'\\)"):
        directory.add_custom_field(ADMIN, "contact", {"key": "tier2", "label": "account TIER", "type": "text"})
    directory.add_custom_field(ADMIN, "organization", {"key": "tier", "label": "Account tier", "type": "text"})
