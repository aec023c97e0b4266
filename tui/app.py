"""The Contacts terminal UI."""

from __future__ import annotations

import gc
from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from core.directory import Directory, SyncState
from core.policy import Actor
from tui.screens.main_screen import MainScreen

THEMES = ("textual-dark", "textual-light")


COLLECT_EVERY = 2.0  # seconds between runs of the cycle collector while the app is open
FULL_COLLECTION_EVERY = 30  # of those, every 30th looks at everything (once a minute)


class ContactsApp(App[None]):
    CSS_PATH = "contacts.tcss"
    # Every screen is "-narrow" in a small terminal (80 columns): lists, forms and dialogs give up room there.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # 24 lines: dialogs' lists shrink so their keys stay in view
    TITLE = "Contacts"
    BINDINGS = [
        Binding("f2", "toggle_theme", "Theme", id="app.theme"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, directory: Directory, actor: Actor, location: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.directory, self.actor = directory, actor
        self.where = "  ·  ".join(p for p in (location, f"as {actor}") if p)
        self.sub_title = self.where

    def show_sync(self, state: SyncState | None) -> None:
        """The header says how the last CRM sync went (any process's), when there has been one."""
        if state is None or state.at is None:
            return
        when = state.at.astimezone().strftime("%d %b %H:%M")
        said = f"Salesforce synced {when}" if state.ok else f"Salesforce sync FAILED {when} (contacts sync status)"
        self.sub_title = f"{self.where}  ·  {said}"

    def on_mount(self) -> None:
        # The records the store loaded live as long as the app: the cycle collector need not walk their millions of
        # objects again on every full collection, each of which paused a keystroke for a tenth of a second or more.
        gc.freeze()
        # And it runs on a clock instead of whenever allocations pass a count, which is mid-keystroke (a search
        # allocates most): a collection there added tens of milliseconds to a key, at random.
        gc.disable()
        self._collections = 0
        self.set_interval(COLLECT_EVERY, self._collect_cycles)
        self.theme = THEMES[0]
        self.push_screen(MainScreen())

    def _collect_cycles(self) -> None:
        self._collections += 1
        gc.collect(2 if self._collections % FULL_COLLECTION_EVERY == 0 else 1)  # young ones take a millisecond

    def on_unmount(self) -> None:
        gc.enable()

    def action_toggle_theme(self) -> None:
        self.theme = THEMES[1] if self.theme == THEMES[0] else THEMES[0]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            yield SystemCommand("New record", "Create a contact or organization (Ctrl+N)", screen.action_new)
            yield SystemCommand("Add note", "Note on the highlighted record (Ctrl+O)", screen.action_add_note)
            yield SystemCommand("Delete record", "Delete the highlighted record (Delete)", screen.action_delete)
            yield SystemCommand("Notes", "Add, edit and delete notes on the highlighted record (F3)", screen.action_notes)
            yield SystemCommand("Relationships", "Who looks after the highlighted organization (F4)",
                                screen.action_relationships)
            yield SystemCommand("Move to another division", "Move the highlighted record; it keeps its id and notes "
                                "(F9)", screen.action_move)
            yield SystemCommand("Divisions", "List, add, rename and describe divisions (F10)", screen.action_divisions)
            yield SystemCommand("Custom fields", "Add, disable and enable custom fields (F5)", screen.action_custom_fields)
            yield SystemCommand("Duplicates", "Likely duplicate contacts, to merge (F6)", screen.action_duplicates)
            yield SystemCommand("Duplicates of this contact", "Contacts like the highlighted one, to merge",
                                lambda: screen.action_duplicates(of_highlighted=True))
            yield SystemCommand("Import", "Import a CSV, vCard or JSON Lines file, with a dry run first (F7)",
                                screen.action_import)
            yield SystemCommand("Export", "Export to CSV, vCard or JSON Lines (F8)", screen.action_export)
            yield SystemCommand("Switch contacts / organizations", "Ctrl+T", screen.action_switch_kind)
            yield SystemCommand("Search", "Focus the search box (/)", screen.action_focus_search)
            yield SystemCommand("Help", "Keys and what they do (F1)", screen.action_help)
        yield SystemCommand("Light or dark theme", "F2", self.action_toggle_theme)
