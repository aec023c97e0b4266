"""Notes on a contact or an organization: list, add, read, edit, delete (``/contacts/{id}/notes/{note_id}``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, Field

from api.auth import Caller, Service
from core.errors import NotFound
from core.kinds import RecordKind
from core.models import Note


class NoteText(BaseModel):
    text: Annotated[str, Field(description="the note, up to 32,000 characters")]


def notes_router(kind: RecordKind) -> APIRouter:
    router = APIRouter(prefix=f"/{kind.plural}/{{record_id}}/notes", tags=[kind.plural])

    def one(actor, directory, record_id: int, note_id: int) -> Note:
        note = next((n for n in directory.notes(actor, kind, record_id) if n.id == note_id), None)
        if note is None:
            raise NotFound("note", note_id)
        return note

    @router.get("", summary=f"The notes on a {kind.value}, newest first")
    def listing(actor: Caller, directory: Service, record_id: int) -> list[Note]:
        return directory.notes(actor, kind, record_id)

    @router.post("", status_code=201, summary=f"Add a note to a {kind.value}")
    def add(actor: Caller, directory: Service, record_id: int, body: Annotated[NoteText, Body()]) -> Note:
        return directory.add_note(actor, kind, record_id, body.text)

    @router.get("/{note_id}", summary="One note")
    def read(actor: Caller, directory: Service, record_id: int, note_id: int) -> Note:
        return one(actor, directory, record_id, note_id)

    @router.patch("/{note_id}", summary="Change a note's text")
    def edit(actor: Caller, directory: Service, record_id: int, note_id: int,
             body: Annotated[NoteText, Body()]) -> Note:
        one(actor, directory, record_id, note_id)
        return directory.edit_note(actor, note_id, body.text)

    @router.delete("/{note_id}", status_code=204, summary="Delete a note")
    def delete(actor: Caller, directory: Service, record_id: int, note_id: int) -> Response:
        one(actor, directory, record_id, note_id)
        directory.delete_note(actor, note_id)
        return Response(status_code=204)

    return router
