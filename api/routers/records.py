"""Contacts and organizations: one router per kind, made by one function (what varies with the kind is the core's
``RecordKind``). Every record carries an ``ETag`` from its version; ``If-Match`` on PUT, PATCH and DELETE refuses
a stale write with 412. PATCH is a JSON Merge Patch (RFC 7396)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response
from fastapi.responses import JSONResponse

from api.auth import Caller, Service
from core.directory import Party
from core.errors import ValidationFailed
from core.kinds import RecordKind
from core.models import AuditEntry

SYSTEM_FIELDS = ("id", "version", "created_at", "modified_at")
MAX_PAGE_SIZE = 100
JsonObject = Annotated[dict[str, Any], Body(description="the record's fields, as GET returns them")]
IfMatch = Annotated[str | None, Header(description='the ETag you read ("3"); a stale one gets 412')]


class Plural(StrEnum):
    """A kind of record as a path names it."""

    contacts = "contacts"
    organizations = "organizations"

    @property
    def kind(self) -> RecordKind:
        return next(k for k in RecordKind if k.plural == self.value)


def record_response(record: Party, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(record.model_dump(mode="json"), status_code=status,
                        headers={"ETag": etag(record.version), **(headers or {})})


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, body: dict[str, Any] | None = None) -> int | None:
    """The version the caller read: from If-Match (``"3"``, ``W/"3"``; ``*`` for any), else a ``version`` in the
    body (a record sent back as GET gave it)."""
    if if_match is None:
        version = (body or {}).get("version")
        return version if isinstance(version, int) and not isinstance(version, bool) else None
    text = if_match.strip()
    if text == "*":
        return None
    digits = text.removeprefix("W/").strip('"')
    if not digits.isdigit():
        raise ValidationFailed.one("If-Match", if_match, 'must be an ETag this API sent, such as "3"')
    return int(digits)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def records_router(kind: RecordKind) -> APIRouter:
    router = APIRouter(prefix=f"/{kind.plural}", tags=[kind.plural])
    editable = [name for name in kind.model.model_fields if name not in (*SYSTEM_FIELDS, "division")]
    schema = {"requestBody": {"content": {"application/json": {"schema": {
        "$ref": f"#/components/schemas/{kind.model.__name__}"}}}}}
    answers: dict[int | str, dict[str, Any]] = {200: {"model": kind.model}}  # (sent as JSONResponse, with ETag)
    made: dict[int | str, dict[str, Any]] = {201: {"model": kind.model}}

    def full(body: dict[str, Any]) -> dict[str, Any]:
        """Every editable field: what the body gives, the default for what it leaves out (PUT replaces)."""
        changes = {}
        for name in editable:
            info = kind.model.model_fields[name]
            changes[name] = body[name] if name in body else info.get_default(call_default_factory=True)
        if "division" in body:
            changes["division"] = body["division"]  # refused by the service unless it is the record's own
        return changes

    def without_system(body: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k not in SYSTEM_FIELDS}

    @router.get("", summary=f"List or search {kind.plural}")
    def listing(actor: Caller, directory: Service, q: Annotated[str, Query(description="words, a number, an email")] = "",
                page: Annotated[int, Query(ge=1)] = 1,
                page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 25) -> dict[str, Any]:
        """Ranked as in the terminal UI when ``q`` is given (``refine``: more than 1,000 matched, narrow the search);
        otherwise every record in name order."""
        if q.strip():
            result = directory.search(actor, q, kinds=[kind], page=page, page_size=page_size)
            ids, total, refine = [h.id for h in result.hits], result.total, result.refine
        else:
            ids = directory.browse(actor, kind).window((page - 1) * page_size, page * page_size)
            total, refine = directory.count(actor, kind), False
        items = [r.model_dump(mode="json") for r in directory.records(actor, kind, ids)]
        return {"items": items, "total": total, "page": page, "page_size": page_size, "refine": refine}

    @router.post("", status_code=201, summary=f"Create a {kind.value}", openapi_extra=schema, responses=made)
    def create(actor: Caller, directory: Service, body: JsonObject) -> JSONResponse:
        record = directory.create(actor, kind, body)
        return record_response(record, 201, {"Location": f"/api/v1/{kind.plural}/{record.id}"})

    @router.get("/{record_id}", summary=f"One {kind.value}", responses=answers)
    def read(actor: Caller, directory: Service, record_id: int,
             if_none_match: Annotated[str | None, Header()] = None) -> Response:
        record = directory.get(actor, kind, record_id)
        if if_none_match is not None and if_none_match.strip().removeprefix("W/") == etag(record.version):
            return Response(status_code=304, headers={"ETag": etag(record.version)})
        return record_response(record)

    @router.put("/{record_id}", summary=f"Replace a {kind.value}", openapi_extra=schema, responses=answers)
    def replace(actor: Caller, directory: Service, record_id: int, body: JsonObject,
                if_match: IfMatch = None) -> JSONResponse:
        version = expected_version(if_match, body)
        record = directory.update(actor, kind, record_id, full(without_system(body)), expected_version=version)
        return record_response(record)

    @router.patch("/{record_id}", summary=f"Change some fields of a {kind.value} (JSON Merge Patch)", responses=answers)
    def patch(actor: Caller, directory: Service, record_id: int, body: JsonObject,
              if_match: IfMatch = None) -> JSONResponse:
        version = expected_version(if_match, body)
        current = directory.get(actor, kind, record_id).model_dump(mode="json", exclude=set(SYSTEM_FIELDS))
        patched = merge_patch(current, without_system(body))
        changes = {k: v for k, v in full(patched).items() if k != "division" or v != current["division"]}
        record = directory.update(actor, kind, record_id, changes, expected_version=version)
        return record_response(record)

    @router.delete("/{record_id}", status_code=204, summary=f"Delete a {kind.value} with its notes")
    def delete(actor: Caller, directory: Service, record_id: int, if_match: IfMatch = None) -> Response:
        directory.delete(actor, kind, record_id, expected_version=expected_version(if_match))
        return Response(status_code=204)

    @router.get("/{record_id}/history", summary=f"What changed on a {kind.value}, who changed it, and when")
    def history(actor: Caller, directory: Service, record_id: int) -> list[AuditEntry]:
        return directory.history(actor, kind, record_id)

    return router
