"""What hangs off a record besides notes: an organization's relationships (an internal user's role towards it, such
as account manager) and a contact's interactions (conversations a telephony or chat system saw)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, Field

from api.auth import Caller, Service
from core.errors import NotFound
from core.models import Interaction, Relationship

router = APIRouter()


class NewRelationship(BaseModel):
    user: str = Field(description="the internal user, e.g. sam@us.example")
    role: str = Field(description="their role towards the organization, e.g. account manager")


class NewInteraction(BaseModel):
    kind: str = "call"
    summary: str | None = None
    channel_id: str | None = None
    channel_name: str | None = None
    message_ts: str | None = None
    permalink: str | None = None


@router.get("/organizations/{organization_id}/relationships", tags=["organizations"],
            summary="Who in the company has which role towards an organization")
def relationships(actor: Caller, directory: Service, organization_id: int) -> list[Relationship]:
    return directory.relationships(actor, organization_id)


@router.post("/organizations/{organization_id}/relationships", status_code=201, tags=["organizations"],
             summary="Add a relationship")
def add_relationship(actor: Caller, directory: Service, organization_id: int,
                     body: Annotated[NewRelationship, Body()]) -> Relationship:
    return directory.add_relationship(actor, organization_id, body.user, body.role)


@router.delete("/organizations/{organization_id}/relationships/{relationship_id}", status_code=204,
               tags=["organizations"], summary="Remove a relationship")
def remove_relationship(actor: Caller, directory: Service, organization_id: int, relationship_id: int) -> Response:
    if all(r.id != relationship_id for r in directory.relationships(actor, organization_id)):
        raise NotFound("relationship", relationship_id)
    directory.remove_relationship(actor, relationship_id)
    return Response(status_code=204)


@router.get("/contacts/{contact_id}/interactions", tags=["contacts"], summary="A contact's interactions, newest first")
def interactions(actor: Caller, directory: Service, contact_id: int,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[Interaction]:
    return directory.interactions(actor, contact_id, limit)


@router.post("/contacts/{contact_id}/interactions", status_code=201, tags=["contacts"],
             summary="Record a conversation with a contact (a call, a chat)")
def record_interaction(actor: Caller, directory: Service, contact_id: int,
                       body: Annotated[NewInteraction, Body()]) -> Interaction:
    return directory.record_interaction(actor, contact_id, **body.model_dump())
