"""Dialogs that manage what hangs off a record or the directory: notes, relationships, custom fields."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from core.customfields import FieldType
from core.errors import ContactsError, ValidationFailed
from core.text import inert
from tui.screens.dialogs import ConfirmDialog, NoteDialog
from tui.session import session
from tui.widgets.completing_input import CompletingInput


class Manager(ModalScreen[None]):
    """A list of items with keys to add, edit and remove them; subclasses say what the items are."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="manager.close"),
        Binding("a", "add", "Add", id="manager.add"),
        Binding("d,delete", "remove", "Remove", id="manager.remove"),
    ]
    TITLE_TEXT = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog manager"):
            yield Static(Text(self.heading(), "bold"), classes="title")
            yield OptionList(id="items")
            yield Label("", id="manager-error", classes="error")
            yield from self.extra()
            yield Static(Text(self.keys_help(), "dim"))

    def heading(self) -> str:
        return self.TITLE_TEXT

    def keys_help(self) -> str:
        return "a add · d remove · Esc close"

    def extra(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def reload(self) -> None:
        items = self.query_one(OptionList)
        previous = items.highlighted or 0
        items.clear_options()
        items.add_options([Option(Text(label), id=str(key)) for key, label in self.items()])
        if items.option_count:
            items.highlighted = min(previous, items.option_count - 1)

    def items(self) -> list[tuple[object, str]]:
        """(id, line) for each item; each manager lists its own."""
        return []

    def selected(self) -> str | None:
        items = self.query_one(OptionList)
        if items.highlighted is None:
            return None
        return items.get_option_at_index(items.highlighted).id

    def report(self, error: ContactsError | None) -> None:
        label = self.query_one("#manager-error", Label)
        label.update(Text(str(error)) if error else "")
        label.display = error is not None

    def attempt(self, change) -> bool:
        try:
            change()
        except ContactsError as error:
            self.report(error)
            return False
        self.report(None)
        self.reload()
        return True


class NotesManager(Manager):
    BINDINGS = [Binding("e,enter", "edit", "Edit", id="notes.edit")]

    def __init__(self, kind: str, record_id: int, name: str):
        super().__init__()
        self.kind, self.record_id, self.subject = kind, record_id, name

    def heading(self) -> str:
        return f"Notes on {self.subject}"

    def keys_help(self) -> str:
        return "a add · e edit · d delete · Esc close"

    def items(self) -> list[tuple[object, str]]:
        notes = session(self).directory.notes(session(self).actor, self.kind, self.record_id)
        return [(n.id, inert(f"{n.created_at:%Y-%m-%d %H:%M}  {n.author}  {' '.join(n.text.split())[:90]}")) for n in notes]

    def action_add(self) -> None:
        def added(text: str | None) -> None:
            if text is not None:
                self.attempt(lambda: session(self).directory.add_note(session(self).actor, self.kind, self.record_id, text))

        self.app.push_screen(NoteDialog(self.subject), added)

    def action_edit(self) -> None:
        note_id = self.selected()
        if note_id is None:
            return
        note = next(n for n in session(self).directory.notes(session(self).actor, self.kind, self.record_id)
                    if n.id == int(note_id))

        def edited(text: str | None) -> None:
            if text is not None:
                self.attempt(lambda: session(self).directory.edit_note(session(self).actor, int(note_id), text))

        self.app.push_screen(NoteDialog(self.subject, inert(note.text)), edited)

    def action_remove(self) -> None:
        note_id = self.selected()
        if note_id is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.attempt(lambda: session(self).directory.delete_note(session(self).actor, int(note_id)))

        self.app.push_screen(ConfirmDialog("Delete this note?", "Delete", danger=True), confirmed)


class RelationshipsManager(Manager):
    """The people at your company who look after an organization, and their roles."""

    def __init__(self, organization_id: int, name: str):
        super().__init__()
        self.organization_id, self.subject = organization_id, name

    def heading(self) -> str:
        return f"Relationships of {self.subject}"

    def extra(self) -> ComposeResult:
        with Horizontal(classes="inline-form"):
            known = session(self).directory.known_people(session(self).actor)
            yield CompletingInput(placeholder="Who (an internal user; Tab takes the suggestion)", id="user",
                                  suggester=SuggestFromList(known, case_sensitive=False))
            yield Input(placeholder="Role, such as Account Manager", id="role")
            yield Button("Add", id="add-relationship")

    def items(self) -> list[tuple[object, str]]:
        found = session(self).directory.relationships(session(self).actor, self.organization_id)
        return [(r.id, inert(f"{r.role}: {r.user}")) for r in found]

    def action_add(self) -> None:
        self.query_one("#user", Input).focus()

    @on(Button.Pressed, "#add-relationship")
    @on(Input.Submitted, "#role")
    def add_relationship(self) -> None:
        user, role = self.query_one("#user", Input), self.query_one("#role", Input)
        if self.attempt(lambda: session(self).directory.add_relationship(
                session(self).actor, self.organization_id, user.value, role.value)):
            user.value = role.value = ""
            self.query_one(OptionList).focus()

    def action_remove(self) -> None:
        relationship_id = self.selected()
        if relationship_id is not None:
            self.attempt(lambda: session(self).directory.remove_relationship(session(self).actor, int(relationship_id)))


class SchemaManager(Manager):
    """Custom fields of contacts or organizations: add one, or disable and enable it (values are kept)."""

    BINDINGS = [Binding("d,delete", "remove", "Disable/enable", id="schema.toggle")]

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def heading(self) -> str:
        return f"Custom fields of {self.kind}s"

    def keys_help(self) -> str:
        return "a add · d disable or enable · Esc close"

    def extra(self) -> ComposeResult:
        with Horizontal(classes="inline-form"):
            yield Input(placeholder="key (lower_case)", id="key")
            yield Input(placeholder="Label", id="label")
            yield Select([(t.value, t.value) for t in FieldType], value=FieldType.text.value, allow_blank=False,
                         id="type")
        with Horizontal(classes="inline-form"):
            yield Input(placeholder="enum options, comma-separated", id="options")
            yield Input(placeholder="max length / min", id="minimum")
            yield Input(placeholder="max", id="maximum")
            yield Button("Add field", id="add-field")

    def items(self) -> list[tuple[object, str]]:
        schema = session(self).directory.schema(self.kind)
        return [(f.key, f"{f.key:<20} {f.label:<24} {f.describe()}" + ("  [disabled]" if f.disabled else ""))
                for f in schema.fields]

    def action_add(self) -> None:
        self.query_one("#key", Input).focus()

    @on(Button.Pressed, "#add-field")
    def add_field(self) -> None:
        value = lambda widget_id: self.query_one(f"#{widget_id}", Input).value.strip()
        field_type = self.query_one("#type", Select).value
        low, high = value("minimum"), value("maximum")
        field = {"key": value("key"), "label": value("label"), "type": field_type,
                 "options": [{"value": o.strip()} for o in value("options").split(",") if o.strip()]}
        try:
            if low:
                text_like = field_type not in (FieldType.integer.value, FieldType.number.value)
                field["max_length" if text_like else "minimum"] = int(low) if text_like else float(low)
            if high:
                field["maximum"] = float(high)
        except ValueError:
            self.report(ValidationFailed.one("limits", low or high, "must be numbers"))
            return
        if self.attempt(lambda: session(self).directory.add_custom_field(session(self).actor, self.kind, field)):
            for widget_id in ("key", "label", "options", "minimum", "maximum"):
                self.query_one(f"#{widget_id}", Input).value = ""

    def action_remove(self) -> None:
        key = self.selected()
        if key is None:
            return
        spec = session(self).directory.schema(self.kind).field(key)
        if spec is None:
            return
        self.attempt(lambda: session(self).directory.set_custom_field_disabled(
            session(self).actor, self.kind, key, disabled=not spec.disabled))
