"""Phone numbers as people type them, in many regions: normalized, looked up, and never lost."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ValidationFailed
from core.phones import ParsedPhone, e164_candidates, looks_like_phone, parse_phone
from tests.conftest import ADMIN, open_directory

FORMATS = [
    # typed, default region, E.164, extension
    ("+1 415 555 2671", "US", "+14155552671", None),
    ("(415) 555-2671", "US", "+14155552671", None),
    ("415.555.2671", "US", "+14155552671", None),
    ("1-415-555-2671", "US", "+14155552671", None),
    ("011 44 20 7946 0958", "US", "+442079460958", None),
    ("+1 415 555 2671 x 123", "US", "+14155552671", "123"),
    ("415-555-2671 ext. 9", "US", "+14155552671", "9"),
    ("020 7946 0958", "GB", "+442079460958", None),
    ("+44 (0)20 7946 0958", "US", "+442079460958", None),
    ("00 44 20 7946 0958", "GB", "+442079460958", None),
    ("07400 123456", "GB", "+447400123456", None),
    ("030 123456", "DE", "+4930123456", None),
    ("+49 (0) 30 123456", "US", "+4930123456", None),
    ("06 12 34 56 78", "FR", "+33612345678", None),
    ("0412 345 678", "AU", "+61412345678", None),
    ("090-1234-5678", "JP", "+819012345678", None),
    ("(11) 96123-4567", "BR", "+5511961234567", None),
    ("081234 56789", "IN", "+918123456789", None),
]
VANITY = ("1-800-FLOWERS", "US", "+18003569377", None)


@pytest.mark.parametrize("typed, region, e164, extension", [*FORMATS, VANITY])
def test_formats_normalize_to_e164(typed, region, e164, extension):
    parsed = parse_phone(typed, region)
    assert (parsed.e164, parsed.extension) == (e164, extension)


@pytest.mark.parametrize("typed, region, e164, extension", FORMATS)
def test_any_format_finds_the_stored_number(data_dir, typed, region, e164, extension):
    settings = f'[phone]\ndefault_region = "{region}"\n'
    directory = open_directory(data_dir, settings)
    contact = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee", "phones": [{"raw": e164}]})
    found = directory.lookup(ADMIN, typed)
    assert [c.id for c in found.contacts] == [contact.id]
    assert found.normalized == e164
    directory.close()


def test_typed_text_is_kept_beside_the_normalized_form(directory):
    contact = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee",
                                                  "phones": [{"raw": "(415) 555-2671 x12", "kind": "cell"}]})
    phone = contact.phones[0]
    assert (phone.raw, phone.e164, phone.extension, phone.region, phone.kind) == (
        "(415) 555-2671 x12", "+14155552671", "12", "US", "cell")


def test_sms_is_off_unless_turned_on(directory):
    contact = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee",
                                                  "phones": [{"raw": "+14155552671"}, {"raw": "+14155552672", "sms": True}]})
    assert [p.sms for p in contact.phones] == [False, True]


def test_a_region_on_the_number_beats_the_default(directory):
    contact = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee",
                                                  "phones": [{"raw": "020 7946 0958", "region": "gb"}]})
    assert (contact.phones[0].e164, contact.phones[0].region) == ("+442079460958", "GB")


def test_numbers_that_do_not_parse_are_kept_and_found_by_digits(directory):
    contact = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee",
                                                  "phones": [{"raw": "ext 4471 (reception)"}, {"raw": "12-34"}]})
    assert [p.e164 for p in contact.phones] == [None, None]
    assert [c.id for c in directory.lookup(ADMIN, "4471").contacts] == [contact.id]
    assert [c.id for c in directory.lookup(ADMIN, "1234").contacts] == [contact.id]


def test_unknown_number_says_what_was_searched(directory):
    found = directory.lookup(ADMIN, "(415) 555 0000")
    assert not found.found
    assert (found.kind, found.normalized) == ("phone", "+14155550000")


def test_organization_numbers_are_found_too(directory):
    organization = directory.create(ADMIN, "organization", {"name": "Acme", "phone": {"raw": "+1 212 555 0100"},
                                                            "fax": {"raw": "+1 212 555 0101"}})
    assert [o.id for o in directory.lookup(ADMIN, "212-555-0101").organizations] == [organization.id]


@pytest.mark.parametrize("text, expected", [("+1 415", True), ("415-555-2671 x12", True), ("12", False),
                                             ("Acme 415", False), ("jane@example.com", False)])
def test_what_looks_like_a_phone_number(text, expected):
    assert looks_like_phone(text) is expected


def test_the_parsed_form_is_always_a_candidate():
    assert list(e164_candidates("+44 (0)20 7946 0958", "US"))[-1] == "+442079460958"


def _reference(text: str, region: str) -> ParsedPhone:
    """parse_phone as phonenumbers alone computes it, without the fast path for plain numbers."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ParsedPhone(None, None, None)
    extension = number.extension or None
    if not phonenumbers.is_valid_number(number):
        return ParsedPhone(None, extension, None)
    return ParsedPhone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), extension,
                       phonenumbers.region_code_for_number(number))


@settings(max_examples=3000, deadline=None)
@given(
    code=st.sampled_from(["", "+1", "+1 ", "+44", "+44 (0)", "+49", "+33", "+39", "+7", "+61", "+55", "+54 9",
                          "+81", "+91", "+800", "+86", "+353", "+1-"]),
    digits=st.one_of(st.text("0123456789", min_size=1, max_size=16), st.sampled_from([
        "4155552671", "14155552671", "2079460958", "02079460958", "7911123456", "30123456", "030123456",
        "612345678", "0612345678", "0612345678", "3123456789", "91123456789", "0800123456", "9011234567"])),
    separator=st.sampled_from(["", " ", "-", ".", "/"]),
    region=st.sampled_from(["US", "CA", "GB", "DE", "IT", "AR", "BR", "JP"]),
)
def test_the_fast_path_for_plain_numbers_agrees_with_phonenumbers(code, digits, separator, region):
    text = code + separator.join([digits[:3], digits[3:6], digits[6:]]).strip(separator)
    parse_phone.cache_clear()
    assert parse_phone(text, region) == _reference(text, region)


def test_a_number_dialled_from_abroad_survives_later_edits(tmp_path):
    directory = open_directory(tmp_path / "data")
    contact = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee",
                                                  "phones": [{"raw": "011 44 20 7946 0958"}]})
    assert (contact.phones[0].e164, contact.phones[0].region) == ("+442079460958", "GB")
    edited = directory.update(ADMIN, "contact", contact.id, {"title": "Buyer"})
    assert edited.phones[0].e164 == "+442079460958"
    assert directory.lookup(ADMIN, "+44 20 7946 0958").contacts[0].id == contact.id
    directory.close()


@pytest.mark.parametrize("typed", ["tel:+1-415-555-2671", "TEL:+1.415.555.2671", "tel:%2B1%20415%20555%202671",
                                   "tel:555-2671;phone-context=+1-415", "tel:+1-415-555-2671;ext=12"])
def test_tel_uris_as_click_to_call_links_paste_them_find_the_contact(directory, typed):
    directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee", "phones": [{"raw": "(415) 555-2671"}]})
    found = directory.lookup(ADMIN, typed)
    assert (found.kind, found.normalized, [c.full_name for c in found.contacts]) == ("phone", "+14155552671",
                                                                                      ["Ann Lee"])


def test_a_tel_uri_is_stored_with_its_number_and_extension(directory):
    contact = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee",
                                                  "phones": [{"raw": "tel:+44-20-7946-0958;ext=12"}]})
    assert (contact.phones[0].e164, contact.phones[0].extension) == ("+442079460958", "12")


@pytest.mark.parametrize("typed", ["call me maybe", "+44", "+1", "ext."])
def test_text_that_is_no_phone_number_is_refused_as_one(directory, typed):
    with pytest.raises(ValidationFailed, match="is not a phone number: it needs digits, more than a country code"):
        directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee", "phones": [{"raw": typed}]})
    with pytest.raises(ValidationFailed, match="is not a phone number"):
        directory.create(ADMIN, "organization", {"name": "Acme", "phone": {"raw": typed}})
