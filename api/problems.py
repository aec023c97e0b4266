"""Every error as a problem document (RFC 9457, ``application/problem+json``): a title, the status, what went
wrong in words, and for bad input the list of field problems (field, value, rule) the core produces. Never a 500
for what a caller sent."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from core.errors import (
    ConcurrentChange,
    Conflict,
    ContactsError,
    FieldProblem,
    NotFound,
    PermissionDenied,
    StaleVersion,
    StoreFull,
    ValidationFailed,
)

MEDIA_TYPE = "application/problem+json"
# What each error the core raises on purpose is, over HTTP.
STATUSES: list[tuple[type[ContactsError], int, str]] = [
    (ValidationFailed, 422, "The request holds values the directory cannot take"),
    (NotFound, 404, "No such record"),
    (PermissionDenied, 403, "Not allowed"),
    (StaleVersion, 412, "The record changed since you read it"),
    (ConcurrentChange, 409, "Changed by someone else meanwhile"),
    (Conflict, 409, "Conflicting change"),
    (StoreFull, 507, "The directory's disk is full"),
    (ContactsError, 503, "The directory cannot do this now"),
]


def status_of(error: ContactsError) -> tuple[int, str]:
    """The HTTP status and title of an error the core raised."""
    return next((status, title) for kind, status, title in STATUSES if isinstance(error, kind))


def problem(status: int, title: str, detail: str, problems: list[FieldProblem] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if problems:
        body["errors"] = [{"field": p.field, "value": shown(p.value), "rule": p.message} for p in problems]
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def shown(value: Any) -> Any:
    """A value as it can go back into JSON (a record's own values are JSON already; anything else as text)."""
    return value if isinstance(value, str | int | float | bool | type(None) | list | dict) else str(value)


def install(app: FastAPI) -> None:
    @app.exception_handler(ContactsError)
    async def contacts_error(request: Request, error: ContactsError) -> JSONResponse:
        status, title = status_of(error)
        problems = error.problems if isinstance(error, ValidationFailed) else None
        return problem(status, title, str(error), problems)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [FieldProblem(".".join(str(part) for part in e["loc"]), e.get("input"), e["msg"])
                    for e in error.errors()]
        unreadable = any(e["type"] == "json_invalid" for e in error.errors())  # not JSON at all
        return problem(422 if not unreadable and any(e["loc"][0] == "body" for e in error.errors()) else 400,
                       "The request is malformed", "; ".join(str(p) for p in problems), problems)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # A fault of ours, not the caller's: logged with its traceback here, never sent (it may hold data).
        logging.getLogger("contacts.api").exception("%s %s failed", request.method, request.url.path)
        return problem(500, "The API failed", "An unexpected error ended this request; it is logged. A change it "
                                              "was making was not kept (each is one transaction).")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail), str(error.detail),
                       headers=dict(error.headers) if error.headers else None)
