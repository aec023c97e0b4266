"""Finding duplicate contacts and merging them into one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from core.directory import duplicates
from core.directory.base import changes_between, dump, reads
from core.directory.validation import Validation
from core.errors import ValidationFailed
from core.indexes import id_key, subject_key
from core.kinds import RecordKind
from core.models import Contact
from core.policy import Action, Actor

MAX_MERGE = 25


class Merging(Validation):
    @reads
    def find_duplicates(self, actor: Actor, contact_id: int | None = None, limit: int = 500,
                        progress: Callable[[int, int], None] | None = None) -> list[duplicates.Candidate]:
        """Pairs of contacts the actor may see that are likely one person, most likely first (see
        ``duplicates.find``); ``progress`` hears how many contacts have been read of how many."""
        if contact_id is not None:
            self.get(actor, RecordKind.contact, contact_id)
        return duplicates.find(self._repo, self._policy.visible_divisions(actor), contact_id, limit, progress)

    def _merge_plan(self, actor: Actor, survivor_id: int, other_ids: Iterable[int],
                    choices: Mapping[str, int]) -> tuple[list[Contact], dict[str, Any]]:
        others = list(dict.fromkeys(i for i in other_ids if i != survivor_id))
        if not others:
            raise ValidationFailed.one("contacts", [survivor_id], "name at least one other contact to merge")
        if len(others) + 1 > MAX_MERGE:
            raise ValidationFailed.one("contacts", len(others) + 1, f"at most {MAX_MERGE} contacts merge at once")
        records = []
        for record_id in [survivor_id, *others]:
            record = self._checked(actor, RecordKind.contact, record_id, Action.edit)
            assert isinstance(record, Contact)
            records.append(record)
        return records, duplicates.merged_values(records, choices)

    @reads
    def merge_preview(self, actor: Actor, survivor_id: int, other_ids: Iterable[int],
                      choices: Mapping[str, int] | None = None) -> Contact:
        """The contact ``merge_contacts`` would leave, without changing anything."""
        records, merged = self._merge_plan(actor, survivor_id, other_ids, choices or {})
        preview = self.validate(RecordKind.contact, {**merged, "division": records[0].division},
                                previous=dump(records[0]))
        assert isinstance(preview, Contact)
        preview.id = survivor_id
        return preview

    def merge_contacts(self, actor: Actor, survivor_id: int, other_ids: Iterable[int],
                       choices: Mapping[str, int] | None = None) -> Contact:
        """Merge duplicates into ``survivor_id``. Every distinct phone, email, social handle and external id, and
        every note and interaction, is kept; ``choices`` names, per field, the record whose value wins (by default
        the survivor's, then the most recently modified record that has one)."""
        with self._repo.transaction():
            records, merged = self._merge_plan(actor, survivor_id, other_ids, choices or {})
            survivor, others = records[0], records[1:]
            for record in others:
                assert record.id is not None
                for note_id in self._repo.find("note.subject", subject_key(RecordKind.contact, record.id)):
                    note = self._repo.get("notes", note_id) or {}
                    self._repo.replace("notes", note_id, {**note, "subject_id": survivor_id})
                for interaction_id in self._repo.find("interaction.contact", id_key(record.id)):
                    interaction = self._repo.get("interactions", interaction_id) or {}
                    self._repo.replace("interactions", interaction_id, {**interaction, "contact_id": survivor_id})
                self._repo.remove(RecordKind.contact.table, record.id)
                self._audit(RecordKind.contact, record.id, "merged", actor, changes_between(dump(record), {}),
                            f"merged into contact {survivor_id}")
            wanted = self.validate(RecordKind.contact, {**merged, "division": survivor.division},
                                   previous=dump(survivor))
            detail = "merged in contacts " + ", ".join(str(r.id) for r in others)
            merged_contact = self._commit(actor, RecordKind.contact, survivor, wanted, "merge", detail)
            if merged_contact is survivor:  # nothing of the others was new to it; the merge is still history
                self._audit(RecordKind.contact, survivor_id, "merge", actor, {}, detail)
        assert isinstance(merged_contact, Contact)
        return merged_contact
