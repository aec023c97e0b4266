"""The records of the directory, validated on every write.

Limits follow the product's field reference (``shared/reference/external-contacts.md``). Derived phone fields are
computed from what was typed, using the region in the validation context (``{"region": "GB"}``;
``DEFAULT_REGION`` without one); records read back
from the store were validated when written and are built with ``{"stored": True}`` so reads never re-parse phones.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.phones import DEFAULT_REGION, has_number, is_region, parse_phone, read_number

DEFAULT_DIVISION = "Home"


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _with_scheme(value: Any) -> Any:
    """A website as people write it (``www.example.com``, ``example.com/about``) is an https:// address."""
    if isinstance(value, str) and "://" not in value and re.match(r"^\s*[\w-]+(\.[\w-]+)+(/\S*)?\s*$", value):
        return "https://" + value.strip()
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// address")
    return value


SINGLE_LINE = r"^[^\r\n]*$"
DIVISION_NAME = r"^[\w][\w .&-]*$"
FIELD_KEY = r"^[a-z][a-z0-9_]{0,63}$"

# What each pattern means, for error messages a person can act on.
PATTERN_RULES = {
    SINGLE_LINE: "must be a single line",
    DIVISION_NAME: "may hold letters, digits, spaces, '.', '&' and '-', starting with a letter or digit",
    FIELD_KEY: "must start with a lower-case letter and hold only lower-case letters, digits and _ (at most 64)",
}


def line(max_length: int) -> StringConstraints:
    """A trimmed single line of 1 to ``max_length`` characters."""
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length, pattern=SINGLE_LINE)


BLANK_IS_NONE = BeforeValidator(_blank_to_none)  # an optional field left blank is not set
Name = Annotated[str, line(1000)]
OptionalName = Annotated[str | None, line(1000), BLANK_IS_NONE]
Url = Annotated[str, BeforeValidator(_with_scheme), StringConstraints(strip_whitespace=True, min_length=1,
                                                                      max_length=1000), AfterValidator(_http_url)]
OptionalUrl = Annotated[Url | None, BeforeValidator(_blank_to_none)]
# Ids and versions: what every store (and any JSON reader) keeps exactly; larger numbers are refused by name.
LARGEST_ID = 2**63 - 1
Id = Annotated[int, Field(ge=0, le=LARGEST_ID)]
Version = Annotated[int, Field(ge=0, le=LARGEST_ID)]
DivisionName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=DIVISION_NAME)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhoneKind(StrEnum):
    work = "work"
    cell = "cell"
    home = "home"
    other = "other"
    fax = "fax"


class Phone(Strict):
    """A number as typed (``raw``) and what it normalizes to. SMS is off until someone turns it on."""

    kind: PhoneKind = PhoneKind.work
    raw: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    e164: str | None = None
    extension: str | None = None
    region: Annotated[str | None, BeforeValidator(_blank_to_none)] = None
    sms: bool = False

    @property
    def can_sms(self) -> bool:
        """Whether texts could go to this number at all (a fax cannot take them): front ends show SMS for these."""
        return self.kind is not PhoneKind.fax

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not is_region(value):
            raise ValueError("must be a two-letter region code such as US or GB")
        return value.upper()

    @model_validator(mode="after")
    def _normalize(self, info: ValidationInfo) -> Phone:
        context = info.context or {}
        if context.get("stored"):
            return self
        if self.sms and not self.can_sms:
            raise ValueError("a fax number cannot receive SMS; turn SMS off or choose another kind")
        if not has_number(self.raw):
            raise ValueError("is not a phone number: it needs digits, more than a country code")
        parsed = read_number(self.raw, self.region, context.get("region", DEFAULT_REGION))
        self.e164 = parsed.e164
        self.extension = parsed.extension or self.extension  # typed in the number, or given beside it
        self.region = parsed.region or self.region
        return self


class EmailKind(StrEnum):
    work = "work"
    personal = "personal"
    other = "other"


class Email(Strict):
    kind: EmailKind = EmailKind.work
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]

    @field_validator("address")
    @classmethod
    def _valid_syntax(cls, address: str, info: ValidationInfo) -> str:
        if (info.context or {}).get("stored"):
            return address
        try:
            return validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise ValueError(f"is not a valid email address: {error}") from None


class SocialNetwork(StrEnum):
    whatsapp = "whatsapp"
    twitter = "twitter"
    facebook = "facebook"
    line = "line"
    instagram = "instagram"


_HANDLE_RULES = {
    SocialNetwork.twitter: (re.compile(r"^[A-Za-z0-9_]+$"), "letters, digits and _ (an @ in front is dropped)"),
    SocialNetwork.instagram: (re.compile(r"^[A-Za-z0-9._]{1,30}$"), "up to 30 letters, digits, . and _"),
    SocialNetwork.facebook: (re.compile(r"^\S+$"), "no spaces"),
    SocialNetwork.line: (re.compile(r"^\S+$"), "no spaces"),
}


class Social(Strict):
    network: SocialNetwork
    handle: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    display_name: Annotated[str | None, line(100), BLANK_IS_NONE] = None

    @model_validator(mode="after")
    def _check_handle(self, info: ValidationInfo) -> Social:
        context = info.context or {}
        if context.get("stored"):
            return self
        if self.network is SocialNetwork.whatsapp:
            parsed = parse_phone(self.handle, context.get("region", DEFAULT_REGION))
            if not parsed.e164:
                raise ValueError(f"a WhatsApp handle is a phone number; {self.handle!r} is not a valid one")
            self.handle = parsed.e164
            return self
        self.handle = self.handle.removeprefix("@")
        pattern, rule = _HANDLE_RULES[self.network]
        if not pattern.match(self.handle):
            raise ValueError(f"a {self.network.value} handle allows {rule}; got {self.handle!r}")
        return self


class Address(Strict):
    """A postal address. The street may be typed (or exported) on several lines: the first is ``address1``, the
    rest ``address2``, lines after the second joined to it with commas (Genesys has two street fields)."""

    address1: Annotated[str | None, line(200), BLANK_IS_NONE] = None
    address2: Annotated[str | None, line(200), BLANK_IS_NONE] = None
    city: Annotated[str | None, line(100), BLANK_IS_NONE] = None
    state: Annotated[str | None, line(50), BLANK_IS_NONE] = None
    postal_code: Annotated[str | None, line(25), BLANK_IS_NONE] = None
    country_code: Annotated[str | None, line(25), BLANK_IS_NONE] = None

    @model_validator(mode="before")
    @classmethod
    def _street_lines(cls, data: Any) -> Any:
        return street_lines(data)


def street_lines(data: Any) -> Any:
    """An address with its street lines in ``address1`` and ``address2`` (see ``Address``)."""
    if not isinstance(data, dict):
        return data
    if not any(isinstance(data.get(key), str) and len(data[key].splitlines()) > 1 for key in ("address1", "address2")):
        return data
    lines = [text.strip() for key in ("address1", "address2") if isinstance(data.get(key), str)
             for text in data[key].splitlines() if text.strip()]
    return {**data, "address1": lines[0] if lines else None, "address2": ", ".join(lines[1:]) or None}


class ExternalId(Strict):
    """The key another system (a CRM, a billing system) uses for this record."""

    source: Annotated[str, line(255)]
    value: Annotated[str, line(255)]


class Stored(Strict):
    """What the directory keeps and changes: an id, set when stored, and a version that each change moves on."""

    id: Id | None = None
    version: Version = 0

    @property
    def key(self) -> int:
        """The id of a record read from the directory (one still being built has none: ValueError)."""
        if self.id is None:
            raise ValueError(f"this {type(self).__name__.lower()} is not stored yet")
        return self.id


class Record(Stored):
    """Fields every directory record has; ``id``, ``version`` and the timestamps are set by the store."""

    division: DivisionName = DEFAULT_DIVISION
    created_at: datetime | None = None
    modified_at: datetime | None = None


class Party(Record):
    """What contacts and organizations share."""

    address: Address | None = None
    external_system_url: OptionalUrl = None
    external_ids: list[ExternalId] = Field(default_factory=list, max_length=10)
    custom_fields: dict[str, Any] = Field(default_factory=dict)

    @field_validator("external_ids")
    @classmethod
    def _distinct_ids(cls, ids: list[ExternalId]) -> list[ExternalId]:
        seen = set()
        for item in ids:
            key = (item.source.casefold(), item.value)
            if key in seen:
                raise ValueError(f"{item.source} id {item.value!r} is listed twice")
            seen.add(key)
        return ids


class Contact(Party):
    first_name: Name
    middle_name: OptionalName = None
    last_name: Name
    salutation: OptionalName = None
    title: OptionalName = None
    organization_id: Id | None = None
    phones: list[Phone] = Field(default_factory=list)
    emails: list[Email] = Field(default_factory=list)
    socials: list[Social] = Field(default_factory=list)
    survey_opt_out: bool = False

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)


class Organization(Party):
    name: Name
    websites: list[Url] = Field(default_factory=list, max_length=20)
    phone: Phone | None = None
    fax: Phone | None = None
    industry: Annotated[str | None, line(255), BLANK_IS_NONE] = None
    company_type: Annotated[str | None, line(255), BLANK_IS_NONE] = None
    tags: list[Annotated[str, line(100)]] = Field(default_factory=list, max_length=50)

    @property
    def full_name(self) -> str:
        return self.name


SubjectKind = Literal["contact", "organization"]


class NoteSource(Strict):
    """Where a note came from, for example a Slack message."""

    channel_id: Annotated[str | None, line(100), BLANK_IS_NONE] = None
    channel_name: Annotated[str | None, line(255), BLANK_IS_NONE] = None
    message_ts: Annotated[str | None, line(50), BLANK_IS_NONE] = None
    permalink: OptionalUrl = None
    interaction_id: Id | None = None


class Note(Stored):
    subject_kind: SubjectKind
    subject_id: Id
    text: Annotated[str, StringConstraints(min_length=1, max_length=32_000)]
    author: Annotated[str, line(255)]
    source: NoteSource | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("must not be blank")
        return text


class Interaction(Strict):
    """A conversation with a contact that the directory saw, such as a call a telephony integration announced."""

    id: Id | None = None
    contact_id: Id
    kind: Annotated[str, line(50)] = "call"
    summary: Annotated[str | None, line(1000), BLANK_IS_NONE] = None
    channel_id: Annotated[str | None, line(100), BLANK_IS_NONE] = None
    channel_name: Annotated[str | None, line(255), BLANK_IS_NONE] = None
    message_ts: Annotated[str | None, line(50), BLANK_IS_NONE] = None
    permalink: OptionalUrl = None
    recorded_by: Annotated[str, line(255)]
    at: datetime


class Relationship(Stored):
    """An internal user's role towards an organization, such as its account manager."""

    organization_id: Id
    user: Annotated[str, line(255)]
    role: Annotated[str, line(100)]
    created_at: datetime | None = None
    modified_at: datetime | None = None


class Division(Stored):
    name: DivisionName
    description: Annotated[str | None, line(1000), BLANK_IS_NONE] = None
    created_at: datetime | None = None
    modified_at: datetime | None = None


class AuditEntry(Strict):
    """One change: who, when, what. ``changes`` maps a field to ``[before, after]``."""

    id: Id | None = None
    subject: str
    action: str
    actor: str
    at: datetime
    changes: dict[str, list[Any]] = Field(default_factory=dict)
    detail: str | None = None
