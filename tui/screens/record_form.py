"""Create and edit forms for contacts and organizations: every field of the record, custom fields by their type,
and core's validation errors under the field they concern."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static, Switch, TextArea

from core.customfields import CustomField, FieldType
from core.errors import ContactsError, FieldProblem, ValidationFailed
from core.models import DEFAULT_DIVISION
from core.text import fold, inert
from tui.screens.dialogs import ConfirmDialog
from tui.session import session
from tui.widgets.compact import compact
from tui.widgets.completing_input import CompletingInput
from tui.widgets.record_fields import SECTIONS, ListRow, PhoneInput

CONTACT_TEXT = [("first_name", "First name"), ("middle_name", "Middle name"), ("last_name", "Last name"),
                ("salutation", "Salutation"), ("title", "Title")]
ORGANIZATION_TEXT = [("name", "Name"), ("industry", "Industry"), ("company_type", "Company type")]
ADDRESS = [("address1", "Address"), ("address2", "Address line 2"), ("city", "City"), ("state", "State"),
           ("postal_code", "Postal code"), ("country_code", "Country")]
LISTS = {"websites": "Websites (comma-separated)", "tags": "Tags (comma-separated)"}


def error_label(key: str) -> Label:
    return Label("", id=f"error-{key}", classes="error")


class OrganizationNames(Suggester):
    """Completes an organization's name from the directory as it is typed."""

    def __init__(self, screen: RecordForm):
        super().__init__(use_cache=False, case_sensitive=False)
        self._screen = screen

    async def get_suggestion(self, value: str) -> str | None:
        if len(value.strip()) < 2:
            return None
        app = session(self._screen)
        hits = app.directory.search(app.actor, value, kinds=["organization"], page_size=10).hits
        return next((h.title for h in hits if fold(h.title).startswith(fold(value))), None)


class RecordForm(Screen[int | None]):
    """Returns the saved record's id, or None if the form was cancelled."""

    BINDINGS = [Binding("ctrl+s", "save", "Save", id="form.save"),
                Binding("escape", "cancel", "Cancel", id="form.cancel")]

    def __init__(self, kind: str, record: Any | None = None):
        super().__init__()
        self.kind, self.record = kind, record
        self._initial: dict[str, Any] | None = None

    # ------------------------------------------------------------ building the form

    def compose(self) -> ComposeResult:
        directory = session(self).directory
        record = self.record
        noun = self.kind
        yield Header()
        with VerticalScroll(id="form"):
            yield Static(Text(f"Edit {noun} {record.full_name}" if record else f"New {noun}", "bold"), classes="title")
            yield Label("", id="error-record", classes="error")
            for key, label in CONTACT_TEXT if self.kind == "contact" else ORGANIZATION_TEXT:
                yield from self._field(key, label, Input(self._value(key), id=f"f-{key}"))
            if self.kind == "contact":
                organization = ""
                if record and record.organization_id:
                    rows = directory.rows(session(self).actor, "organization", [record.organization_id])
                    organization = rows[0].name if rows else ""
                self._shown_organization = organization
                yield from self._field("organization_id", "Organization",
                                       CompletingInput(organization, id="f-organization",
                                                       suggester=OrganizationNames(self)))
                with Horizontal(classes="field switch-field"):
                    yield Label("Opted out of surveys", classes="switch-label")
                    yield Switch(bool(record and record.survey_opt_out), id="f-survey_opt_out")
            else:
                for key, label in LISTS.items():
                    yield from self._field(key, label, Input(", ".join(self._value(key) or []), id=f"f-{key}"))
                for key, label in (("phone", "Phone"), ("fax", "Fax")):
                    slot = self._value(key)
                    yield from self._field(key, label, PhoneInput(slot.model_dump(mode="json") if slot else None,
                                                                  directory.region, id=f"f-{key}"))
            yield from self._field("external_system_url", "Link to the record in your CRM",
                                   Input(self._value("external_system_url"), id="f-external_system_url"))
            yield from self._division()
            if self.kind == "contact":
                for section in SECTIONS:
                    yield from self._list_section(section)
            with Vertical(classes="group"):
                yield Label("Address", classes="group-title")
                address = (record.address.model_dump() if record and record.address else {})
                for key, label in ADDRESS:
                    yield from self._field(f"address-{key}", label, Input(address.get(key) or "", id=f"f-address-{key}"))
            schema = directory.schema(self.kind)
            if schema.fields:
                with Vertical(classes="group"):
                    yield Label("Custom fields", classes="group-title")
                    for spec in schema.fields:
                        yield from self._custom_field(spec)
            with Horizontal(id="form-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def _value(self, key: str) -> Any:
        return getattr(self.record, key, None) if self.record else None

    def _field(self, key: str, label: str, widget: Widget) -> ComposeResult:
        with Vertical(classes="field"):
            with Horizontal(classes="field-row"):
                yield Label(label, classes="field-label")
                yield widget
            yield error_label(key)

    def _division(self) -> ComposeResult:
        if self.record:
            yield Static(Text.assemble(("Division  ", "bold"), self.record.division,
                                       ("  (to change it, close this form and press F9: Move)", "dim")),
                         classes="field")
            return
        names = [d.name for d in session(self).directory.divisions()]
        yield from self._field("division", "Division (fixed once created)",
                               Select([(n, n) for n in names], value=DEFAULT_DIVISION, allow_blank=False,
                                      id="f-division"))

    def _list_section(self, section: str) -> ComposeResult:
        title, _, add = SECTIONS[section]
        with Vertical(classes="group", id=f"section-{section}"):
            yield Label(title, classes="group-title")
            with Vertical(classes="rows"):
                for item in getattr(self.record, section, []) if self.record else []:
                    yield self._row(section, item.model_dump(mode="json"))
            yield error_label(section)
            yield Button(add, classes="add", id=f"add-{section}")

    def _row(self, section: str, item: dict[str, Any] | None = None) -> ListRow:
        return ListRow(section, item or {}, session(self).directory.region)

    def _custom_field(self, spec: CustomField) -> ComposeResult:
        value = (self.record.custom_fields if self.record else {}).get(spec.key)
        label = spec.label + (" (disabled: kept, not editable)" if spec.disabled else "") + ("*" if spec.required else "")
        widget_id = f"c-{spec.key}"
        if spec.type is FieldType.checkbox:
            widget: Widget = Switch(bool(value), id=widget_id)
        elif spec.type is FieldType.enum:
            options = [(o.value, o.value) for o in spec.options if not o.disabled or o.value == value]
            widget = Select(options, value=value if value is not None else Select.NULL, id=widget_id)
        elif spec.type is FieldType.longtext:
            widget = TextArea(value or "", id=widget_id, classes="longtext")
        else:
            shown = ", ".join(value) if isinstance(value, list) else ("" if value is None else str(value))
            widget = Input(shown, id=widget_id, placeholder=spec.describe())
        widget.disabled = spec.disabled
        yield from self._field(f"custom-{spec.key}", label, widget)

    @on(Button.Pressed, ".add")
    async def add_row(self, event: Button.Pressed) -> None:
        section = (event.button.id or "").removeprefix("add-")
        row = self._row(section)
        await self.query_one(f"#section-{section} .rows", Vertical).mount(row)
        compact(row)
        for box in row.query(Input).results(Input):
            box.value = inert(box.value)
        row.query_one(".text", Input).focus(scroll_visible=False)
        self.call_after_refresh(self.query_one("#form", VerticalScroll).scroll_to_widget, row, animate=False)  # laid out

    def on_mount(self) -> None:
        compact(self)
        for box in self.query(Input).results(Input):  # a stored escape shows as ␛ and is not sent to the terminal
            box.value = inert(box.value)
        self.call_after_refresh(self._remember_initial)
        first = "#f-first_name" if self.kind == "contact" else "#f-name"
        self.query_one(first, Input).focus()

    def _remember_initial(self) -> None:
        self._initial = self.collect()

    # ------------------------------------------------------------ reading the form

    def _text(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def collect(self) -> dict[str, Any]:
        """The record's fields as the form now holds them (the organization as typed, by name)."""
        data: dict[str, Any] = {}
        for key, _ in CONTACT_TEXT if self.kind == "contact" else ORGANIZATION_TEXT:
            data[key] = self._text(f"#f-{key}")
        data["external_system_url"] = self._text("#f-external_system_url")
        if self.kind == "contact":
            data["organization"] = self._text("#f-organization")
            data["survey_opt_out"] = self.query_one("#f-survey_opt_out", Switch).value
            for section in SECTIONS:
                rows = self.query_one(f"#section-{section} .rows", Vertical).query(ListRow)
                data[section] = [v for v in (row.value() for row in rows) if v]
        else:
            for key in LISTS:
                data[key] = [part.strip() for part in self._text(f"#f-{key}").split(",") if part.strip()]
            for key in ("phone", "fax"):
                data[key] = self.query_one(f"#f-{key}", PhoneInput).value()
        address = {key: self._text(f"#f-address-{key}") for key, _ in ADDRESS}
        data["address"] = address if any(v.strip() for v in address.values()) else None
        data["custom_fields"] = self._custom_values()
        if not self.record:
            data["division"] = self.query_one("#f-division", Select).value
        return data

    def _custom_values(self) -> dict[str, Any]:
        stored = self.record.custom_fields if self.record else {}
        values: dict[str, Any] = {}
        for spec in session(self).directory.schema(self.kind).fields:
            widget = self.query_one(f"#c-{spec.key}")
            if isinstance(widget, Switch):
                value: Any = widget.value
            elif isinstance(widget, Select):
                value = None if widget.value is Select.NULL else widget.value
            elif isinstance(widget, TextArea):
                value = widget.text
            else:
                assert isinstance(widget, Input)
                value = widget.value
            if spec.disabled:
                value = stored.get(spec.key)
            if value is False and spec.type is FieldType.checkbox and spec.key not in stored:
                continue  # a box never ticked stays unset: saving must not write "no" for it
            if value not in (None, ""):
                values[spec.key] = value
        return values

    # ------------------------------------------------------------ saving

    def action_save(self) -> None:
        directory, actor = session(self).directory, session(self).actor
        data = self.collect()
        problems: list[FieldProblem] = []
        if self.kind == "contact":
            name = data.pop("organization").strip()
            # Left as shown, the link stays as it is, even to an organization the person cannot see (shown blank).
            if not (self.record and name == self._shown_organization):
                data["organization_id"] = self._organization_id(name, problems)
        if problems:  # the rest of the form is checked too, so every problem shows at once
            others = {k: v for k, v in data.items() if k != "organization_id"}
            problems += directory.problems(actor, self.kind, others, self.record.id if self.record else None)
            self.show_errors(problems)
            return
        try:
            if self.record:
                record = directory.update(actor, self.kind, self.record.id, data, expected_version=self.record.version)
            else:
                record = directory.create(actor, self.kind, data)
        except ValidationFailed as error:
            self.show_errors(error.problems)
            return
        except ContactsError as error:
            self.show_errors([FieldProblem("record", None, str(error))])
            return
        self.notify(f"Saved {record.full_name}", markup=False)
        self.dismiss(record.id)

    def _organization_id(self, name: str, problems: list[FieldProblem]) -> int | None:
        if not name:
            return None
        try:
            return session(self).directory.organization_named(session(self).actor, name).id
        except ValidationFailed as error:
            problems += error.problems
            return None

    def show_errors(self, problems: list[FieldProblem]) -> None:
        for label in self.query(".error").results(Label):
            label.update("")
            label.display = False
        for problem in problems:
            label = self._error_label(problem.field)
            shown = problem.message + (f" (got {problem.value!r})" if problem.value not in (None, "") else "")
            previous = str(label.render()) if label.display else ""
            label.update(Text(f"{previous}; {shown}" if previous else shown))
            label.display = True
        first = next((label for label in self.query(".error").results(Label) if label.display), None)  # top first
        if first is not None:
            count = len(problems)
            self.notify(f"{count} problem{'s' if count > 1 else ''} to fix: nothing was saved", severity="error")
            self.call_after_refresh(self._go_to_problem, first)

    def _go_to_problem(self, label: Label) -> None:
        """Bring the first problem into view (laid out by now) and put the cursor in the field it is about."""
        field = label.parent
        if not isinstance(field, Widget):
            return
        # The whole field, its name and box above the message: a message alone at the top hid what it was about.
        self.query_one("#form", VerticalScroll).scroll_to_widget(field, animate=False)
        for kinds in (Input, "Select, TextArea, Switch"):  # the text box first (a phone row starts with its kind)
            target = next((w for w in field.query(kinds) if w.focusable), None)
            if target is not None:
                target.focus(scroll_visible=False)
                return

    def _error_label(self, field: str) -> Label:
        parts = field.split(".")
        head = parts[0]
        if head in SECTIONS and len(parts) > 1 and parts[1].isdigit():
            rows = list(self.query_one(f"#section-{head} .rows", Vertical).query(ListRow))
            index = int(parts[1])
            if index < len(rows):
                return rows[index].query_one(".row-error", Label)
        key = {"custom_fields": f"custom-{parts[1]}" if len(parts) > 1 else "record",
               "address": f"address-{parts[1]}" if len(parts) > 1 else "record"}.get(head, head)
        label = next(self.query(f"#error-{key}").results(Label), None)
        return label if label is not None else self.query_one("#error-record", Label)

    @on(Button.Pressed, "#save")
    def save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        if self._initial is None or self.collect() == self._initial:
            self.dismiss(None)
            return
        def discard(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog("Discard your changes?", "Discard", danger=True), discard)
