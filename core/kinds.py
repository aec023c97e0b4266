"""The kinds of record the directory holds, and everything that varies with the kind, written once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.errors import ValidationFailed
from core.models import Contact, Organization


class RecordKind(StrEnum):
    contact = "contact"
    organization = "organization"

    @property
    def model(self) -> type[Contact] | type[Organization]:
        return _FACTS[self].model

    @property
    def table(self) -> str:
        return _FACTS[self].table

    @property
    def plural(self) -> str:
        return _FACTS[self].plural

    def noun(self, count: int) -> str:
        return self.value if count == 1 else self.plural

    @classmethod
    def of(cls, kind: str) -> RecordKind:
        """``kind`` as a RecordKind, or ValidationFailed naming the allowed kinds."""
        try:
            return cls(kind)
        except ValueError:
            allowed = " or ".join(repr(k.value) for k in cls)
            raise ValidationFailed.one("kind", kind, f"must be {allowed}") from None

    @classmethod
    def of_record(cls, record: Contact | Organization) -> RecordKind:
        return cls.contact if isinstance(record, Contact) else cls.organization


@dataclass(frozen=True)
class _KindFacts:
    model: type[Contact] | type[Organization]
    table: str
    plural: str


_FACTS = {
    RecordKind.contact: _KindFacts(Contact, "contacts", "contacts"),
    RecordKind.organization: _KindFacts(Organization, "organizations", "organizations"),
}
