"""API tokens: the keys other systems (ticketing, billing, a CRM) call the API with. Each has a name (the author of
what it changes, in the audit trail), a role and divisions, which go through the same policy as a person's. Only a
hash of a token is kept: the token itself is shown once, when it is made."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.directory.base import reads
from core.directory.validation import Validation
from core.errors import ValidationFailed
from core.policy import ALL_DIVISIONS, Action, Actor, Grant, Role

TABLE = "tokens"
PREFIX = "ctk_"  # says what a leaked string is, to secret scanners and to people
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class TokenInfo:
    name: str
    role: Role
    divisions: list[str]
    created_at: datetime
    created_by: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens(Validation):
    def create_token(self, actor: Actor, name: str, role: str, divisions: list[str] | None = None) -> str:
        """A new token for ``name`` (admins only); the only time it is seen."""
        self.require(actor, Action.configure)
        if not NAME.match(name):
            raise ValidationFailed.one("name", name, "must be 1 to 100 letters, digits, '.', '_' or '-', starting "
                                                     "with a letter or digit")
        try:
            grant = Grant(role=Role(role), divisions=divisions or [ALL_DIVISIONS])
        except ValueError:
            raise ValidationFailed.one("role", role, "must be viewer, agent or admin") from None
        unknown = [d for d in grant.divisions if d != ALL_DIVISIONS and self.division_problem(d) is not None]
        if unknown:
            raise ValidationFailed.one("division", unknown[0], "is not a division of this directory")
        token = PREFIX + secrets.token_urlsafe(32)
        with self._repo.transaction():
            if self._token_named(name) is not None:
                raise ValidationFailed.one("name", name, "a token with this name exists already; revoke it first")
            now = self._now()
            self._repo.insert(TABLE, {"name": name, "role": grant.role.value, "divisions": grant.divisions,
                                      "hash": _digest(token), "created_at": now.isoformat(), "created_by": actor.id})
            self._audit_subject(f"token:{name}", "create", actor, {"role": [None, grant.role.value]}, at=now)
        return token

    @reads
    def tokens(self, actor: Actor) -> list[TokenInfo]:
        self.require(actor, Action.configure)
        docs = self._repo.get_many(TABLE, self._repo.ids(TABLE)).values()
        return sorted((TokenInfo(d["name"], Role(d["role"]), d["divisions"], datetime.fromisoformat(d["created_at"]),
                                 d["created_by"]) for d in docs), key=lambda t: t.name)

    def revoke_token(self, actor: Actor, name: str) -> None:
        self.require(actor, Action.configure)
        with self._repo.transaction():
            found = self._token_named(name)
            if found is None:
                raise ValidationFailed.one("name", name, "is no token's name (contacts token list shows them)")
            self._repo.remove(TABLE, found[0])
            self._audit_subject(f"token:{name}", "revoke", actor, {})

    @reads
    def token_actor(self, token: str) -> Actor | None:
        """Who calls with ``token``: the token's name, with its role and divisions; None for no such token (never
        made, or revoked, here or by another process)."""
        digest = _digest(token)
        doc = next((d for d in self._repo.get_many(TABLE, self._repo.ids(TABLE)).values()
                    if secrets.compare_digest(d["hash"], digest)), None)
        if doc is None:
            return None
        return Actor(doc["name"], grant=Grant(role=Role(doc["role"]), divisions=doc["divisions"]))

    def _token_named(self, name: str) -> tuple[int, dict[str, Any]] | None:
        docs = self._repo.get_many(TABLE, self._repo.ids(TABLE))
        return next(((i, d) for i, d in docs.items() if d["name"] == name), None)
