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

from core.directory.duplicates import SCALAR_FIELDS
from core.errors import ContactsError
from core.models import Contact
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
        return ", ".join(str(v) for v in value.model_dump().values() if v)
    return str(value)


class DuplicatesScreen(ModalScreen[bool]):
    """Groups of likely duplicates; Enter merges the highlighted group. Returns True if anything was merged."""

    BINDINGS = [Binding("escape", "dismiss(False)", "Close", id="duplicates.close")]

    def __init__(self, contact_id: int | None = None):
        super().__init__()
        self.contact_id = contact_id
        self.merged = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog manager"):
            yield Static(Text("Likely duplicates", "bold"), classes="title")
            yield OptionList(id="groups")
            yield Static(Text("Enter merge the group · Esc close", "dim"))

    def on_mount(self) -> None:
        self.load_groups()

    @work(thread=True, exclusive=True, group="duplicates")
    def load_groups(self) -> None:
        directory, actor = session(self).directory, session(self).actor
        groups = directory.find_duplicates(actor, self.contact_id)
        names = {row.id: row.name for group in groups for row in directory.rows(actor, "contact", group.ids)}
        self.app.call_from_thread(self.show_groups, groups, names)

    def show_groups(self, groups, names: dict[int, str]) -> None:
        self.groups = {",".join(map(str, g.ids)): g for g in groups}
        options = self.query_one(OptionList)
        options.clear_options()
        for key, group in self.groups.items():
            who = "; ".join(names.get(i, str(i)) for i in group.ids)
            options.add_option(Option(Text(f"{who}  ({', '.join(group.reasons)})"), id=key))
        if not groups:
            options.add_option(Option(Text("No likely duplicates."), id="none", disabled=True))
        options.focus()

    @on(OptionList.OptionSelected, "#groups")
    def merge_group(self, event: OptionList.OptionSelected) -> None:
        group = self.groups.get(event.option.id or "")
        if group:
            self.app.push_screen(MergeScreen(group.ids), self.after_merge)

    def after_merge(self, merged: bool | None) -> None:
        if merged:
            self.merged = True
            self.load_groups()

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
        options = [(f"{r.full_name} (#{r.id})", r.id) for r in self.records]
        yield Header()
        with Horizontal():
            with VerticalScroll(id="merge-choices"):
                yield Static(Text("Merge duplicates", "bold"), classes="title")
                with Horizontal(classes="field-row"):
                    yield Label("Keep record", classes="field-label")
                    yield Select(options, value=self.ids[0], allow_blank=False, id="survivor")
                for field in SCALAR_FIELDS:
                    values = {_shown(getattr(r, field)) for r in self.records}
                    if len(values) > 1:
                        with Horizontal(classes="field-row"):
                            yield Label(LABELS[field], classes="field-label")
                            yield Select([(f"{_shown(getattr(r, field))} (#{r.id})", r.id) for r in self.records],
                                         value=self.ids[0], allow_blank=False, id=f"choice-{field}")
                yield Static(Text("Phones, emails, handles, external ids, notes and interactions of all of them are "
                                  "kept; a survey opt-out on any of them stays.", "dim"))
                yield Label("", id="merge-error", classes="error")
                with Horizontal(id="form-buttons"):
                    yield Button("Merge", variant="error", id="merge")
                    yield Button("Cancel", id="cancel")
            yield VerticalScroll(Static(id="preview"), id="merge-preview")
        yield Footer()

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
            self.notify(f"Merged into {merged.full_name}", markup=False)
            self.dismiss(True)

        self.app.push_screen(ConfirmDialog(f"Merge {len(others) + 1} contacts into #{survivor}? The others are "
                                           "deleted; this cannot be undone.", "Merge", danger=True), confirmed)

    @on(Button.Pressed, "#merge")
    def merge_pressed(self) -> None:
        self.action_merge()

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.dismiss(False)
