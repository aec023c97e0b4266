"""Who may do what: roles, divisions, and the acting user every operation takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from core.errors import PermissionDenied

ALL_DIVISIONS = "*"


@dataclass(frozen=True)
class Actor:
    """The person an operation is done for: a Slack user id, a login name, or an email; or a system calling the
    API with a token, which carries its own ``grant`` (what ``[access]`` says of people, the token says of it)."""

    id: str
    name: str | None = None
    email: str | None = None
    grant: Grant | None = field(default=None, compare=False, hash=False)

    def __str__(self) -> str:
        return self.name or self.id


class Role(StrEnum):
    viewer = "viewer"
    agent = "agent"
    admin = "admin"


class Action(StrEnum):
    view = "view records"
    note = "add notes, set survey opt-out and SMS, record interactions"
    edit = "create, edit, move, merge and delete records and relationships"
    configure = "manage custom fields and divisions"


ALLOWED: dict[Role, frozenset[Action]] = {
    Role.viewer: frozenset({Action.view}),
    Role.agent: frozenset({Action.view, Action.note}),
    Role.admin: frozenset(Action),
}


class Grant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    divisions: list[str] = Field(default_factory=lambda: [ALL_DIVISIONS])

    def covers(self, division: str) -> bool:
        return ALL_DIVISIONS in self.divisions or division in self.divisions


class AccessConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: Grant = Field(default_factory=lambda: Grant(role=Role.admin))
    users: dict[str, Grant] = Field(default_factory=dict)


class Policy:
    def __init__(self, config: AccessConfig):
        self.config = config

    def grant(self, actor: Actor) -> Grant:
        if actor.grant is not None:
            return actor.grant
        users = self.config.users
        return users.get(actor.id) or (users.get(actor.email) if actor.email else None) or self.config.default

    def allows(self, actor: Actor, action: Action, division: str | None = None) -> bool:
        grant = self.grant(actor)
        return action in ALLOWED[grant.role] and (division is None or grant.covers(division))

    def require(self, actor: Actor, action: Action, division: str | None = None) -> None:
        if self.allows(actor, action, division):
            return
        grant = self.grant(actor)
        where = f" in division {division!r}" if division is not None else ""
        if action in ALLOWED[grant.role]:
            reason = f"{actor} has no access to division {division!r} (allowed: {', '.join(grant.divisions)})"
        else:
            reason = f"{actor} is a {grant.role.value}, and only " + (
                "admins" if action in (Action.edit, Action.configure) else "agents and admins"
            ) + f" may {action.value}"
        raise PermissionDenied(f"not allowed to {action.value}{where}: {reason}. Nothing was changed.")

    def visible_divisions(self, actor: Actor) -> set[str] | None:
        """The divisions ``actor`` may see, or None for all of them."""
        grant = self.grant(actor)
        if Action.view not in ALLOWED[grant.role]:
            return set()
        return None if ALL_DIVISIONS in grant.divisions else set(grant.divisions)
