"""Divisions: the manager (list, add, rename, describe) and the dialog that moves a record to another one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static

from core.directory import MoveResult
from core.errors import ContactsError
from tui.screens.managers import Manager
from tui.session import session


class DivisionsManager(Manager):
    """Every division with how many of its records you see; add one, rename or describe the highlighted one."""

    BINDINGS = [Binding("r", "rename", "Rename", id="divisions.rename"),
                Binding("e", "describe", "Describe", id="divisions.describe")]
    TITLE_TEXT = "Divisions"

    def keys_help(self) -> str:
        return ("a add · r rename the highlighted one to the name typed · e describe it with the description typed"
                " · Esc close")

    def extra(self) -> ComposeResult:
        with Horizontal(classes="inline-form"):
            yield Input(placeholder="Name", id="division-name")
            yield Input(placeholder="Description", id="division-description")
        with Horizontal(classes="inline-form"):
            yield Button("Add", id="add-division")
            yield Button("Rename highlighted", id="rename-division")
            yield Button("Describe highlighted", id="describe-division")

    def items(self) -> list[tuple[object, str]]:
        directory, actor = session(self).directory, session(self).actor
        lines: list[tuple[object, str]] = []
        for division in directory.divisions():
            size = directory.division_size(actor, division.name)
            shown = "not yours" if size is None else f"{size:,} records"
            lines.append((division.name, f"{division.name:<24} {shown:>14}  {division.description or ''}"))
        return lines

    def _typed(self, widget_id: str) -> Input:
        return self.query_one(f"#{widget_id}", Input)

    def action_add(self) -> None:
        self._typed("division-name").focus()

    @on(Button.Pressed, "#add-division")
    @on(Input.Submitted, "#division-name, #division-description")
    def add_division(self) -> None:
        name, description = self._typed("division-name"), self._typed("division-description")
        if self.attempt(lambda: session(self).directory.create_division(
                session(self).actor, name.value, description.value or None)):
            name.value = description.value = ""

    @on(Button.Pressed, "#rename-division")
    def action_rename(self) -> None:
        current, name = self.selected(), self._typed("division-name")
        if current is None:
            return
        if not name.value.strip():
            name.focus()
            return
        if self.attempt(lambda: session(self).directory.rename_division(session(self).actor, current, name.value)):
            name.value = ""

    @on(Button.Pressed, "#describe-division")
    def action_describe(self) -> None:
        current, description = self.selected(), self._typed("division-description")
        if current is not None and self.attempt(lambda: session(self).directory.describe_division(
                session(self).actor, current, description.value or None)):
            description.value = ""


class MoveDialog(ModalScreen[MoveResult | None]):
    """Move one record to another division: says what moves with it, and moves it when asked."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="move.cancel")]

    def __init__(self, kind: str, record_id: int, name: str, division: str) -> None:
        super().__init__()
        self.kind, self.record_id, self.record_name, self.division = kind, record_id, name, division

    def compose(self) -> ComposeResult:
        others = [d.name for d in session(self).directory.divisions() if d.name != self.division]
        with Vertical(classes="dialog"):
            yield Static(Text(f"Move {self.kind} {self.record_name} (id {self.record_id}) from division {self.division} to:"),
                         classes="question")
            yield Select([(name, name) for name in others], prompt="Choose a division", id="division")
            yield Static(Text("Its id, notes, interactions and history move with it, so links to it keep working. "
                              "People without access to the new division will no longer see it.", "dim"))
            yield Static("", id="move-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Move", variant="primary", id="move", disabled=True)  # until a division is chosen
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(Select).focus()

    @on(Select.Changed, "#division")
    def chosen(self, event: Select.Changed) -> None:
        self.query_one("#move", Button).disabled = not isinstance(event.value, str)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#move")
    def move(self) -> None:
        target = self.query_one(Select).value
        error = self.query_one("#move-error", Static)
        assert isinstance(target, str)  # the button is enabled once a division is chosen
        try:
            result = session(self).directory.move(session(self).actor, self.kind, self.record_id, target)
        except ContactsError as problem:
            error.update(Text(str(problem)))
            return
        self.dismiss(result)
