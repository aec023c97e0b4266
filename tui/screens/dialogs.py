"""Small modal dialogs that return a value: confirm, and write a note."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel", id="confirm.cancel")]

    def __init__(self, question: str, confirm: str = "Yes", danger: bool = False) -> None:
        super().__init__()
        self._question, self._confirm, self._danger = question, confirm, danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self._question), classes="question")
            with Horizontal(classes="buttons"):
                yield Button(self._confirm, variant="error" if self._danger else "primary", id="yes")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        # What cannot be undone waits for a deliberate choice: Enter alone cancels it.
        self.query_one("#no" if self._danger else "#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class NoteDialog(ModalScreen[str | None]):
    """Write or edit a note; returns its text, or None when cancelled."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="note.cancel"),
                Binding("ctrl+s", "save", "Save", id="note.save")]

    def __init__(self, subject: str, text: str = "", error: str | None = None) -> None:
        super().__init__()
        self._subject, self._text, self._error = subject, text, error

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog note-dialog"):
            yield Label(Text(f"Note on {self._subject}"), classes="title")
            yield TextArea(self._text, id="note-text")
            yield Label(Text(self._error or ""), id="note-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)
