"""What belongs to an organization: its contacts and the internal people who look after it."""

from __future__ import annotations

from core.directory.base import dump, reads, validated
from core.directory.search import visibility
from core.directory.validation import Validation
from core.errors import NotFound
from core.indexes import id_key
from core.kinds import RecordKind
from core.models import LARGEST_ID, Contact, Relationship
from core.policy import Action, Actor
from core.store.conditions import All, Key, Linked
from core.text import fold


class Organizations(Validation):
    def add_relationship(self, actor: Actor, organization_id: int, user: str, role: str) -> Relationship:
        with self._repo.transaction():
            self._checked(actor, RecordKind.organization, organization_id, Action.edit)
            now = self._now()
            relationship = validated(Relationship, {"organization_id": organization_id, "user": user, "role": role,
                                                    "version": 1, "created_at": now, "modified_at": now})
            relationship.id = self._repo.insert("relationships", dump(relationship))
            self._audit(RecordKind.organization, organization_id, "relationship added", actor,
                        {"relationship": [None, f"{relationship.user}: {relationship.role}"]}, at=now)
        return relationship

    def remove_relationship(self, actor: Actor, relationship_id: int) -> None:
        with self._repo.transaction():
            doc = self._repo.get("relationships", relationship_id)
            if doc is None:
                raise NotFound("relationship", relationship_id)
            relationship = Relationship.model_validate({**doc, "id": relationship_id})
            self._checked(actor, RecordKind.organization, relationship.organization_id, Action.edit)
            self._repo.remove("relationships", relationship_id)
            self._audit(RecordKind.organization, relationship.organization_id, "relationship removed", actor,
                        {"relationship": [f"{relationship.user}: {relationship.role}", None]})

    @reads
    def relationships(self, actor: Actor, organization_id: int) -> list[Relationship]:
        self.get(actor, RecordKind.organization, organization_id)
        ids = self._repo.find("relationship.organization", id_key(organization_id))
        found = [Relationship.model_validate({**d, "id": i})
                 for i, d in self._repo.get_many("relationships", ids).items()]
        return sorted(found, key=lambda r: (fold(r.role), fold(r.user)))

    @reads
    def known_people(self, actor: Actor) -> list[str]:
        """Internal people a relationship can name: those in ``[access]`` and those earlier relationships name
        (of organizations ``actor`` may see), in name order. Read a name at a time from the index of names: a
        directory has a few hundred people looking after up to millions of organizations."""
        visible = visibility(RecordKind.organization, self._policy.visible_divisions(actor))
        named: set[str] = set()
        after: tuple[str, int] | None = None
        while found := self._repo.ordered_keys("relationship.user", after, 1):
            user = found[0][0]
            after = (user, LARGEST_ID)  # the next read starts past this person's other relationships
            if visible is None or self._repo.matching(
                    All((Key("relationship.user", user), Linked("relationship.organization", visible))), cap=0):
                named.add(user)
        return sorted(named | set(self.settings.access.users), key=lambda name: (fold(name), name))

    @reads
    def contacts_of(self, actor: Actor, organization_id: int) -> list[Contact]:
        """The organization's contacts that ``actor`` may see, by name."""
        self.get(actor, RecordKind.organization, organization_id)
        ids = self._repo.find("contact.organization", id_key(organization_id))
        contacts = [c for c in self._load_many(RecordKind.contact, ids)
                    if isinstance(c, Contact) and self._sees(actor, c.division)]
        return sorted(contacts, key=lambda c: (fold(c.last_name), fold(c.first_name), c.id or 0))
