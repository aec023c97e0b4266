"""The main screen: a searchable list of contacts or organizations beside the highlighted record in full."""

from __future__ import annotations

import asyncio
import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static, Tab, Tabs
from textual.worker import get_current_worker

from core.directory import Listing, MoveResult
from core.errors import ContactsError, StoreUnavailable
from core.kinds import RecordKind
from core.stopping import Stop
from core.text import inert
from core.transfer.salesforce import SOURCE as SYNC_SOURCE
from tui.reporting import reported
from tui.screens.dialogs import ConfirmDialog, NoteDialog
from tui.screens.divisions import DivisionsManager, MoveDialog
from tui.screens.help import HelpScreen
from tui.screens.managers import NotesManager, RelationshipsManager, SchemaManager
from tui.screens.merge import DuplicatesScreen
from tui.screens.record_form import RecordForm
from tui.screens.transfer import ExportScreen, ImportScreen
from tui.session import session
from tui.widgets.detail import DetailPane
from tui.widgets.record_list import ListHeading, RecordList
from tui.widgets.search_box import SearchBox

CHANGES_EVERY = 1.0  # seconds between looks for other processes' changes
DETAIL_PAUSE = 0.1  # seconds the cursor rests before the highlighted record is loaded in full
SCREENFUL = 100  # lines of a list read with its search (more than a screen shows)
COUNT_CAP = 100_000  # matches a list counts before it says "more than"
TYPING_PAUSE_S = 0.3  # typing stops this long before a search too broad to count at once is counted


class MainScreen(Screen):

    # The footer shows what fits at 80 columns, Help first; F1 and Ctrl+P (every command by name) list the rest.
    BINDINGS = [
        Binding("f1", "help", "Help", id="main.help"),
        Binding("slash", "focus_search", "Search", id="main.search"),
        Binding("escape", "leave_search", "Leave/clear search", show=False, id="main.clear"),
        Binding("down", "focus_list", "To the list", show=False, id="main.to_list"),
        Binding("ctrl+t", "switch_kind", "Contacts/Orgs", id="main.switch"),
        Binding("ctrl+n", "new", "New", id="main.new"),
        Binding("ctrl+o", "add_note", "Note", id="main.note"),
        Binding("delete", "delete", "Delete", show=False, id="main.delete"),
        Binding("f3", "notes", "Notes", show=False, id="main.notes"),
        Binding("f4", "relationships", "Relationships", show=False, id="main.relationships"),
        Binding("f5", "custom_fields", "Fields", show=False, id="main.custom_fields"),
        Binding("f6", "duplicates", "Duplicates", show=False, id="main.duplicates"),
        Binding("f7", "import", "Import", id="main.import"),
        Binding("f8", "export", "Export", id="main.export"),
        Binding("f9", "move", "Move", show=False, id="main.move"),
        Binding("f10", "divisions", "Divisions", show=False, id="main.divisions"),
    ]

    def compose(self) -> ComposeResult:
        directory = session(self).directory
        yield Header()
        with Horizontal():
            with Vertical(id="browser"):
                yield Tabs(Tab("Contacts", id="contact"), Tab("Organizations", id="organization"), id="kinds")
                yield SearchBox(placeholder="Search: name, number in any format, email, organization, id…", id="search")
                yield Static(id="count")
                records = RecordList(directory, session(self).actor, id="records")
                yield ListHeading(records, id="heading")
                yield records
            yield DetailPane(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.kind = "contact"
        self.shown: tuple[str, str] | None = None  # what the list shows: (kind, query)
        self.unavailable = False  # the directory's server stopped answering: looked for again every second
        self.stops = {"search": Stop(), "count": Stop()}  # the latest search's reads, and its count's
        self.query_one(RecordList).focus()
        self.run_search("")
        self.set_interval(CHANGES_EVERY, self.pick_up_changes)
        self.show_sync()

    # ------------------------------------------------------------ searching

    @property
    def records(self) -> RecordList:
        return self.query_one(RecordList)

    @on(Input.Changed, "#search")
    def search_typed(self, event: Input.Changed) -> None:
        # Searches take milliseconds even at 100,000 records, so every keystroke searches (no waiting for a pause
        # in typing); a newer search cancels an older one, whose results are then dropped.
        self.run_search(event.value)

    @on(Input.Submitted, "#search")
    def action_focus_list(self) -> None:
        """Down or Enter in the search box: on to the results."""
        self.records.focus()

    def run_search(self, query: str, keep: int | None = None, at: int = 0) -> None:
        """Search for ``query``; the cursor goes to record ``keep`` if it is still listed, else to line ``at`` (the
        line a deleted record was on shows the next one)."""
        # an older search and its count are stopped, on the server too: there they would slow this one down
        for stop in self.stops.values():
            stop.stop()
        self.workers.cancel_group(self, "count")
        self.stops["search"] = Stop()
        self._search(query, keep, at, self.stops["search"])

    @work(thread=True, exclusive=True, group="search")
    @reported
    def _search(self, query: str, keep: int | None, at: int, stop: Stop) -> None:
        kind = self.kind
        directory = session(self).directory
        with directory.stoppable(stop):
            listing = directory.browse(session(self).actor, kind, query)
            start = max(at - SCREENFUL, 0)
            near = listing.window(start, at + SCREENFUL)  # read here: drawing it need not wait for a server
            if keep in near:
                at = start + near.index(keep)
            elif keep is not None and (found := listing.position(keep)) is not None:
                at = found  # moved far (renamed): finding it counted the lines before it
                listing.window(max(at - SCREENFUL, 0), at + SCREENFUL)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_results, kind, query, listing, at)

    def show_results(self, kind: str, query: str, listing: Listing, at: int = 0) -> None:
        if kind != self.kind:
            return
        if self.shown is None or self.shown[0] != kind:
            self.query_one(ListHeading).refresh()
        self.shown = (kind, query)
        self.records.show(kind, listing, at)
        self.show_count(kind, query, listing)
        if not listing.complete:
            self.stops["count"] = Stop()
            self.count_results(kind, query, listing, self.stops["count"])

    def show_count(self, kind: str, query: str, listing: Listing, counted: int | None = None) -> None:
        record_kind = RecordKind.of(kind)
        if listing.complete:
            matching = Text(f"{listing.size():,} {record_kind.noun(listing.size())}")
        elif counted is not None:
            matching = Text(f"more than {COUNT_CAP:,} {record_kind.plural}")
        else:
            matching = Text(f"counting {record_kind.plural}")
        if query.strip():
            matching.append(" matching ")
            matching.append(query.strip(), "bold")
        self.query_one("#count", Static).update(matching, layout=False)  # one fixed line: no need to lay out again

    @work(thread=True, exclusive=True, group="count")
    @reported
    def count_results(self, kind: str, query: str, listing: Listing, stop: Stop) -> None:
        """Millions match a one-letter word on a server store: the list shows at once, and its count once typing
        pauses (each key would start a count the next one makes useless), up to ``COUNT_CAP``."""
        time.sleep(TYPING_PAUSE_S)
        if get_current_worker().is_cancelled:
            return
        with session(self).directory.stoppable(stop):
            counted = listing.count(COUNT_CAP)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.counted, kind, query, listing, counted)

    def counted(self, kind: str, query: str, listing: Listing, counted: int) -> None:
        if self.records.listing is listing:
            self.show_count(kind, query, listing, counted)
            self.records.counted()

    def refresh_results(self) -> None:
        """Search again; the cursor stays on its record, or on its line if the record is gone."""
        self.run_search(self.query_one("#search", Input).value, keep=self.records.highlighted,
                        at=self.records.cursor)

    @work(thread=True, exclusive=True, group="changes")
    @reported
    def pick_up_changes(self) -> None:
        # another process (the bot) wrote something, or the server answers again after failing
        if session(self).directory.refresh(session(self).actor) or self.unavailable:
            self.app.call_from_thread(self.changed_elsewhere)

    def show_sync(self) -> None:
        try:
            session(self).show_sync(session(self).directory.sync_state(session(self).actor, SYNC_SOURCE))
        except ContactsError as error:
            self.failed(error)

    def failed(self, error: ContactsError) -> None:
        """A read failed. A server that stopped answering is said once, and in place of the count until it is back
        (the list then shows what it holds again, without a restart)."""
        if isinstance(error, StoreUnavailable):
            if self.unavailable:
                return
            self.unavailable = True
            self.query_one("#count", Static).update(Text("Directory unavailable: trying again every second…", "bold red"))
        self.notify(inert(str(error)), title="Directory", severity="error", timeout=10)

    @on(RecordList.ReadFailed)
    def list_read_failed(self, event: RecordList.ReadFailed) -> None:
        self.failed(event.error)

    def changed_elsewhere(self) -> None:
        if self.unavailable:
            self.unavailable = False
            self.notify("The directory is available again.", title="Directory")
        self.show_sync()
        self.records.forget_rows()
        self.refresh_results()
        self.show_detail(self.records.kind, self.records.highlighted)

    # ------------------------------------------------------------ the highlighted record

    @on(RecordList.Highlighted)
    def highlighted(self, event: RecordList.Highlighted) -> None:
        self.show_detail_when_settled(event.kind, event.record_id)

    @work(exclusive=True, group="detail-pause")
    async def show_detail_when_settled(self, kind: str, record_id: int | None) -> None:
        # While keys are being typed or held, the list moves on every key; the record in full waits until it
        # rests, so loading it never slows the list down.
        await asyncio.sleep(DETAIL_PAUSE)
        self.show_detail(kind, record_id)

    @work(thread=True, exclusive=True, group="detail")
    def show_detail(self, kind: str, record_id: int | None) -> None:
        directory, actor = session(self).directory, session(self).actor
        profile = history = None
        if record_id is not None:
            try:
                profile = directory.profile(actor, kind, record_id)
                history = directory.history(actor, kind, record_id)[:20]
            except ContactsError:
                profile = None
        self.app.call_from_thread(self.detail_loaded, profile, history or [])

    def detail_loaded(self, profile, history) -> None:
        for pane in self.query(DetailPane):  # none while the screen is being taken down (the app is closing)
            pane.show(profile, history)

    @on(RecordList.Chosen)
    def chosen(self, event: RecordList.Chosen) -> None:
        self.edit(event.kind, event.record_id)

    # ------------------------------------------------------------ actions

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        """Esc in the search box goes to the list and keeps the search; Esc again clears it."""
        search = self.query_one("#search", Input)
        if not search.has_focus and search.value:
            search.value = ""
        self.records.focus()

    @on(Tabs.TabActivated, "#kinds")
    def kind_chosen(self, event: Tabs.TabActivated) -> None:
        if getattr(self, "kind", None) and event.tab.id and event.tab.id != self.kind:
            self.kind = event.tab.id
            self.run_search(self.query_one("#search", Input).value)

    def action_switch_kind(self) -> None:
        self.query_one(Tabs).active = "organization" if self.kind == "contact" else "contact"

    def action_new(self) -> None:
        self.app.push_screen(RecordForm(self.kind), self.saved)

    def edit(self, kind: str, record_id: int) -> None:
        try:
            record = session(self).directory.get(session(self).actor, kind, record_id)
        except ContactsError as error:
            self.notify(str(error), severity="error", markup=False)
            return
        self.app.push_screen(RecordForm(kind, record), self.saved)

    def saved(self, record_id: int | None) -> None:
        if record_id is not None:
            self.run_search(self.query_one("#search", Input).value, keep=record_id)
            self.show_detail(self.kind, record_id)

    def action_add_note(self, text: str = "", error: str | None = None) -> None:
        highlighted = self._highlighted_name()
        if highlighted is None:
            return
        kind, record_id, name = highlighted

        def write(text: str | None) -> None:
            if text is None:
                return
            try:
                session(self).directory.add_note(session(self).actor, kind, record_id, text)
            except ContactsError as problem:
                self.action_add_note(text, str(problem))  # open again, with what was typed and why it failed
                return
            self.notify(f"Note added to {name}", markup=False)
            self.show_detail(kind, record_id)

        self.app.push_screen(NoteDialog(name, text, error), write)

    def action_delete(self) -> None:
        record_id, kind = self.records.highlighted, self.records.kind
        rows = session(self).directory.rows(session(self).actor, kind, [record_id]) if record_id is not None else []
        if not rows:
            return
        row = rows[0]
        name = inert(row.name)
        # Two records may share a name: say which one, by what else the list shows of it and its id.
        which = inert(", ".join(part for part in (row.organization, row.phone, f"id {row.id}") if part))

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                session(self).directory.delete(session(self).actor, kind, row.id)
            except ContactsError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            self.notify(f"Deleted {name}", markup=False)
            self.refresh_results()

        extra = " Its notes go too; its contacts stay, unlinked." if kind == "organization" else " Its notes go too."
        self.app.push_screen(ConfirmDialog(f"Delete {kind} {name} ({which})?{extra}", "Delete", danger=True),
                             confirmed)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def _highlighted_name(self) -> tuple[str, int, str] | None:
        record_id, kind = self.records.highlighted, self.records.kind
        if record_id is None:
            return None
        rows = session(self).directory.rows(session(self).actor, kind, [record_id])
        return kind, record_id, inert(rows[0].name) if rows else str(record_id)

    def _after_manager(self, _: None = None) -> None:
        self.show_detail(self.records.kind, self.records.highlighted)

    def action_notes(self) -> None:
        highlighted = self._highlighted_name()
        if highlighted:
            self.app.push_screen(NotesManager(*highlighted), self._after_manager)

    def action_relationships(self) -> None:
        highlighted = self._highlighted_name()
        if highlighted is None or highlighted[0] != "organization":
            self.notify("Relationships belong to organizations: switch with Ctrl+T", severity="warning")
            return
        self.app.push_screen(RelationshipsManager(highlighted[1], highlighted[2]), self._after_manager)

    def action_duplicates(self, of_highlighted: bool = False) -> None:
        contact_id = self.records.highlighted if of_highlighted and self.records.kind == "contact" else None

        def done(merged: bool | None) -> None:
            if merged:
                self.records.forget_rows()
                self.refresh_results()

        self.app.push_screen(DuplicatesScreen(contact_id), done)

    def action_import(self) -> None:
        self.app.push_screen(ImportScreen(), self._after_transfer)

    def action_export(self) -> None:
        self.app.push_screen(ExportScreen(self.query_one("#search", Input).value), self._after_transfer)

    def _after_transfer(self, changed: bool | None) -> None:
        if changed:
            self.changed_elsewhere()

    def action_move(self) -> None:
        record_id, kind = self.records.highlighted, self.records.kind
        if record_id is None:
            return
        try:
            record = session(self).directory.get(session(self).actor, kind, record_id)
        except ContactsError as error:
            self.notify(str(error), severity="error", markup=False)
            return

        def moved(result: MoveResult | None) -> None:
            if result is not None:
                self.notify(result.message, markup=False)
                self.records.forget_rows()
                self.refresh_results()
                self.show_detail(kind, record_id)

        self.app.push_screen(MoveDialog(kind, record_id, inert(record.full_name), record.division), moved)

    def action_divisions(self) -> None:
        def closed(_: None = None) -> None:
            self.records.forget_rows()
            self.refresh_results()
            self._after_manager()

        self.app.push_screen(DivisionsManager(), closed)

    def action_custom_fields(self) -> None:
        self.app.push_screen(SchemaManager(self.kind), self._after_manager)
