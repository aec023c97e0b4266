"""Bulk writes: up to 1,000 creates, updates, upserts by external id, or deletes in one request, each item with its
own result. ``atomic``: all or nothing (any failure writes none, 422); otherwise the good items are written and
the bad ones reported. Either way one durable commit."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import Caller, Service
from api.problems import MEDIA_TYPE, shown, status_of
from api.routers.records import SYSTEM_FIELDS
from core.directory import Directory, MatchBy, Party
from core.errors import ContactsError, ValidationFailed
from core.kinds import RecordKind
from core.policy import Actor

MAX_ITEMS = 1000


class Operation(StrEnum):
    create = "create"
    update = "update"  # items name the record by "id"; the fields given change, others stay
    upsert = "upsert"  # items are matched by their first external id: updated if found, else created
    delete = "delete"  # items are {"id": …} (and "version" to delete only that version)


class BulkRequest(BaseModel):
    operation: Operation
    atomic: bool = Field(False, description="all items or none")
    items: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_ITEMS)]


class _Failed(Exception):
    """Ends an atomic request's transaction without keeping anything."""


def bulk_router(kind: RecordKind) -> APIRouter:
    router = APIRouter(prefix=f"/{kind.plural}", tags=[kind.plural])

    @router.post("/bulk", summary=f"Create, update, upsert or delete up to {MAX_ITEMS:,} {kind.plural} at once")
    def bulk(actor: Caller, directory: Service, request: Annotated[BulkRequest, Body()]) -> JSONResponse:
        results: list[dict[str, Any]] = []
        try:
            with directory.batch():
                for index, item in enumerate(request.items):
                    results.append(_one(directory, actor, kind, request.operation, index, item))
                if request.atomic and any(not r["success"] for r in results):
                    raise _Failed
        except _Failed:
            for result in results:
                if result["success"]:
                    result.update(success=False, status=409, entity=None,
                                  error={"detail": "not written: another item failed and the request is atomic"})
        failed = [r["index"] for r in results if not r["success"]]
        body = {"results": results, "error_count": len(failed), "error_indexes": failed}
        if request.atomic and failed:
            body = {"type": "about:blank", "title": "No item was written", "status": 422,
                    "detail": f"{len(failed)} of {len(results)} items failed, and the request is atomic", **body}
            return JSONResponse(body, status_code=422, media_type=MEDIA_TYPE)
        return JSONResponse(body)

    return router


def _one(directory: Directory, actor: Actor, kind: RecordKind, operation: Operation, index: int,
         item: dict[str, Any]) -> dict[str, Any]:
    try:
        record = _apply(directory, actor, kind, operation, item)
    except ContactsError as error:
        status, title = status_of(error)
        problems = error.problems if isinstance(error, ValidationFailed) else []
        return {"index": index, "id": item.get("id"), "success": False, "status": status,
                "error": {"title": title, "detail": str(error),
                          "errors": [{"field": p.field, "value": shown(p.value), "rule": p.message} for p in problems]}}
    return {"index": index, "id": item.get("id") if record is None else record.id, "success": True,
            "status": 204 if record is None else 200, "entity": None if record is None else record.model_dump(mode="json")}


def _apply(directory: Directory, actor: Actor, kind: RecordKind, operation: Operation,
           item: dict[str, Any]) -> Party | None:
    fields = {k: v for k, v in item.items() if k not in SYSTEM_FIELDS}
    if operation is Operation.create:
        return directory.create(actor, kind, fields)
    if operation is Operation.upsert:
        ids = item.get("external_ids") or []
        if not ids or not isinstance(ids[0], dict):
            raise ValidationFailed.one("external_ids", item.get("external_ids"), "an upsert matches by the item's "
                                                                               "first external id; give one")
        found = directory.matching(actor, kind, MatchBy.external_id, str(ids[0].get("value")),
                                   str(ids[0].get("source")))
        if len(found) > 1:
            raise ValidationFailed.one("external_ids", ids[0], f"matches {len(found)} {kind.plural}; make it unique")
        if not found:
            return directory.create(actor, kind, fields)
        return directory.update(actor, kind, found[0], fields)
    record_id = item.get("id")
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        raise ValidationFailed.one("id", record_id, f"must be the id of the {kind.value} to {operation.value}")
    version = item.get("version") if isinstance(item.get("version"), int) else None
    if operation is Operation.update:
        return directory.update(actor, kind, record_id, fields, expected_version=version)
    directory.delete(actor, kind, record_id, expected_version=version)
    return None
