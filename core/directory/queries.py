"""Finding and reading records as one person may see them: lookups, searches, lists, cards, and the named
queries that bulk work (import, export, sync) needs."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.customfields import CustomFieldSchema
from core.directory import search
from core.directory.base import Party, reads
from core.directory.notes import Notes
from core.directory.organizations import Organizations
from core.errors import NotFound, ValidationFailed
from core.indexes import email_key, external_id_key, name_key
from core.kinds import RecordKind
from core.models import DEFAULT_DIVISION, Contact, Interaction, Note, Organization, Relationship
from core.policy import Action, Actor
from core.stopping import Stop
from core.store.conditions import Listing
from core.text import fold


@dataclass(frozen=True)
class Lookup:
    """The answer to what an agent typed. ``normalized`` says what was searched (for example the E.164 number)."""

    query: str
    kind: str
    normalized: str
    contacts: list[Contact]
    organizations: list[Organization]
    search: search.SearchResult | None = None

    @property
    def found(self) -> bool:
        return bool(self.contacts or self.organizations)


@dataclass(frozen=True)
class Profile:
    """Everything a card or a detail pane shows about one record, read in one consistent view.
    ``organization`` is None when the contact has none, or has one its reader may not see."""

    record: Party
    organization: Organization | None
    notes: list[Note]
    interactions: list[Interaction]
    relationships: list[Relationship]
    contacts: list[Contact]
    schema: CustomFieldSchema
    can_note: bool
    can_edit: bool

    @property
    def kind(self) -> RecordKind:
        return RecordKind.of_record(self.record)

    def custom_values(self) -> list[tuple[str, Any]]:
        """(label, value) of each custom field the record has, in schema order, disabled fields included."""
        values = self.record.custom_fields
        return [(f.label, values[f.key]) for f in self.schema.fields if f.key in values]


@dataclass(frozen=True)
class Row:
    """One line of a record list: what an admin scans for."""

    kind: str
    id: int
    name: str
    organization: str
    phone: str
    division: str
    survey_opt_out: bool


class MatchBy(StrEnum):
    """What an incoming record is matched to a stored one by."""

    external_id = "external_id"
    email = "email"
    phone = "phone"
    name = "name"


class Queries(Notes, Organizations):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)

    def reading(self) -> AbstractContextManager[None]:
        """Several reads that see one consistent state (an export, a report)."""
        return self._repo.reading()

    def refresh(self, actor: Actor) -> bool:
        """Pick up what other processes committed; True if anything changed since the last look."""
        return self._repo.refresh()

    @reads
    def count(self, actor: Actor, kind: str) -> int:
        """How many records of ``kind`` the actor may see."""
        record_kind = RecordKind.of(kind)
        visible = self._policy.visible_divisions(actor)
        if visible is None:
            return self._repo.count(record_kind.table)
        return sum(self._repo.count_key(f"{record_kind}.division", d) for d in visible)

    @reads
    def division_size(self, actor: Actor, division: str) -> int | None:
        """How many records ``division`` holds, or None if ``actor`` may not see into it."""
        if not self._sees(actor, division):
            return None
        return sum(self._repo.count_key(f"{kind}.division", division) for kind in RecordKind)

    def lookup(self, actor: Actor, value: str) -> Lookup:
        """What an agent types: a phone number in any format, an email, a @handle, or words to search for.

        Not on one snapshot (``@reads``), on purpose: a number is one question to the store, and a snapshot would
        cost a server store a round trip more on the hottest path there is (a caller on the line)."""
        found = search.lookup(self._repo, value, self.region, self._policy.visible_divisions(actor))
        return Lookup(found.query, found.kind, found.normalized,
                      [c for c in self._parsed(RecordKind.contact, found.contacts) if isinstance(c, Contact)],
                      [o for o in self._parsed(RecordKind.organization, found.organizations)
                       if isinstance(o, Organization)],
                      found.search)

    @reads
    def search(self, actor: Actor, query: str, *, kinds: Iterable[str] = tuple(RecordKind),
               page: int = 1, page_size: int = 25) -> search.SearchResult:
        return search.search(self._repo, query, self._policy.visible_divisions(actor),
                             kinds=tuple(RecordKind.of(k).value for k in kinds), page=page, page_size=page_size,
                             region=self.region)

    @reads
    def organization_named(self, actor: Actor, name: str) -> Organization:
        """The one organization called ``name`` (case- and accent-insensitively), as a person types it in a form."""
        hits = self.search(actor, name, kinds=[RecordKind.organization], page_size=100).hits
        exact = [h for h in hits if fold(h.title) == fold(name.strip())]
        if len(exact) != 1:
            reason = "several organizations have this name" if exact else "no organization has this name"
            raise ValidationFailed.one("organization_id", name, reason)
        return self.get_organization(actor, exact[0].id)

    @reads
    def browse(self, actor: Actor, kind: str, query: str = "") -> Listing:
        """Every record of ``kind`` the actor may see that matches ``query`` (all when blank), in name order, read
        a window at a time: not capped at 1000 like ``search``, for lists that render lazily (the terminal UI's)
        and exports, which never hold every id."""
        record_kind = RecordKind.of(kind)
        condition = search.matching(self._repo, record_kind, query, self.region,
                                    self._policy.visible_divisions(actor))
        return self._repo.listing(f"{record_kind}.order", condition)

    def stoppable(self, stop: Stop) -> AbstractContextManager[None]:
        """Reads this thread makes inside end with ``Stopped`` once ``stop.stop()`` is called from another: a
        search a newer one replaced (on a server store it would keep the server busy for seconds at millions)."""
        return self._repo.stoppable(stop)

    @reads
    def rows(self, actor: Actor, kind: str, ids: Iterable[int]) -> list[Row]:
        """List lines for those of ``ids`` that exist and ``actor`` may see, read straight from stored documents."""
        record_kind = RecordKind.of(kind)
        docs = self.documents(actor, record_kind, ids)
        names: dict[int, str] = {}
        if record_kind is RecordKind.contact:
            names = {i: d["name"] for i, d in self.linked_organizations(actor, docs.values()).items()}
        found = []
        for record_id, doc in docs.items():
            if record_kind is RecordKind.contact:
                name = " ".join(doc[f] for f in ("first_name", "middle_name", "last_name") if doc.get(f))
                phones = doc.get("phones") or [{}]
                organization = names.get(doc.get("organization_id", 0), "")
            else:
                name, organization = doc["name"], doc.get("industry", "")
                phones = [doc.get("phone") or {}]
            found.append(Row(record_kind, record_id, name, organization, phones[0].get("raw", ""),
                             doc.get("division", DEFAULT_DIVISION), bool(doc.get("survey_opt_out"))))
        return found

    @reads
    def records(self, actor: Actor, kind: str, ids: Iterable[int]) -> list[Party]:
        """Records by id, for front ends that hold ids from a search; those gone or not visible are skipped."""
        return [r for r in self._load_many(kind, ids) if self._sees(actor, r.division)]

    @reads
    def documents(self, actor: Actor, kind: str, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The stored form (JSON types) of those of ``ids`` that ``actor`` may see: for exports, which write
        millions of records and cannot afford a model each. Read them, don't change them."""
        record_kind = RecordKind.of(kind)
        return search.visible_documents(self._repo.get_many(record_kind.table, ids),
                                        self._policy.visible_divisions(actor))

    @reads
    def linked_organizations(self, actor: Actor, contacts: Iterable[dict[str, Any]]) -> dict[int, dict[str, Any]]:
        """The stored form of the organizations ``contacts`` (stored forms) work at, those ``actor`` may see."""
        return search.linked_organizations(self._repo, contacts, self._policy.visible_divisions(actor))

    @reads
    def matching(self, actor: Actor, kind: str, by: MatchBy, value: str, source: str = "") -> list[int]:
        """Ids of the records of ``kind`` that ``actor`` may see with this external id (of ``source``), email,
        E.164 number or (organizations) name: how imports and syncs find the record a row describes."""
        record_kind = RecordKind.of(kind)
        if by is MatchBy.external_id:
            index, key = f"{record_kind}.external_id", external_id_key(source, value)
        elif by is MatchBy.email and record_kind is RecordKind.contact:
            index, key = "contact.email", email_key(value)
        elif by is MatchBy.phone:
            index, key = f"{record_kind}.phone", value
        elif by is MatchBy.name and record_kind is RecordKind.organization:
            index, key = "organization.order", name_key(value)
        else:
            raise ValidationFailed.one("match", by.value, f"{record_kind.plural} are not matched by {by.value}")
        found = search.visible_only(self._repo, record_kind, self._repo.find(index, key),
                                    self._policy.visible_divisions(actor))
        return sorted(found)

    @reads
    def profile(self, actor: Actor, kind: str, record_id: int) -> Profile:
        record_kind = RecordKind.of(kind)
        record = self.get(actor, record_kind, record_id)
        organization = None
        if isinstance(record, Contact) and record.organization_id:
            try:
                organization = self.get_organization(actor, record.organization_id)
            except NotFound:
                organization = None  # gone, or in a division the reader does not see: the same to them
        is_contact = isinstance(record, Contact)
        return Profile(
            record=record,
            organization=organization,
            notes=self.notes(actor, record_kind, record_id),
            interactions=self.interactions(actor, record_id) if is_contact else [],
            relationships=[] if is_contact else self.relationships(actor, record_id),
            contacts=[] if is_contact else self.contacts_of(actor, record_id),
            schema=self.schema(record_kind),
            can_note=self.can(actor, Action.note, record.division),
            can_edit=self.can(actor, Action.edit, record.division),
        )
