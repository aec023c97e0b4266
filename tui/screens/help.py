"""What the keys do."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# Contacts

Browse and edit the external contacts directory. Changes the Slack bot (or another terminal) makes on the same
data directory show up here within a second.

| key | does |
|---|---|
| `/` | search: names, numbers in any format, emails, organizations, custom ids |
| `↓` or `Enter` in the search box | on to the results |
| `Esc` | leave the search box, keeping the search; again: clear the search |
| `Tab`, `Shift+Tab` | move between the tabs, the search box and the list |
| `↑ ↓ PgUp PgDn Home End` | move in the list |
| `Enter` | edit the highlighted record |
| `Ctrl+T` | switch between contacts and organizations |
| `Ctrl+N` | new contact or organization |
| `Ctrl+O` | add a note to the highlighted record |
| `Delete` | delete the highlighted record (asks first, naming it; `Enter` alone cancels) |
| `F3` | notes of the highlighted record: add, edit, delete |
| `F4` | relationships of the highlighted organization |
| `F5` | custom fields: add, disable, enable |
| `F6` | likely duplicates: pick a group, choose what survives field by field, preview, merge |
| `F7` | import a CSV, vCard or JSON Lines file: check it first (each row's outcome), then import |
| `F8` | export to CSV, vCard, or JSON Lines (a full backup) |
| `F9` | move the highlighted record to another division (it keeps its id, notes and history) |
| `F10` | divisions: list, add, rename, describe |
| `F2` | light or dark theme |
| `Ctrl+P` | every command, by name |
| `F1` | this help |
| `Ctrl+Q` | quit |

The footer shows what fits; every key here is also a command in `Ctrl+P`.

In a form, `Ctrl+S` saves and `Esc` cancels (asking first if anything changed). Errors appear under the field
they concern; nothing is saved until every field is valid.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss(None)", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Markdown(HELP)
