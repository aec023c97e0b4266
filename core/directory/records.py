"""Creating, changing and deleting contacts and organizations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.directory.base import SYSTEM_FIELDS, Party, changes_between, dump, reads
from core.directory.validation import Validation
from core.errors import FieldProblem, ValidationFailed
from core.indexes import id_key, subject_key
from core.kinds import RecordKind
from core.models import DEFAULT_DIVISION, Contact
from core.phones import digits_of, e164_candidates
from core.policy import Action, Actor


class Records(Validation):
    def create(self, actor: Actor, kind: str, data: Mapping[str, Any]) -> Party:
        record_kind = RecordKind.of(kind)
        _refuse_system_fields(data)
        named = str(data.get("division") or DEFAULT_DIVISION)
        division = self._division_named(named)  # as the grants spell it, however it was typed
        self.require(actor, Action.edit, division.name if division else named)
        with self._repo.transaction():
            record = self.validate(record_kind, dict(data))
            now = self._now()
            record.version, record.created_at, record.modified_at = 1, now, now
            doc = dump(record)
            record.id = self._repo.insert(record_kind.table, doc)
            self._audit(record_kind, record.id, "create", actor, changes_between({}, doc), at=now)
        return record

    def update(self, actor: Actor, kind: str, record_id: int, changes: Mapping[str, Any],
               expected_version: int | None = None) -> Party:
        """Change the given fields; others stay as they are. ``expected_version`` guards against overwriting
        a change someone else saved since the caller read the record."""
        RecordKind.of(kind)
        _refuse_system_fields(changes)
        return self._change(actor, kind, record_id, Action.edit, dict(changes), expected_version=expected_version)

    @reads
    def problems(self, actor: Actor, kind: str, data: Mapping[str, Any], record_id: int | None = None
                 ) -> list[FieldProblem]:
        """Every problem ``create`` (or ``update`` of ``record_id``) would find in ``data``; nothing is written.
        For forms that check more than one thing before saving, so a person sees all that is wrong at once."""
        try:
            if record_id is None:
                self.validate(kind, dict(data))
            else:
                current = self._checked(actor, kind, record_id, Action.edit)
                unchanged = current.model_dump(mode="json", exclude={"version", "created_at", "modified_at"})
                self.validate(kind, {**unchanged, **data}, previous=dump(current))
        except ValidationFailed as error:
            return error.problems
        return []

    def set_survey_opt_out(self, actor: Actor, contact_id: int, opted_out: bool) -> Contact:
        """Set or clear the contact's request to receive no automated surveys (agents may do this)."""
        contact = self._change(actor, RecordKind.contact, contact_id, Action.note, {"survey_opt_out": opted_out},
                               audit_action="survey opt-out" if opted_out else "survey opt-in")
        assert isinstance(contact, Contact)
        return contact

    def set_sms(self, actor: Actor, contact_id: int, number: str, enabled: bool) -> Contact:
        """Allow or block SMS to one of the contact's numbers, named in any format."""

        def toggle(contact: Party) -> dict[str, Any]:
            assert isinstance(contact, Contact)
            index = self._phone_index(contact, number)
            phones = [p.model_dump(mode="json") for p in contact.phones]
            phones[index]["sms"] = enabled
            return {"phones": phones}

        contact = self._change(actor, RecordKind.contact, contact_id, Action.note, toggle,
                               audit_action="sms on" if enabled else "sms off")
        assert isinstance(contact, Contact)
        return contact

    def _phone_index(self, contact: Contact, number: str) -> int:
        candidates = set(e164_candidates(number, self.region))
        digits = digits_of(number)
        for i, phone in enumerate(contact.phones):
            if phone.e164 in candidates or (digits and digits_of(phone.raw) == digits):
                return i
        listed = ", ".join(p.raw for p in contact.phones) or "none"
        raise ValidationFailed.one("phone", number, f"is not one of {contact.full_name}'s numbers ({listed})")

    def delete(self, actor: Actor, kind: str, record_id: int, expected_version: int | None = None) -> None:
        """Delete a record with its notes (and a contact's interactions); an organization's contacts stay,
        unlinked from it. ``expected_version``: only the version the caller read."""
        record_kind = RecordKind.of(kind)
        with self._repo.transaction():
            record = self._checked(actor, record_kind, record_id, Action.edit)
            self._expect_version(record_kind, record, expected_version)
            for note_id in self._repo.find("note.subject", subject_key(record_kind, record_id)):
                self._repo.remove("notes", note_id)
            if record_kind is RecordKind.contact:
                for interaction_id in self._repo.find("interaction.contact", id_key(record_id)):
                    self._repo.remove("interactions", interaction_id)
            else:
                for relationship_id in self._repo.find("relationship.organization", id_key(record_id)):
                    self._repo.remove("relationships", relationship_id)
                for contact_id in self._repo.find("contact.organization", id_key(record_id)):
                    self._unlink(actor, contact_id)
            self._repo.remove(record_kind.table, record_id)
            self._audit(record_kind, record_id, "delete", actor, changes_between(dump(record), {}))

    def _unlink(self, actor: Actor, contact_id: int) -> None:
        """A contact of a deleted organization: it stays, without the link (whatever its division: the link is
        gone for everyone)."""
        contact = self._load(RecordKind.contact, contact_id)
        unlinked = contact.model_copy(update={"organization_id": None})
        self._commit(actor, RecordKind.contact, contact, unlinked, "update", "its organization was deleted")


def _refuse_system_fields(data: Mapping[str, Any]) -> None:
    if not isinstance(data, Mapping):
        raise ValidationFailed.one("record", data, "must be an object of named fields")
    given = sorted(SYSTEM_FIELDS & data.keys())
    if given:
        raise ValidationFailed.one(given[0], data[given[0]], "is set by the directory and cannot be given")
