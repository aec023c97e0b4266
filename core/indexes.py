"""What the directory looks records up by. Each index maps a stored document to its keys."""

from __future__ import annotations

from collections.abc import Iterator

from phonenumbers import country_code_for_region

from core.kinds import RecordKind
from core.models import DEFAULT_DIVISION
from core.phones import digits_of
from core.store.conditions import linked_key
from core.store.indexes import IndexSpec
from core.text import fold, words

TABLES = {kind.value: kind.table for kind in RecordKind}
UNREFERENCED_TABLES = ("audit", "deliveries")  # no record holds the id of one of their entries
# Change this whenever a key function below changes, so that indexes saved beside a snapshot are rebuilt.
INDEX_VERSION = "5"


# ---- keys: what a lookup asks an index for is built by the same function that indexed it

def external_id_key(source: str, value: str) -> str:
    return f"{fold(source)}={value}"


def email_key(address: str) -> str:
    return address.strip().casefold()


def custom_key(field_key: str, value: str) -> str:
    return f"{field_key}={fold(value)}"


def name_key(name: str) -> str:
    """An organization's or division's name as its index holds it: one name, however it is capitalised."""
    return fold(name.strip())


def subject_key(kind: str, record_id: int) -> str:
    return f"{kind}:{record_id}"


def message_key(channel_id: str, message_ts: str) -> str:
    return f"{channel_id}:{message_ts}"


id_key = linked_key


def _phones(doc: dict) -> Iterator[dict]:
    yield from doc.get("phones", ())
    for slot in ("phone", "fax"):
        if doc.get(slot):
            yield doc[slot]


def phone_keys(doc: dict) -> Iterator[str]:
    for phone in _phones(doc):
        if phone.get("e164"):
            yield phone["e164"]
    for social in doc.get("socials", ()):
        if social["network"] == "whatsapp":
            yield social["handle"]


def digit_keys(doc: dict) -> Iterator[str]:
    """Digits as typed, of the E.164 form, and of the national number: numbers that don't parse are still found
    by their digits, and "415555" finds +1 415 555 2671."""
    for phone in _phones(doc):
        typed = digits_of(phone["raw"])
        if len(typed) >= 3:
            yield typed
        e164 = phone.get("e164")
        if e164:
            yield e164[1:]
            if phone.get("region"):
                yield e164[1 + len(str(country_code_for_region(phone["region"]))):]


def email_keys(doc: dict) -> Iterator[str]:
    for email in doc.get("emails", ()):
        yield email_key(email["address"])


def social_keys(doc: dict) -> Iterator[str]:
    for social in doc.get("socials", ()):
        yield fold(social["handle"])


def _custom_strings(doc: dict) -> Iterator[tuple[str, str]]:
    for key, value in doc.get("custom_fields", {}).items():
        if isinstance(value, str):
            yield key, value
        elif isinstance(value, list):
            yield from ((key, item) for item in value if isinstance(item, str))


def custom_keys(doc: dict) -> Iterator[str]:
    """``key=value`` (folded) for every text custom value: identifier uniqueness and exact lookups."""
    for key, value in _custom_strings(doc):
        yield custom_key(key, value)


def external_id_keys(doc: dict) -> Iterator[str]:
    for item in doc.get("external_ids", ()):
        yield external_id_key(item["source"], item["value"])


def _shared_terms(doc: dict) -> Iterator[str]:
    for _, value in _custom_strings(doc):
        yield from words(value)
    for item in doc.get("external_ids", ()):
        yield from words(item["value"])


def contact_terms(doc: dict) -> Iterator[str]:
    for field in ("first_name", "middle_name", "last_name", "title"):
        if doc.get(field):
            yield from words(doc[field])
    for email in doc.get("emails", ()):
        yield from words(email["address"])
    for social in doc.get("socials", ()):
        yield from words(social["handle"])
    yield from _shared_terms(doc)


def organization_terms(doc: dict) -> Iterator[str]:
    yield from words(doc["name"])
    for tag in doc.get("tags", ()):
        yield from words(tag)
    yield from _shared_terms(doc)


def division_keys(doc: dict) -> list[str]:
    return [doc.get("division", DEFAULT_DIVISION)]


def last_name_keys(doc: dict) -> list[str]:
    return [fold(doc["last_name"])]


def contact_order_keys(doc: dict) -> list[str]:
    """Name order (last name, first name), unique per document: browsing lists walk this index."""
    return [f"{fold(doc['last_name'])}\x1f{fold(doc['first_name'])}\x1f{doc.get('middle_name', '')}"]


def names_of_order_key(key: str) -> tuple[str, str]:
    """The folded last and first name a ``contact.order`` key holds."""
    last, first, _ = key.split("\x1f", 2)
    return last, first


def organization_order_keys(doc: dict) -> list[str]:
    return [name_key(doc["name"])]


def organization_link_keys(doc: dict) -> list[str]:
    return [id_key(doc["organization_id"])] if doc.get("organization_id") else []


def _party_indexes(kind: str, terms) -> list[IndexSpec]:
    table = TABLES[kind]
    return [
        IndexSpec(f"{kind}.phone", table, phone_keys),
        IndexSpec(f"{kind}.digits", table, digit_keys, ordered=True),
        IndexSpec(f"{kind}.terms", table, terms, ordered=True),
        IndexSpec(f"{kind}.division", table, division_keys, counted=True),
        IndexSpec(f"{kind}.custom", table, custom_keys),
        IndexSpec(f"{kind}.external_id", table, external_id_keys),
    ]


INDEXES: list[IndexSpec] = [
    *_party_indexes("contact", contact_terms),
    *_party_indexes("organization", organization_terms),
    IndexSpec("contact.email", "contacts", email_keys),
    IndexSpec("contact.social", "contacts", social_keys),
    IndexSpec("contact.last_name", "contacts", last_name_keys),
    IndexSpec("contact.order", "contacts", contact_order_keys, ordered=True, sort_key=True),
    IndexSpec("organization.order", "organizations", organization_order_keys, ordered=True, sort_key=True),
    IndexSpec("contact.organization", "contacts", organization_link_keys),
    IndexSpec("note.subject", "notes", lambda doc: [subject_key(doc["subject_kind"], doc["subject_id"])]),
    IndexSpec("interaction.contact", "interactions", lambda doc: [id_key(doc["contact_id"])]),
    IndexSpec("interaction.message", "interactions",
              lambda doc: [message_key(doc["channel_id"], doc["message_ts"])] if doc.get("message_ts") else []),
    IndexSpec("relationship.organization", "relationships", lambda doc: [id_key(doc["organization_id"])]),
    IndexSpec("relationship.user", "relationships", lambda doc: [doc["user"]]),
    IndexSpec("audit.subject", "audit", lambda doc: [doc["subject"]]),
    IndexSpec("schema.entity", "schemas", lambda doc: [doc["entity"]]),
    IndexSpec("division.name", "divisions", lambda doc: [name_key(doc["name"])]),
    IndexSpec("delivery.key", "deliveries", lambda doc: [doc["key"]]),
]
INDEX_TABLES = {spec.name: spec.table for spec in INDEXES}
