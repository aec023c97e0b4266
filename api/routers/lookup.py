"""Reverse lookup: who is this caller? A phone in any format (a ``tel:`` URI too), an email or a handle."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.auth import Caller, Service

router = APIRouter(tags=["lookup"])


@router.get("/lookup", summary="The contacts and organizations a phone number, email or handle belongs to")
def lookup(actor: Caller, directory: Service,
           value: Annotated[str, Query(min_length=1, max_length=300, description="+1 415 555 2671, tel:…, "
                                                                                "ada@example.com, @handle")]
           ) -> dict[str, Any]:
    found = directory.lookup(actor, value)
    return {"query": found.query, "kind": found.kind, "normalized": found.normalized,
            "contacts": [c.model_dump(mode="json") for c in found.contacts],
            "organizations": [o.model_dump(mode="json") for o in found.organizations]}
