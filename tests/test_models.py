"""Validation rules of records: each error names the field and the value, and says what is allowed."""

from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from tests.conftest import ADMIN, store


def create_error(directory, kind: str, data: dict) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        directory.create(ADMIN, kind, data)
    return caught.value


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({"last_name": "Lee"}, "first_name", "required"),
        ({"first_name": "   ", "last_name": "Lee"}, "first_name", "is required"),
        ({"first_name": "A" * 1001, "last_name": "Lee"}, "first_name", "at most 1000 characters"),
        ({"first_name": "Ann\nEve", "last_name": "Lee"}, "first_name", "single line"),
        ({"first_name": "Ann", "last_name": "Lee", "emails": [{"address": "ann@"}]}, "emails.0.address",
         "not a valid email address"),
        ({"first_name": "Ann", "last_name": "Lee", "emails": [{"address": "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"}]},
         "emails.0.address", "at most 256"),
        ({"first_name": "Ann", "last_name": "Lee", "emails": [{"kind": "pager", "address": "a@b.co"}]},
         "emails.0.kind", "'work', 'personal' or 'other'"),
        ({"first_name": "Ann", "last_name": "Lee", "external_system_url": "javascript:alert(1)"},
         "external_system_url", "http:// or https://"),
        ({"first_name": "Ann", "last_name": "Lee", "socials": [{"network": "twitter", "handle": "ann lee"}]},
         "socials.0", "letters, digits and _"),
        ({"first_name": "Ann", "last_name": "Lee", "socials": [{"network": "whatsapp", "handle": "hello"}]},
         "socials.0", "WhatsApp handle is a phone number"),
        ({"first_name": "Ann", "last_name": "Lee", "phones": [{"raw": "+1 415 555 2671", "region": "XX"}]},
         "phones.0.region", "two-letter region code"),
        ({"first_name": "Ann", "last_name": "Lee", "phones": [{"raw": "+1 415 555 2671", "kind": "pager"}]},
         "phones.0.kind", "'work', 'cell', 'home', 'other' or 'fax'"),
        ({"first_name": "Ann", "last_name": "Lee", "phones": [{"raw": "+1 415 555 2671", "kind": "fax", "sms": True}]},
         "phones.0", "a fax number cannot receive SMS"),
        ({"first_name": "Ann", "last_name": "Lee", "address": {"state": "S" * 51}}, "address.state", "at most 50"),
        ({"first_name": "Ann", "last_name": "Lee", "address": {"postal_code": "1" * 26}}, "address.postal_code",
         "at most 25"),
        ({"first_name": "Ann", "last_name": "Lee",
          "external_ids": [{"source": "crm", "value": str(i)} for i in range(11)]}, "external_ids", "at most 10"),
        ({"first_name": "Ann", "last_name": "Lee",
          "external_ids": [{"source": "crm", "value": "7"}, {"source": "CRM", "value": "7"}]}, "external_ids",
         "listed twice"),
        ({"first_name": "Ann", "last_name": "Lee", "organization_id": 999}, "organization_id", "not an organization"),
        ({"first_name": "Ann", "last_name": "Lee", "division": "Nowhere"}, "division", "not a division"),
        ({"first_name": "Ann", "last_name": "Lee", "nickname": "Annie"}, "nickname", "is not a field of this record"),
        ({"first_name": "Ann", "last_name": "Lee", "id": 5}, "id", "set by the directory"),
    ],
)
def test_contact_rules(directory, data, field, words):
    error = create_error(directory, "contact", data)
    problem = next(p for p in error.problems if p.field == field)
    assert words in problem.message
    assert field in str(error)
    assert store(directory).count("contacts") == 0


def test_error_message_shows_the_value(directory):
    error = create_error(directory, "contact", {"first_name": "Ann", "last_name": "Lee",
                                                "external_system_url": "ftp://crm.example/1"})
    assert str(error) == "external_system_url: must be an http:// or https:// address (got 'ftp://crm.example/1')"


def test_names_are_trimmed_and_optional_blanks_dropped(directory):
    contact = directory.create(ADMIN, "contact", {"first_name": "  Ann ", "last_name": " Lee", "title": "  "})
    assert (contact.first_name, contact.last_name, contact.title) == ("Ann", "Lee", None)
    stored = store(directory).get("contacts", contact.id)
    assert "title" not in stored and stored["first_name"] == "Ann"


def test_social_handles_are_normalized(directory):
    contact = directory.create(ADMIN, "contact", {
        "first_name": "Ann", "last_name": "Lee",
        "socials": [{"network": "twitter", "handle": "@ann_lee"}, {"network": "whatsapp", "handle": "(415) 555-2671"}],
    })
    assert [s.handle for s in contact.socials] == ["ann_lee", "+14155552671"]


def test_email_keeps_address_and_normalizes_domain(directory):
    contact = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee",
                                                  "emails": [{"kind": "personal", "address": "Ann.Lee@EXAMPLE.com"}]})
    assert contact.emails[0].address == "Ann.Lee@example.com"


def test_organization_rules(directory):
    error = create_error(directory, "organization", {"name": "", "websites": ["ftp://acme.com"], "tags": ["x" * 101]})
    fields = {p.field for p in error.problems}
    assert {"name", "websites.0", "tags.0"} <= fields


def test_websites_as_people_write_them_get_https(directory):
    organization = directory.create(ADMIN, "organization", {"name": "Acme", "websites": [
        "www.acme.example", "acme.example/support", "http://old.acme.example"]})
    assert organization.websites == ["https://www.acme.example", "https://acme.example/support",
                                     "http://old.acme.example"]


def test_a_street_on_several_lines_is_kept_line_by_line(directory):
    contact = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee", "address": {
        "address1": "Unit 4\r\nHarbour Buildings\n\n12 Dock Road", "city": "Leith"}})
    assert (contact.address.address1, contact.address.address2) == ("Unit 4", "Harbour Buildings, 12 Dock Road")


@pytest.mark.parametrize("text, words", [("", "is required"), ("   \n", "must not be blank"),
                                          ("x" * 32_001, "at most 32000")])
def test_note_text_rules(directory, text, words):
    contact = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee"})
    with pytest.raises(ValidationFailed, match=words):
        directory.add_note(ADMIN, "contact", contact.id, text)
    assert store(directory).count("notes") == 0


def test_a_note_of_32000_characters_is_kept_whole(directory):
    contact = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee"})
    text = "x" * 31_999 + "!"
    directory.add_note(ADMIN, "contact", contact.id, text)
    assert directory.notes(ADMIN, "contact", contact.id)[0].text == text


@pytest.mark.parametrize("role, words", [("", "is required"), ("r" * 101, "at most 100")])
def test_relationship_role_rules(directory, role, words):
    organization = directory.create(ADMIN, "organization", {"name": "Acme"})
    with pytest.raises(ValidationFailed, match=words) as caught:
        directory.add_relationship(ADMIN, organization.id, "bob", role)
    assert caught.value.problems[0].field == "role"


def test_division_names(directory):
    with pytest.raises(ValidationFailed, match="may hold letters, digits"):
        directory.create_division(ADMIN, "<!channel>")
    directory.create_division(ADMIN, "EMEA")
    with pytest.raises(ValidationFailed, match="exists already"):
        directory.create_division(ADMIN, "emea")
