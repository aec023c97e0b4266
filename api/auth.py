"""Who is calling: ``Authorization: Bearer <token>``, a token made with ``contacts token create``. The token's
name, role and divisions make the acting user every operation takes; without a good token, 401 and nothing
happens."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.directory import Directory
from core.policy import Actor

_bearer = HTTPBearer(auto_error=False, description="a token made with `contacts token create`")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="contacts"'}


def directory_of(request: Request) -> Directory:
    directory: Directory = request.app.state.directory
    return directory


def caller(request: Request,
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
    if credentials is None or credentials.scheme.casefold() != "bearer":
        raise HTTPException(401, "An API token is needed: Authorization: Bearer <token>", headers=CHALLENGE)
    actor = directory_of(request).token_actor(credentials.credentials)
    if actor is None:
        raise HTTPException(401, "This token is not valid (never made here, or revoked)", headers=CHALLENGE)
    return actor


Caller = Annotated[Actor, Depends(caller)]
Service = Annotated[Directory, Depends(directory_of)]
