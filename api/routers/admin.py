"""Shaping the directory over HTTP: merging duplicates, moving records between divisions, divisions, and the
custom-field schemas with their versions. Who may do each is the policy's to say, as everywhere."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import Caller, Service
from api.routers.records import Plural, record_response
from core.customfields import CustomFieldSchema
from core.kinds import RecordKind
from core.models import Division
from core.policy import Action

router = APIRouter()


class MergeRequest(BaseModel):
    survivor_id: int = Field(description="the contact that stays, with its id")
    other_ids: Annotated[list[int], Field(min_length=1, max_length=24, description="merged into it, then gone")]
    choices: dict[str, int] = Field(default_factory=dict, description="field → the id whose value wins")
    preview: bool = Field(False, description="say what the merge would leave; change nothing")


class MoveRequest(BaseModel):
    division: str


class NewDivision(BaseModel):
    name: str
    description: str | None = None


class DivisionChange(BaseModel):
    name: str | None = Field(None, description="a new name (every record in it follows)")
    description: str | None = None


@router.post("/contacts/merge", tags=["contacts"], summary="Merge 2–25 contacts into one (its id is kept)")
def merge(actor: Caller, directory: Service, body: Annotated[MergeRequest, Body()]) -> JSONResponse:
    if body.preview:
        return JSONResponse(directory.merge_preview(actor, body.survivor_id, body.other_ids, body.choices)
                            .model_dump(mode="json"))
    return record_response(directory.merge_contacts(actor, body.survivor_id, body.other_ids, body.choices))


@router.post("/{plural}/{record_id}/move", tags=["divisions"], summary="Put a record in another division")
def move(actor: Caller, directory: Service, plural: Plural, record_id: int,
         body: Annotated[MoveRequest, Body()]) -> JSONResponse:
    return record_response(directory.move(actor, plural.kind, record_id, body.division).record)


@router.get("/divisions", tags=["divisions"], summary="Every division")
def divisions(actor: Caller, directory: Service) -> list[Division]:
    return directory.divisions()


@router.post("/divisions", status_code=201, tags=["divisions"], summary="Add a division (admins)")
def add_division(actor: Caller, directory: Service, body: Annotated[NewDivision, Body()]) -> Division:
    return directory.create_division(actor, body.name, body.description)


@router.patch("/divisions/{name}", tags=["divisions"], summary="Rename or describe a division (admins)")
def change_division(actor: Caller, directory: Service, name: str,
                    body: Annotated[DivisionChange, Body()]) -> Division:
    division = directory.division(name)
    if body.name is not None and body.name != division.name:
        division = directory.rename_division(actor, division.name, body.name)
    if "description" in body.model_fields_set:
        division = directory.describe_division(actor, division.name, body.description)
    return division


@router.get("/schemas/{entity}", tags=["schemas"], summary="The custom fields of contacts or organizations")
def schema(actor: Caller, directory: Service, entity: str) -> CustomFieldSchema:
    directory.require(actor, Action.view)
    return directory.schema(RecordKind.of(entity))


@router.get("/schemas/{entity}/versions", tags=["schemas"], summary="Every version of a schema, oldest first")
def versions(actor: Caller, directory: Service, entity: str) -> list[CustomFieldSchema]:
    directory.require(actor, Action.view)
    return directory.schema_history(RecordKind.of(entity))


@router.post("/schemas/{entity}/fields", status_code=201, tags=["schemas"],
             summary="Add a custom field (a new schema version; admins)")
def add_field(actor: Caller, directory: Service, entity: str,
              body: Annotated[dict[str, Any], Body()]) -> CustomFieldSchema:
    return directory.add_custom_field(actor, RecordKind.of(entity), body)


@router.post("/schemas/{entity}/fields/{key}/disable", tags=["schemas"],
             summary="Disable a custom field: its values stay, and stay searchable (admins)")
def disable_field(actor: Caller, directory: Service, entity: str, key: str) -> CustomFieldSchema:
    return directory.set_custom_field_disabled(actor, RecordKind.of(entity), key, True)


@router.post("/schemas/{entity}/fields/{key}/enable", tags=["schemas"], summary="Enable a disabled field (admins)")
def enable_field(actor: Caller, directory: Service, entity: str, key: str) -> CustomFieldSchema:
    return directory.set_custom_field_disabled(actor, RecordKind.of(entity), key, False)
