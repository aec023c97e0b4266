"""What only organizations have: the contacts that work there."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import Caller, Service
from core.models import Contact

router = APIRouter(prefix="/organizations", tags=["organizations"])


@router.get("/{organization_id}/contacts", summary="The contacts of an organization (those you may see)")
def contacts(actor: Caller, directory: Service, organization_id: int) -> list[Contact]:
    return directory.contacts_of(actor, organization_id)
