"""Divisions: every record is in one, and people see and change the records of theirs."""

from __future__ import annotations

from dataclasses import dataclass

from core.directory.base import Party, dump, validated
from core.directory.validation import Validation
from core.errors import ValidationFailed
from core.indexes import name_key
from core.kinds import RecordKind
from core.models import DEFAULT_DIVISION, Division
from core.policy import ALL_DIVISIONS, Action, Actor


@dataclass(frozen=True)
class MoveResult:
    record: Party
    old_division: str

    @property
    def message(self) -> str:
        kind = RecordKind.of_record(self.record)
        return (f"Moved {kind} {self.record.full_name} (id {self.record.id}) from division {self.old_division!r} "
                f"to {self.record.division!r}; its id, notes, interactions and history are unchanged. People "
                f"without access to {self.record.division!r} no longer see it.")


class Divisions(Validation):
    def ensure_default_division(self) -> None:
        """Every directory has the division records go to by default."""
        key = name_key(DEFAULT_DIVISION)
        if self._repo.find("division.name", key):
            return
        with self._repo.transaction():
            if not self._repo.find("division.name", key):
                now = self._now()
                division = Division(name=DEFAULT_DIVISION, description="The division records go to by default",
                                    version=1, created_at=now, modified_at=now)
                self._repo.insert("divisions", dump(division))

    def division(self, name: str) -> Division:
        found = self._division_named(name)
        if found is None:
            raise ValidationFailed([self._no_such_division(name)])
        return found

    def create_division(self, actor: Actor, name: str, description: str | None = None) -> Division:
        self.require(actor, Action.configure)
        with self._repo.transaction():
            now = self._now()
            division = validated(Division, {"name": name, "description": description, "version": 1,
                                            "created_at": now, "modified_at": now})
            if self._division_named(division.name) is not None:
                raise ValidationFailed.one("name", name, "a division with this name exists already")
            division.id = self._repo.insert("divisions", dump(division))
            self._audit_subject(f"division:{division.id}", "create", actor, {"name": [None, division.name]}, at=now)
        return division

    def describe_division(self, actor: Actor, name: str, description: str | None) -> Division:
        self.require(actor, Action.configure)
        with self._repo.transaction():
            current = self.division(name)
            return self._store_division(actor, current, {"description": description}, "describe")

    def rename_division(self, actor: Actor, name: str, new_name: str) -> Division:
        """Rename a division and every record in it, in one commit. Refused while a grant in ``[access]`` names
        the old name without the new one: those people would lose access the moment it ran."""
        self.require(actor, Action.configure)
        with self._repo.transaction():
            current = self.division(name)
            if current.name == DEFAULT_DIVISION:
                raise ValidationFailed.one("name", name, f"{DEFAULT_DIVISION!r} is where records go by default "
                                                         "and keeps its name")
            wanted = validated(Division, {**current.model_dump(), "name": new_name}).name
            other = self._division_named(wanted)
            if other is not None and other.id != current.id:
                raise ValidationFailed.one("new_name", new_name, "a division with this name exists already")
            if wanted != current.name:
                self._refuse_stranded_grants(current.name, wanted)
            renamed = self._store_division(actor, current, {"name": wanted}, "rename")
            if renamed.name == current.name:
                return renamed
            for kind in RecordKind:
                for record_id in sorted(self._repo.find(f"{kind}.division", current.name)):
                    record = self._load(kind, record_id)
                    moved = record.model_copy(update={"division": renamed.name})
                    self._commit(actor, kind, record, moved, "move", f"division {current.name!r} renamed")
        return renamed

    def _refuse_stranded_grants(self, old: str, new: str) -> None:
        access = self.settings.access
        grants = {"[access.default]": access.default,
                  **{f"[access.users.{user!r}]": grant for user, grant in access.users.items()}}
        stranded = [where for where, grant in grants.items()
                    if old in grant.divisions and new not in grant.divisions and ALL_DIVISIONS not in grant.divisions]
        if stranded:
            raise ValidationFailed.one(
                "new_name", new, f"the settings grant division {old!r} in {', '.join(stranded)}; add {new!r} to "
                "those grants first, or they would lose access to its records")

    def _store_division(self, actor: Actor, current: Division, changes: dict[str, str | None],
                        action: str) -> Division:
        division = validated(Division, {**current.model_dump(), **changes})
        before, after = dump(current), dump(division)
        if before == after:
            return current
        division.version, division.modified_at = current.version + 1, self._now()
        assert current.id is not None
        self._repo.replace("divisions", current.id, dump(division))
        diff = {k: [before.get(k), after.get(k)] for k in changes if before.get(k) != after.get(k)}
        self._audit_subject(f"division:{current.id}", action, actor, diff, at=division.modified_at)
        return division

    def move(self, actor: Actor, kind: str, record_id: int, division: str) -> MoveResult:
        """Put a record in another division. Unlike an edit, this is explicit and needs edit rights in both.

        The record keeps its id, notes, interactions and history, so links to it (from Slack, a CRM, bookmarks)
        stay valid.
        """
        record_kind = RecordKind.of(kind)
        with self._repo.transaction():
            current = self._checked(actor, record_kind, record_id, Action.edit)
            target = self.division(division)
            self.require(actor, Action.edit, target.name)
            if target.name == current.division:
                raise ValidationFailed.one("division", division,
                                           f"the {record_kind} is already in division {current.division!r}")
            moved = self._change(actor, record_kind, record_id, Action.edit, {"division": target.name},
                                 audit_action="move", moving=True)
        return MoveResult(moved, current.division)
