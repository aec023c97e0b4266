"""Duplicates: the groups core suggests, and merging one, choosing the surviving values field by field."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Header, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from core.directory import Row
from core.directory.duplicates import SCALAR_FIELDS, Candidate
from core.errors import ContactsError
from core.models import Contact
from core.text import inert
from tui.reporting import reported
from tui.screens.dialogs import ConfirmDialog
from tui.session import session
from tui.widgets.detail import describe

LABELS = {"first_name": "First name", "middle_name": "Middle name", "last_name": "Last name",
          "salutation": "Salutation", "title": "Title", "organization_id": "Organization", "address": "Address",
          "external_system_url": "CRM link"}


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if hasattr(value, "model_dump"):
        return inert(", ".join(str(v) for v in value.model_dump().values() if v))
    return inert(str(value))


class DuplicatesScreen(ModalScreen[bool]):
    """Pairs of likely duplicates, most likely first. Space marks pairs; Enter merges the marked ones (every
    contact in them) or else the highlighted pair. Returns True if anything was merged."""

    BINDINGS = [Binding("escape", "dismiss(False)", "Close", id="duplicates.close"),
                Binding("space", "mark", "Mark", id="duplicates.mark")]

    def __init__(self, contact_id: int | None = None):
        super().__init__()
        self.contact_id = contact_id
        self.merged = False
        self.candidates: dict[str, Candidate] = {}
        self.marked: set[str] = set()
        self.lines: dict[str, Text] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog manager"):
            yield Static(Text("Likely duplicates", "bold"), classes="title")
            yield Static(Text("Reading contacts…", "dim"), id="duplicates-progress")
            yield OptionList(id="groups")
            yield Static(Text("Space mark · Enter merge the marked pairs (or the highlighted one) · Esc close", "dim"))

    def on_mount(self) -> None:
        self.load_candidates()

    def progress(self, done: int, total: int) -> None:
        """Called from the worker thread as the contacts are read."""
        self.app.call_from_thread(self.query_one("#duplicates-progress", Static).update,
                                  Text(f"Reading contacts… {done:,} of {total:,}", "dim"))

    @work(thread=True, exclusive=True, group="duplicates")
    @reported
    def load_candidates(self) -> None:
        directory, actor = session(self).directory, session(self).actor
        found = directory.find_duplicates(actor, self.contact_id, progress=self.progress)
        ids = {i for candidate in found for i in candidate.ids}
        rows = {row.id: row for row in directory.rows(actor, "contact", ids)}
        self.app.call_from_thread(self.show_candidates, found, rows)

    def failed(self, error: ContactsError) -> None:
        self.query_one("#duplicates-progress", Static).update(Text(f"Could not look for duplicates: {inert(str(error))}",
                                                                   "bold red"))

    def show_candidates(self, found: list[Candidate], rows: dict[int, Row]) -> None:
        self.candidates = {",".join(map(str, c.ids)): c for c in found}
        self.marked.clear()
        self.lines = {}
        for key, candidate in self.candidates.items():
            who = inert(" ↔ ".join(f"{rows[i].name} ({rows[i].organization or 'no organization'}, id {i})"
                                   for i in candidate.ids if i in rows))
            self.lines[key] = Text(f"{candidate.score:.2f}  {who}\n      {'; '.join(candidate.reasons)}")
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(self._prompt(key), id=key) for key in self.candidates])
        if not found:
            options.add_option(Option(Text("No likely duplicates."), id="none", disabled=True))
        count = len(found)
        self.query_one("#duplicates-progress", Static).update(
            Text(f"{count} likely pair{'s' if count != 1 else ''}", "dim"))
        options.highlighted = 0 if found else None
        options.focus()

    def _prompt(self, key: str) -> Text:
        return Text("[x] " if key in self.marked else "[ ] ") + self.lines[key]

    def action_mark(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None or not self.candidates:
            return
        key = options.get_option_at_index(options.highlighted).id or ""
        if key in self.candidates:
            self.marked ^= {key}
            options.replace_option_prompt(key, self._prompt(key))

    @on(OptionList.OptionSelected, "#groups")
    def merge_chosen(self, event: OptionList.OptionSelected) -> None:
        keys = [k for k in self.candidates if k in self.marked] or [event.option.id or ""]
        ids = sorted({i for key in keys if key in self.candidates for i in self.candidates[key].ids})
        if len(ids) >= 2:
            self.app.push_screen(MergeScreen(ids), self.after_merge)

    def after_merge(self, merged: bool | None) -> None:
        if merged:
            self.merged = True
            self.load_candidates()

    # Esc closes the screen answering whether anything was merged, whatever the binding passes.
    def action_dismiss(self, result: bool | None = None) -> None:  # type: ignore[override]
        self.dismiss(self.merged)


class MergeScreen(Screen[bool]):
    """Pick the surviving record and, where they differ, which record's value each field keeps."""

    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel", id="merge.cancel"),
                Binding("ctrl+s", "merge", "Merge", id="merge.confirm")]

    def __init__(self, ids: list[int]):
        super().__init__()
        self.ids = ids

    def compose(self) -> ComposeResult:
        directory, actor = session(self).directory, session(self).actor
        self.records: list[Contact] = [directory.get_contact(actor, i) for i in self.ids]
        linked = {r.organization_id for r in self.records if r.organization_id}
        self.organizations = {o.key: inert(o.full_name) for o in directory.records(actor, "organization", linked)}
        options = [(f"{inert(r.full_name)} (id {r.id})", r.id) for r in self.records]
        yield Header()
        with Horizontal(id="merge-body"):
            with VerticalScroll(id="merge-choices"):
                yield Static(Text("Merge duplicates", "bold"), classes="title")
                with Horizontal(classes="field-row"):
                    yield Label("Keep record", classes="field-label")
                    yield Select(options, value=self.ids[0], allow_blank=False, id="survivor")
                for field in SCALAR_FIELDS:
                    values = {self._shown(field, r) for r in self.records}
                    if len(values) > 1:
                        with Horizontal(classes="field-row"):
                            yield Label(LABELS[field], classes="field-label")
                            yield Select([(f"{self._shown(field, r)} (id {r.id})", r.id) for r in self.records],
                                         value=self.ids[0], allow_blank=False, id=f"choice-{field}")
                yield Static(Text("Phones, emails, handles, external ids, notes and interactions of all of them are "
                                  "kept; a survey opt-out on any of them stays.", "dim"))
                yield Label("", id="merge-error", classes="error")
                with Horizontal(id="form-buttons"):
                    yield Button("Merge", variant="error", id="merge")
                    yield Button("Cancel", id="cancel")
            yield VerticalScroll(Static(id="preview"), id="merge-preview")
        yield Footer()

    def _shown(self, field: str, record: Contact) -> str:
        value = getattr(record, field)
        if field == "organization_id" and value:
            return self.organizations.get(value, "an organization in another division")
        return _shown(value)

    def on_mount(self) -> None:
        self.update_preview()

    def plan(self) -> tuple[int, list[int], dict[str, int]]:
        """The survivor, the others, and per field the contact whose value is kept."""
        survivor = self.query_one("#survivor", Select).value
        assert isinstance(survivor, int)  # the survivor select has no blank
        choices = {select.id.removeprefix("choice-"): select.value for select in self.query(Select)
                   if select.id and select.id.startswith("choice-") and isinstance(select.value, int)}
        return survivor, [i for i in self.ids if i != survivor], choices

    @on(Select.Changed)
    def update_preview(self) -> None:
        survivor, others, choices = self.plan()
        error = self.query_one("#merge-error", Label)
        try:
            preview = session(self).directory.merge_preview(session(self).actor, survivor, others, choices)
            profile = session(self).directory.profile(session(self).actor, "contact", survivor)
        except ContactsError as problem:
            error.update(Text(str(problem)))
            error.display = True
            return
        error.display = False
        shown = describe(replace(profile, record=preview), [])
        self.query_one("#preview", Static).update(Text("Preview\n", "bold underline") + shown)

    def action_merge(self) -> None:
        survivor, others, choices = self.plan()

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                merged = session(self).directory.merge_contacts(session(self).actor, survivor, others, choices)
            except ContactsError as problem:
                error = self.query_one("#merge-error", Label)
                error.update(Text(str(problem)))
                error.display = True
                return
            self.notify(f"Merged into {inert(merged.full_name)}", markup=False)
            self.dismiss(True)

        name = next(r.full_name for r in self.records if r.id == survivor)
        self.app.push_screen(ConfirmDialog(f"Merge {len(others) + 1} contacts into {name} (id {survivor})? The "
                                           "others are deleted; this cannot be undone.", "Merge", danger=True),
                             confirmed)

    @on(Button.Pressed, "#merge")
    def merge_pressed(self) -> None:
        self.action_merge()

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.dismiss(False)
