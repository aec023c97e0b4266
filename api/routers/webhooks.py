"""Change webhooks over the API (admins): add, list, remove, and each hook's delivery log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, Field

from api.auth import Caller, Service
from core.directory import Webhook

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class NewWebhook(BaseModel):
    url: str
    events: Annotated[list[str], Field(min_length=1, description="contact.created, contact.updated, … or *")]
    divisions: list[str] | None = Field(None, description="what it hears of (default: every division)")


def shown(hook: Webhook, with_secret: bool = False) -> dict[str, Any]:
    answer = {"id": hook.id, "url": hook.url, "events": hook.events, "divisions": hook.divisions,
              "cursor": hook.cursor, "created_by": hook.created_by}
    return {**answer, "secret": hook.secret} if with_secret else answer


@router.post("", status_code=201, summary="Add a webhook; the answer holds its signing secret")
def add(actor: Caller, directory: Service, body: Annotated[NewWebhook, Body()]) -> dict[str, Any]:
    return shown(directory.add_webhook(actor, body.url, body.events, body.divisions), with_secret=True)


@router.get("", summary="The webhooks (without their secrets)")
def listing(actor: Caller, directory: Service) -> list[dict[str, Any]]:
    return [shown(hook) for hook in directory.webhooks(actor)]


@router.delete("/{hook_id}", status_code=204, summary="Remove a webhook")
def remove(actor: Caller, directory: Service, hook_id: int) -> Response:
    directory.remove_webhook(actor, hook_id)
    return Response(status_code=204)


@router.get("/{hook_id}/deliveries", summary="A webhook's latest deliveries and failed attempts, newest first")
def deliveries(actor: Caller, directory: Service, hook_id: int) -> list[dict[str, Any]]:
    return directory.webhook_deliveries(actor, hook_id)
