"""Bulk import, whatever the file format: every incoming record is matched against the directory, merged into its
match (or made new), and validated before anything is written. Then the good ones are written in one transaction,
so an import is all there or not there at all, and a dry run is the same work without the write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from core.directory import Directory, MatchBy, Party, dump
from core.errors import ConcurrentChange, FieldProblem, ValidationFailed
from core.indexes import email_key, external_id_key
from core.kinds import RecordKind
from core.memory import paused_gc
from core.models import DEFAULT_DIVISION, Contact
from core.phones import parse_phone
from core.policy import Action, Actor
from core.transfer.merging import merge, organization_keys, unshifted
from core.transfer.partial import droppable, leave_out
from core.transfer.report import ImportAction, Outcome, Report

MATCH_KINDS = (MatchBy.external_id.value, MatchBy.email.value, MatchBy.phone.value)
IDENTITY_NAMES = {"ext": "external id", "email": "email", "phone": "phone number"}
Progress = Callable[[int, int], None]


@dataclass
class Incoming:
    """One record (or one contact with its organization) as a reader made it from a line, card or object.

    ``contact`` and ``organization`` hold fields in the models' JSON form, only those the source gives.
    ``origins`` names, per field path (``contact.phones.1``), where it came from (a column), for error reports.
    """

    line: int
    contact: dict[str, Any] | None = None
    organization: dict[str, Any] | None = None
    origins: dict[str, str] = field(default_factory=dict)
    problems: list[FieldProblem] = field(default_factory=list)  # the row is rejected
    left_out: list[FieldProblem] = field(default_factory=list)  # optional values the reader could not read
    warnings: list[str] = field(default_factory=list)
    not_kept: list[str] = field(default_factory=list)  # what the source holds that the directory has no place for
    notes: dict[str, list[str]] = field(default_factory=dict)  # note texts, by entity (contact, organization)
    source: Any = None
    record_id: int | None = None  # the id to create the record under (restoring a backup), if free
    same_as: int | None = None  # the stored record this one is, known by more than its keys (a backup's id)
    matching: bool = True  # False: a record of a backup restored into an empty directory, never matched
    by_name: bool = True  # whether an organization may be matched by its name (backups match by id instead)
    written: Callable[[int], None] | None = None  # told the id of the record this item ended up as


@dataclass
class Write:
    kind: str
    record: Party
    previous: Party | None
    notes: list[str] = field(default_factory=list)

    @cached_property
    def action(self) -> ImportAction:
        """Read once the record is final (after its organization link is set)."""
        if self.previous is None:
            return ImportAction.create
        return ImportAction.unchanged if dump(self.record) == dump(self.previous) else ImportAction.update

class Rollback(Exception):
    """Ends the import's transaction without keeping anything (a dry run, or ``strict`` with rejected rows)."""


OPTIMISTIC_ATTEMPTS = 2  # tries without the write lock before one that holds it


class Importer:
    """Imports records one by one inside one transaction: each is matched and validated against the directory as
    the earlier ones left it, and written at once if good. The transaction makes the import atomic, and a dry run
    (or a strict import with rejected rows) is the same run, rolled back."""

    def __init__(self, directory: Directory, actor: Actor, *, division: str = DEFAULT_DIVISION,
                 match: Iterable[str] = MATCH_KINDS, detail: str = "import"):
        order = tuple(match)
        unknown = [m for m in order if m not in MATCH_KINDS]
        if unknown or not order:
            raise ValidationFailed.one("match", ",".join(order), f"must list some of {', '.join(MATCH_KINDS)}")
        division = directory.division(division).name
        directory.require(actor, Action.edit, division)
        self.directory, self.actor, self.division = directory, actor, division
        self.match, self.detail = order, detail
        self.strict = False  # True: a value that cannot be stored rejects its row instead of being left out
        self._lines: dict[int, int] = {}  # contact id → the line of this file that wrote it
        self._unmatched_keys: dict[str, int] = {}  # keys of kinds left out of the match order → line
        self._organizations: dict[str, tuple[int, int, dict[str, Any]]] = {}

    def run(self, items: Callable[[], Iterable[Incoming | Outcome]], *, dry_run: bool = False, strict: bool = False,
            progress: Progress | None = None, total: int = 0,
            before_commit: Callable[[], object] | None = None) -> Report:
        """Import what ``items()`` yields (outcomes already decided pass through); ``before_commit`` runs inside the
        transaction, after the last item, unless it is rolled back.

        The import is worked out without the write lock, so agents keep saving notes meanwhile; if one of them
        changed a record the import also changes, it is worked out again (``items`` is called anew), the last time
        holding the lock so that it finishes."""
        self.strict = strict
        for attempt in range(1, OPTIMISTIC_ATTEMPTS + 2):
            try:
                return self._run_once(items(), optimistic=attempt <= OPTIMISTIC_ATTEMPTS, dry_run=dry_run,
                                      strict=strict, progress=progress, total=total, before_commit=before_commit)
            except ConcurrentChange:
                self._lines.clear()
                self._unmatched_keys.clear()
                self._organizations.clear()
        raise AssertionError("the last attempt holds the lock: it cannot meet a concurrent change")

    def _run_once(self, items: Iterable[Incoming | Outcome], *, optimistic: bool, dry_run: bool, strict: bool,
                  progress: Progress | None, total: int, before_commit: Callable[[], object] | None) -> Report:
        report = Report()
        try:
            with paused_gc(), self.directory.batch(optimistic=optimistic):
                for item in items:
                    if isinstance(item, Incoming):
                        report.not_kept.update(item.not_kept)
                    report.add(item if isinstance(item, Outcome) else self._import(item), keep_all=dry_run)
                    if progress is not None and report.rows % 500 == 0:
                        progress(report.rows, total)
                if dry_run or (strict and report.counts[ImportAction.error]):
                    raise Rollback
                if before_commit is not None:
                    before_commit()
            report.written = True
        except Rollback:
            pass
        finally:
            if progress is not None:
                progress(report.rows, total or report.rows)
        return report

    def _import(self, item: Incoming) -> Outcome:
        if not item.contact and not item.organization and not item.problems:
            return Outcome(item.line, ImportAction.error, "",
                           [FieldProblem("row", "", "has no contact or account values")],
                           item.warnings, item.source)
        warnings = list(item.warnings)
        left_out = list(item.left_out)
        data = {"contact": item.contact, "organization": item.organization}
        while True:
            try:
                organization = self._organization(item, warnings) if item.organization else None
                contact = self._contact(item, organization) if item.contact else None
                found: list[FieldProblem] = []
            except ValidationFailed as error:
                found = error.problems
            drops = [droppable(p, data) for p in found]
            fatal = [self._located(p, item) for p, drop in zip(found, drops, strict=True) if drop is None]
            optional = [self._located(p, item) for p, drop in zip(found, drops, strict=True) if drop is not None]
            if item.problems or fatal or (self.strict and (optional or left_out)):
                return Outcome(item.line, ImportAction.error, self._describe(item),
                               [*item.problems, *fatal, *left_out, *optional], warnings, item.source)
            if not optional:
                break
            left_out += optional
            leave_out(data, item.origins, [drop for drop in drops if drop is not None])
            item.contact, item.organization = data["contact"], data["organization"]
        warnings += [f"{p.field}: {_typed(p.value)!r} left out: {p.message}" for p in left_out]
        main = contact or organization
        if isinstance(main, Write) and main.previous is None and item.record_id is not None:
            main.record.id = item.record_id  # restoring a backup: the record keeps its id
        if isinstance(organization, Write):
            changed_organization = organization.action is not ImportAction.unchanged
            organization_id = self._put(organization)
            for key in organization_keys(item.organization or {}, item.by_name):
                self._organizations.setdefault(key, (organization_id, item.line, item.organization or {}))
            if contact is not None:
                assert isinstance(contact.record, Contact)
                contact.record.organization_id = organization_id
        else:
            changed_organization = False
        if isinstance(main, int):  # an organization an earlier line of this file imported already
            if item.written is not None:
                item.written(main)
            return Outcome(item.line, ImportAction.unchanged, f"organization {main}", [], warnings)
        assert main is not None
        action = main.action
        if action is ImportAction.unchanged and changed_organization:
            action = ImportAction.update
        if contact is not None:
            self._put(contact)
            warnings += self._phone_warnings(item)
            self._lines.setdefault(contact.record.key, item.line)
            for key in self._unmatched_keys_of(contact.record):
                self._unmatched_keys.setdefault(key, item.line)
        if item.written is not None:
            item.written(main.record.key)
        return Outcome(item.line, action, self._describe(item, main), [], warnings)

    def _put(self, write: Write) -> int:
        if write.action is not ImportAction.unchanged:
            self.directory.put_validated(self.actor, write.kind, write.record, write.previous, self.detail)
        for text in write.notes:
            self.directory.add_note(self.actor, write.kind, write.record.key, text)
        return write.record.key

    def _describe(self, item: Incoming, write: Write | None = None) -> str:
        if write is not None:
            where = f" ({write.kind} {write.record.id})" if write.record.id is not None else ""
            return f"{write.kind} {write.record.full_name}{where}"
        data = item.contact or item.organization
        if not data:
            return "row"
        name = " ".join(str(data[f]) for f in ("first_name", "last_name", "name") if data.get(f))
        return ("contact " if item.contact else "organization ") + (name or "(no name)")

    def _located(self, problem: FieldProblem, item: Incoming) -> FieldProblem:
        """The problem named by the column (or property) the value came from."""
        parts = problem.field.split(".")
        for entity in ("contact", "organization"):
            if problem.field.startswith(entity + ":"):
                parts = [entity, *problem.field.removeprefix(entity + ":").split(".")]
        for end in range(len(parts), 0, -1):
            origin = item.origins.get(".".join(parts[:end]))
            if origin:
                return FieldProblem(origin, problem.value, problem.message)
        return FieldProblem(".".join(parts), problem.value, problem.message)

    # ----- organizations

    def _organization(self, item: Incoming, warnings: list[str]) -> Write | int:
        """The organization's write, or the id of the one an earlier line of this file already imported."""
        data = item.organization or {}
        matched = item.same_as
        if item.matching and matched is None:
            # a row's account columns repeat on every row of its contacts: the first row's values stand (a
            # record of its own, such as a company's card, is merged into it instead)
            for key in organization_keys(data, item.by_name) if item.contact is not None else ():
                if key in self._organizations:
                    organization_id, line, first = self._organizations[key]
                    if any(first.get(field) != value for field, value in data.items()):
                        warnings.append(f"the account columns differ from line {line}; that line's values are used")
                    return organization_id
            matched = self._match_organization(data, item.by_name)
        write = self._write_for("organization", data, matched, "organization")
        write.notes = self._new_notes(item, RecordKind.organization, matched)
        return write

    def _match_organization(self, data: dict[str, Any], by_name: bool) -> int | None:
        keys = [(MatchBy.external_id, item["value"], item["source"], f"external id {item['source']} {item['value']}")
                for item in data.get("external_ids", ())]
        if by_name and data.get("name"):
            keys.append((MatchBy.name, data["name"], "", f"name {data['name']!r}"))
        for by, value, source, what in keys:
            found = self.directory.matching(self.actor, RecordKind.organization, by, value, source)
            if found:
                return self._single(RecordKind.organization, found, what)
        return None

    # ----- contacts

    def _contact(self, item: Incoming, organization: Write | int | None) -> Write:
        data = dict(item.contact or {})
        if item.same_as is not None:
            match: tuple[int, str] | None = (item.same_as, f"id {item.same_as}")
        else:
            match = self._match_contact(data) if item.matching else None
        matched = match[0] if match else None
        if match and match[0] in self._lines:  # an earlier line wrote it, and the store matched this one to it
            raise ValidationFailed.one("row", match[1], f"repeats line {self._lines[match[0]]}: both "
                                                        f"rows are contact {match[0]}")
        if organization is not None:
            data["organization_id"] = organization if isinstance(organization, int) else organization.record.id
        write = self._write_for("contact", data, matched, "contact", keep_organization=organization is None)
        write.notes = self._new_notes(item, RecordKind.contact, matched)
        if matched is None and item.matching:
            repeated = next((k for k in self._unmatched_keys_of(write.record) if k in self._unmatched_keys), None)
            if repeated is not None:
                what, _, value = repeated.partition(":")
                raise ValidationFailed.one("row", value, f"repeats line {self._unmatched_keys[repeated]}: both rows "
                                                         f"are the same contact (same {IDENTITY_NAMES[what]})")
        return write

    def _match_contact(self, data: dict[str, Any]) -> tuple[int, str] | None:
        """The contact ``data`` describes, by the first key in the match order that finds one, and how."""
        region = self.directory.region
        for kind in self.match:
            by = MatchBy(kind)
            if by is MatchBy.external_id:
                keys = [(i["value"], i["source"], f"external id {i['source']} {i['value']}")
                        for i in data.get("external_ids", ())]
            elif by is MatchBy.email:
                keys = [(e["address"], "", f"email {e['address']}") for e in data.get("emails", ())]
            else:
                numbers = [parse_phone(p["raw"], p.get("region") or region).e164 for p in data.get("phones", ())]
                keys = [(n, "", f"phone {n}") for n in numbers if n]
            for value, source, what in keys:
                found = self.directory.matching(self.actor, RecordKind.contact, by, value, source)
                if found:
                    return self._single(RecordKind.contact, found, what), what
        return None

    def _new_notes(self, item: Incoming, kind: RecordKind, matched: int | None) -> list[str]:
        """The item's notes that the record it matched does not have yet (importing a file again adds none)."""
        given = item.notes.get(kind.value, [])
        if matched is None or not given:
            return list(given)
        existing = {n.text for n in self.directory.notes(self.actor, kind, matched)}
        return [text for text in given if text not in existing]

    def _unmatched_keys_of(self, record: Party) -> list[str]:
        """Keys of the kinds the match order leaves out. Two rows sharing a key of a kind it includes need no
        bookkeeping: the earlier row's record is in the store by then, so the later row matches it."""
        assert isinstance(record, Contact)
        keys = []
        if "external_id" not in self.match:
            keys += [f"ext:{external_id_key(i.source, i.value)}" for i in record.external_ids]
        if "email" not in self.match:
            keys += [f"email:{email_key(e.address)}" for e in record.emails]
        if "phone" not in self.match:
            keys += [f"phone:{p.e164}" for p in record.phones if p.e164]
        return keys

    def _phone_warnings(self, item: Incoming) -> list[str]:
        warnings = []
        for i, phone in enumerate((item.contact or {}).get("phones", ())):
            if parse_phone(phone["raw"], phone.get("region") or self.directory.region).e164 is None:
                where = item.origins.get(f"contact.phones.{i}", "phone")
                warnings.append(f"{where}: {phone['raw']!r} is not a valid phone number; kept as typed, but calls "
                                "from it will not find this contact")
        return warnings

    # ----- shared

    def _single(self, kind: RecordKind, found: list[int], what: str) -> int:
        """The one record a key found (among those the importer may see), if the importer may change it."""
        if len(found) > 1:
            ids = ", ".join(str(i) for i in found[:5])
            raise ValidationFailed.one("row", what, f"matches several {kind.plural} ({ids}); make the key unique "
                                                    "first")
        record_id = found[0]
        division = self.directory.get(self.actor, kind, record_id).division
        if not self.directory.can(self.actor, Action.edit, division):
            raise ValidationFailed.one("row", what, f"matches {kind} {record_id} in division {division}, "
                                                    "which you cannot edit")
        return record_id

    def _write_for(self, kind: str, data: dict[str, Any], matched: int | None, entity: str,
                   keep_organization: bool = True) -> Write:
        directory = self.directory
        try:
            if matched is None:
                record = directory.validate(kind, {"division": self.division, **data})
                return Write(kind, record, None)
            previous = directory.get(self.actor, kind, matched)
            current = previous.model_dump(mode="json", exclude={"id", "version", "created_at", "modified_at"})
            merged, shifts = merge(current, data, directory.region)
            merged["division"], merged["id"] = previous.division, previous.id
            if keep_organization and isinstance(previous, Contact) and "organization_id" not in data:
                merged["organization_id"] = previous.organization_id
            if merged == {**current, "id": previous.id}:  # the source says what the record says already
                return Write(kind, previous.model_copy(), previous)
            stored = dump(previous)
            try:
                record = directory.validate(kind, merged, previous=stored)
            except ValidationFailed as error:
                raise ValidationFailed([unshifted(p, shifts) for p in error.problems]) from None
            record.id, record.version = previous.id, previous.version
            record.created_at, record.modified_at = previous.created_at, previous.modified_at
            return Write(kind, record, previous)
        except ValidationFailed as error:
            raise ValidationFailed([FieldProblem(f"{entity}:{p.field}", p.value, p.message)
                                    for p in error.problems]) from None


def _typed(value: Any) -> Any:
    """What a person typed, of a value the model holds as an object (a phone, an email)."""
    if isinstance(value, dict):
        return next((value[k] for k in ("raw", "address", "handle", "value") if k in value), value)
    return value
