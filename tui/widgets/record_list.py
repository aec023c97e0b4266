"""A list of any number of records that renders only the lines on screen (Textual's Line API).

The stock DataTable builds every row up front and blocks for seconds at 100,000 rows; this list holds a listing
(the directory's, read a window at a time: at ten million records no process holds every id) and asks the
directory for the few rows it draws, keeping recent ones in an LRU cache.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from core.directory import Directory, Listing, Row
from core.errors import ContactsError
from core.policy import Actor
from core.text import inert

COLUMNS = (("name", 0.32), ("organization", 0.24), ("phone", 0.27), ("division", 0.17))
# Below this many characters the division (also in the detail pane) gives its room to the other columns.
NARROW = 56
NARROW_COLUMNS = (("name", 0.38), ("organization", 0.32), ("phone", 0.30))
FLAG = " no surveys"
HEADINGS = {"contact": {"name": "Name", "organization": "Organization", "phone": "Phone", "division": "Division",
                        "flag": " Surveys"},
            "organization": {"name": "Name", "organization": "Industry", "phone": "Phone", "division": "Division",
                             "flag": ""}}


def columns(values: dict[str, str], width: int) -> tuple[str, int]:
    """A line's cells at ``width`` (the same columns on every line, flag or not), and the width they fill."""
    usable = max(width - len(FLAG), 10)
    cells = []
    for column, share in COLUMNS if usable >= NARROW else NARROW_COLUMNS:
        size = max(int(usable * share), 4)
        text = values[column]
        cells.append((text if len(text) < size else text[: size - 2] + "…").ljust(size))
    return "".join(cells)[:usable].ljust(usable), usable


class RecordList(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"record-list--cursor", "record-list--flag"}
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False, id="list.up"),
        Binding("down", "move(1)", "Down", show=False, id="list.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list.page_down"),
        Binding("home", "jump(0)", "First", show=False, id="list.first"),
        Binding("end", "jump(-1)", "Last", show=False, id="list.last"),
        Binding("enter", "choose", "Open", id="list.open"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor moved to a record (or the list became empty: ``record_id`` is None)."""

        def __init__(self, kind: str, record_id: int | None):
            super().__init__()
            self.kind, self.record_id = kind, record_id

    class ReadFailed(Message):
        """The directory could not be read for lines to draw (its server stopped answering): they are left blank."""

        def __init__(self, error: ContactsError):
            super().__init__()
            self.error = error

    class Chosen(Message):
        def __init__(self, kind: str, record_id: int):
            super().__init__()
            self.kind, self.record_id = kind, record_id

    def __init__(self, directory: Directory, actor: Actor, **kwargs) -> None:
        super().__init__(**kwargs)
        self._directory, self._actor = directory, actor
        self.kind = "contact"
        self.listing: Listing | None = None
        self.length = 0  # lines the list has now (a listing not counted yet grows as it is read)
        self._rows: LRUCache[int, Row | None] = LRUCache(4096)
        self._styles: tuple[Style, Style, Style] | None = None

    def id_at(self, index: int) -> int | None:
        if self.listing is None or not 0 <= index < self.length:
            return None
        found = self._window(index, index + 1)
        return found[0] if found else None

    def _window(self, start: int, stop: int) -> list[int]:
        """The listing's ids from ``start``, or none while the directory cannot be read (said by the screen)."""
        assert self.listing is not None
        try:
            return self.listing.window(start, stop)
        except ContactsError as error:
            self.post_message(self.ReadFailed(error))
            return []

    @property
    def highlighted(self) -> int | None:
        return self.id_at(self.cursor)

    def show(self, kind: str, listing: Listing, at: int = 0) -> None:
        """Show ``listing`` with the cursor on line ``at`` (or the last)."""
        self.kind, self.listing = kind, listing
        self._rows.clear()
        self._measure()
        position = max(0, min(at, self.length - 1))
        self.scroll_to(y=max(0, position - self.size.height // 2), animate=False, immediate=True)
        self.cursor = position
        self.refresh()

    def _measure(self) -> None:
        self.length = self.listing.size() if self.listing is not None else 0
        size = Size(self.size.width, self.length)
        if size != self.virtual_size:
            # Setting virtual_size lays out the whole screen again (the detail pane's long text included), on every
            # key typed in the search box. A new length needs only this list's scrollbar updated, and with the
            # scrollbar always there (overflow-y: scroll) nothing else moves.
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)

    def counted(self) -> None:
        """The listing knows its length now (a count finished): the scrollbar shows it."""
        self._measure()
        self.refresh()

    def forget_rows(self) -> None:
        """Rows may have changed on disk: draw them afresh."""
        self._rows.clear()
        self.refresh()

    def watch_cursor(self, cursor: int) -> None:
        if self.length:
            clamped = min(max(cursor, 0), self.length - 1)
            if clamped != cursor:
                self.cursor = clamped
                return
            self.scroll_to_region(Region(0, cursor, 1, 1), animate=False, immediate=True)
        self.refresh()
        self.post_message(self.Highlighted(self.kind, self.highlighted))

    def action_move(self, step: int) -> None:
        self.cursor += step

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.size.height - 1)

    def action_jump(self, index: int) -> None:
        self.cursor = index if index >= 0 else self.length - 1

    def action_choose(self) -> None:
        if self.highlighted is not None:
            self.post_message(self.Chosen(self.kind, self.highlighted))

    def on_click(self, event) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < self.length:
            if index == self.cursor and event.chain >= 2:
                self.action_choose()
            self.cursor = index

    def _row(self, index: int) -> Row | None:
        record_id = self.id_at(index)
        if record_id is None:
            return None
        if record_id not in self._rows:
            assert self.listing is not None
            window = self.listing.window(index, index + max(self.size.height, 1))
            found = {row.id: row for row in self._directory.rows(self._actor, self.kind, window)}
            for other in window:
                self._rows[other] = found.get(other)  # None: deleted meanwhile
            if self.listing.size() != self.length:  # reading further found more lines, or the end
                self.call_later(self.counted)
        return self._rows.get(record_id)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    def _line_styles(self) -> tuple[Style, Style, Style]:
        """The styles of a line, the cursor's line and the opt-out flag: worked out once per theme, not per line
        (each lookup walks the widget's ancestors)."""
        if self._styles is None:
            base = self.rich_style
            self._styles = (base, base + self.get_component_rich_style("record-list--cursor"),
                            Style(color=self.get_component_rich_style("record-list--flag").color))
        return self._styles

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width  # not under the scrollbar
        if index >= self.length:
            return Strip.blank(width, self.rich_style)
        try:
            row = self._row(index)
        except ContactsError as error:
            self.post_message(self.ReadFailed(error))
            return Strip.blank(width, self.rich_style)
        if row is None and self.id_at(index) is None:  # past the end of a listing not counted yet
            return Strip.blank(width, self.rich_style)
        base, cursor, flag_colour = self._line_styles()
        style = cursor if index == self.cursor else base
        if row is None:
            return Strip([Segment("(deleted)".ljust(width)[:width], style)], width)
        flag = FLAG if row.survey_opt_out else ""
        line, _ = columns({"name": row.name, "organization": row.organization, "phone": row.phone,
                           "division": row.division}, width)
        segments = [Segment(inert(line), style), Segment(flag.ljust(len(FLAG)), style + flag_colour)]
        return Strip(segments).crop(0, width)


class ListHeading(Widget):
    """The column names above a ``RecordList``, laid out as its lines are."""

    DEFAULT_CSS = """
    ListHeading {
        height: 1;
        padding: 0 1;
        text-style: bold;
    }
    """

    def __init__(self, records: RecordList, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._records = records

    def render(self) -> Text:
        heading = HEADINGS[self._records.kind]
        # Laid out in the same pass as the list, so its lines' width (scrollbar and padding aside) is known here.
        line, _ = columns(heading, self._records.scrollable_content_region.width or self.size.width)
        return Text(line + heading["flag"].ljust(len(FLAG)))
