"""Notes on contacts and organizations, and the interactions (calls, chats) recorded on contacts."""

from __future__ import annotations

from typing import Any

from core.directory.base import dump, preview, reads, validated
from core.directory.validation import Validation
from core.errors import NotFound, PermissionDenied
from core.indexes import id_key, message_key, subject_key
from core.kinds import RecordKind
from core.models import DEFAULT_DIVISION, Interaction, Note, NoteSource
from core.policy import Action, Actor


class Notes(Validation):
    def add_note(self, actor: Actor, kind: str, subject_id: int, text: str,
                 source: NoteSource | dict[str, Any] | None = None) -> Note:
        record_kind = RecordKind.of(kind)
        with self._repo.transaction():
            self._checked(actor, record_kind, subject_id, Action.note)
            now = self._now()
            note = validated(Note, {
                "subject_kind": record_kind.value, "subject_id": subject_id, "text": text, "author": actor.id,
                "source": source, "version": 1, "created_at": now, "modified_at": now,
            })
            note.id = self._repo.insert("notes", dump(note))
            self._audit(record_kind, subject_id, "note added", actor, {"note": [None, note.id]}, preview(text),
                        at=now)
        return note

    def _note_for_change(self, actor: Actor, note_id: int) -> Note:
        doc = self._repo.get("notes", note_id)
        if doc is None:
            raise NotFound("note", note_id)
        note = Note.model_validate({**doc, "id": note_id})
        subject = self._checked(actor, note.subject_kind, note.subject_id, Action.note)
        if note.author != actor.id and not self.can(actor, Action.edit, subject.division):
            raise PermissionDenied(
                f"note {note_id} was written by {note.author}; only its author or an admin may change it. "
                "Nothing was changed."
            )
        return note

    def edit_note(self, actor: Actor, note_id: int, text: str) -> Note:
        with self._repo.transaction():
            current = self._note_for_change(actor, note_id)
            note = validated(Note, {**current.model_dump(), "text": text})
            if note.text == current.text:
                return current
            note.version, note.modified_at = current.version + 1, self._now()
            self._repo.replace("notes", note_id, dump(note))
            self._audit(note.subject_kind, note.subject_id, "note edited", actor,
                        {f"note {note_id}": [current.text, note.text]}, at=note.modified_at)
        return note

    def delete_note(self, actor: Actor, note_id: int) -> None:
        with self._repo.transaction():
            note = self._note_for_change(actor, note_id)
            self._repo.remove("notes", note_id)
            self._audit(note.subject_kind, note.subject_id, "note deleted", actor,
                        {f"note {note_id}": [note.text, None]})

    @reads
    def notes(self, actor: Actor, kind: str, subject_id: int) -> list[Note]:
        """Notes on a record, newest first."""
        record_kind = RecordKind.of(kind)
        self.get(actor, record_kind, subject_id)
        ids = self._repo.find("note.subject", subject_key(record_kind, subject_id))
        notes = [Note.model_validate({**d, "id": i}) for i, d in self._repo.get_many("notes", ids).items()]
        return sorted(notes, key=lambda n: (n.created_at, n.id), reverse=True)

    @reads
    def note_texts(self, actor: Actor, kind: str, documents: dict[int, dict[str, Any]]) -> dict[int, list[str]]:
        """The texts of the notes on records an export has read (``documents``: id → stored form, as
        ``documents()`` gave them, so only records the actor sees), oldest first."""
        record_kind = RecordKind.of(kind)
        wanted = {i for i, d in documents.items() if self._sees(actor, d.get("division", DEFAULT_DIVISION))}
        if self._repo.count("notes") < len(wanted):  # fewer notes than records: one pass over the notes
            ids = self._repo.ids("notes")
        else:
            ids = [n for i in wanted for n in self._repo.find("note.subject", subject_key(record_kind, i))]
        notes = sorted(self._repo.get_many("notes", ids).items(), key=lambda n: (n[1]["created_at"], n[0]))
        texts: dict[int, list[str]] = {}
        for _, note in notes:
            if note["subject_kind"] == record_kind and note["subject_id"] in wanted:
                texts.setdefault(note["subject_id"], []).append(note["text"])
        return texts

    # ---- interactions

    def record_interaction(self, actor: Actor, contact_id: int, *, kind: str = "call", summary: str | None = None,
                           channel_id: str | None = None, channel_name: str | None = None,
                           message_ts: str | None = None, permalink: str | None = None) -> Interaction:
        """Note that a conversation with the contact happened (for example a call a telephony system announced)."""
        with self._repo.transaction():
            self._checked(actor, RecordKind.contact, contact_id, Action.note)
            interaction = validated(Interaction, {
                "contact_id": contact_id, "kind": kind, "summary": summary, "channel_id": channel_id,
                "channel_name": channel_name, "message_ts": message_ts, "permalink": permalink,
                "recorded_by": actor.id, "at": self._now()})
            interaction.id = self._repo.insert("interactions", dump(interaction))
            self._audit(RecordKind.contact, contact_id, "interaction", actor, {"interaction": [None, interaction.id]},
                        preview(summary or kind), at=interaction.at)
        return interaction

    @reads
    def interactions(self, actor: Actor, contact_id: int, limit: int | None = 10) -> list[Interaction]:
        """The contact's most recent interactions, newest first (``limit`` of them; None for all)."""
        self.get(actor, RecordKind.contact, contact_id)
        ids = self._repo.find("interaction.contact", id_key(contact_id))
        found = [Interaction.model_validate({**d, "id": i})
                 for i, d in self._repo.get_many("interactions", ids).items()]
        return sorted(found, key=lambda x: (x.at, x.id), reverse=True)[:limit]

    @reads
    def interaction_at(self, actor: Actor, channel_id: str, message_ts: str) -> Interaction | None:
        """The interaction recorded for a chat message, if any (so notes from its thread can point to it)."""
        docs = self._repo.get_many("interactions",
                                   self._repo.find("interaction.message", message_key(channel_id, message_ts)))
        for interaction_id in sorted(docs):
            interaction = Interaction.model_validate({**docs[interaction_id], "id": interaction_id})
            try:
                self.get(actor, RecordKind.contact, interaction.contact_id)
            except NotFound:
                continue
            return interaction
        return None
