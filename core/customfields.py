"""Custom fields: the schema an admin defines per entity type, and the rules values must follow."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from core.errors import FieldProblem, ValidationFailed
from core.models import FIELD_KEY, Id, Version
from core.phones import parse_phone
from core.text import CONTROLS

Entity = Literal["contact", "organization"]
MAX_FIELDS = 25


_CONTROL = re.compile(f"[{CONTROLS}]")  # terminal escapes and the like: never stored


class FieldType(StrEnum):
    text = "text"
    longtext = "longtext"
    url = "url"
    email = "email"
    phone = "phone"
    identifier = "identifier"
    enum = "enum"
    tag = "tag"
    integer = "integer"
    number = "number"
    date = "date"
    datetime = "datetime"
    checkbox = "checkbox"


# The longest value each text-like type allows, and the default when the admin sets none.
LENGTH_LIMITS = {
    FieldType.text: 100,
    FieldType.longtext: 1000,
    FieldType.url: 200,
    FieldType.email: 256,
    FieldType.phone: 100,
    FieldType.identifier: 100,
    FieldType.tag: 100,
}
MAX_TAGS = 10
INTEGER_RANGE = (-(2**63), 2**63 - 1)  # what every store (and JSON reader) keeps exactly
MAX_OPTIONS = 50


class EnumOption(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    disabled: bool = False


class CustomField(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Annotated[str, StringConstraints(pattern=FIELD_KEY)]
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    type: FieldType
    required: bool = False
    disabled: bool = False
    max_length: int | None = Field(default=None, ge=1, le=1_000_000)
    minimum: float | None = Field(default=None, allow_inf_nan=False)
    maximum: float | None = Field(default=None, allow_inf_nan=False)
    options: list[EnumOption] = Field(default_factory=list, max_length=MAX_OPTIONS)

    @model_validator(mode="after")
    def _consistent(self) -> CustomField:
        limit = LENGTH_LIMITS.get(self.type)
        if self.max_length is not None and (limit is None or self.max_length > limit):
            raise ValueError(
                f"max_length {self.max_length} is not allowed for a {self.type.value} field"
                + (f" (at most {limit})" if limit else " (only text-like fields have a length)")
            )
        if (self.minimum is not None or self.maximum is not None) and self.type not in (
            FieldType.integer,
            FieldType.number,
        ):
            raise ValueError("minimum and maximum apply only to integer and number fields")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"minimum {self.minimum} is greater than maximum {self.maximum}")
        if self.type is FieldType.enum and not self.options:
            raise ValueError("an enum field needs at least one option")
        if self.options and self.type is not FieldType.enum:
            raise ValueError("only enum fields have options")
        values = [o.value.casefold() for o in self.options]
        if len(values) != len(set(values)):
            raise ValueError("enum options must be distinct")
        return self

    @property
    def length_limit(self) -> int | None:
        return self.max_length or LENGTH_LIMITS.get(self.type)

    def describe(self) -> str:
        """What the field accepts, in words, for error messages and help."""
        kind = self.type.value
        if self.type is FieldType.enum:
            return "one of " + ", ".join(repr(o.value) for o in self.options if not o.disabled)
        if self.type is FieldType.tag:
            return f"up to {MAX_TAGS} tags of at most {self.length_limit} characters"
        if self.length_limit:
            return f"{kind}, at most {self.length_limit} characters"
        bounds = []
        if self.minimum is not None:
            bounds.append(f"at least {self.minimum:g}")
        if self.maximum is not None:
            bounds.append(f"at most {self.maximum:g}")
        examples = {FieldType.date: " (YYYY-MM-DD)", FieldType.datetime: " (ISO 8601)",
                    FieldType.checkbox: " (true or false)", FieldType.number: " (a finite number)",
                    FieldType.integer: " (a whole number of at most 19 digits)"}
        return kind + examples.get(self.type, "") + (" " + " and ".join(bounds) if bounds else "")


class CustomFieldSchema(BaseModel):
    """One version of an entity type's custom fields. Every change is stored as a new version."""

    model_config = ConfigDict(extra="forbid")

    id: Id | None = None
    entity: Entity
    version: Version = 0
    fields: list[CustomField] = Field(default_factory=list, max_length=MAX_FIELDS)
    author: str | None = None
    created_at: datetime | None = None

    @model_validator(mode="after")
    def _distinct_keys(self) -> CustomFieldSchema:
        keys = [f.key for f in self.fields]
        if len(keys) != len(set(keys)):
            raise ValueError("custom field keys must be distinct")
        return self

    def field(self, key: str) -> CustomField | None:
        return next((f for f in self.fields if f.key == key), None)


_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _convert(spec: CustomField, value: Any, region: str) -> Any:
    """The stored form of ``value`` for ``spec``, or ValueError saying what is allowed."""
    kind, limit = spec.type, spec.length_limit or 0  # every text-like type has a limit
    if kind is FieldType.checkbox:
        if isinstance(value, bool):
            return value
        text = str(value).strip().casefold()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError
    if kind in (FieldType.integer, FieldType.number):
        number = _number(value, integer=kind is FieldType.integer)
        if (spec.minimum is not None and number < spec.minimum) or (spec.maximum is not None and number > spec.maximum):
            raise ValueError
        return number
    if kind is FieldType.tag:
        items = value if isinstance(value, list) else str(value).split(",")
        tags = list(dict.fromkeys(str(t).strip() for t in items if str(t).strip()))
        if len(tags) > MAX_TAGS or any(len(t) > limit for t in tags):
            raise ValueError
        return tags
    if not isinstance(value, str):
        raise ValueError
    text = value.strip()
    if kind is FieldType.date:
        return date.fromisoformat(text).isoformat()
    if kind is FieldType.datetime:
        return datetime.fromisoformat(text).isoformat()
    if kind is FieldType.enum:
        for option in spec.options:
            if option.value.casefold() == text.casefold() and not option.disabled:
                return option.value
        raise ValueError
    if len(text) > limit or _CONTROL.search(text):
        raise ValueError
    if kind is FieldType.longtext:
        return text
    if "\n" in text or "\t" in text:
        raise ValueError
    if kind is FieldType.url and not re.match(r"^https?://[^\s/]+", text):
        raise ValueError
    if kind is FieldType.email:
        try:
            return validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValueError from None
    if kind is FieldType.phone:
        return parse_phone(text, region).e164 or _raise()
    return text


def _raise() -> Any:
    raise ValueError


def _number(value: Any, *, integer: bool) -> int | float:
    if isinstance(value, bool):
        raise ValueError
    if integer:
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,19}\s*", value):
            value = int(value)
        if isinstance(value, int) and INTEGER_RANGE[0] <= value <= INTEGER_RANGE[1]:
            return value
        raise ValueError
    if not isinstance(value, int | float | str):
        raise ValueError
    number = float(value)
    if not math.isfinite(number):
        raise ValueError
    return number


def validate_values(
    schema: CustomFieldSchema, values: dict[str, Any], previous: dict[str, Any], region: str
) -> dict[str, Any]:
    """Check ``values`` (the whole new set) against ``schema``; return them in stored form.

    ``previous`` holds the record's values before this change: values of disabled fields are kept as they were,
    but cannot be changed or added.
    """
    problems: list[FieldProblem] = []
    result: dict[str, Any] = {}
    for key, value in values.items():
        spec = schema.field(key)
        name = f"custom_fields.{key}"
        if spec is None:
            known = ", ".join(f.key for f in schema.fields if not f.disabled) or "none are defined"
            problems.append(FieldProblem(name, value, f"is not a custom field of {schema.entity}s (fields: {known})"))
            continue
        if value is None or value == "" or value == []:
            continue
        if spec.disabled:
            if key in previous and previous[key] == value:
                result[key] = value
            else:
                problems.append(FieldProblem(name, value, f"{spec.label!r} is disabled: its values are kept but cannot be changed"))
            continue
        try:
            result[key] = _convert(spec, value, region)
        except (ValueError, TypeError):
            problems.append(FieldProblem(name, value, f"{spec.label!r} must be {spec.describe()}"))
    for spec in schema.fields:
        if spec.required and not spec.disabled and spec.key not in result and not any(p.field.endswith(f".{spec.key}") for p in problems):
            problems.append(FieldProblem(f"custom_fields.{spec.key}", None, f"{spec.label!r} is required"))
    if problems:
        raise ValidationFailed(problems)
    return result
