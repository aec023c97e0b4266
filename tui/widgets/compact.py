"""Fields of one line without borders, for screens that must fit many of them (a form, the import dialog)."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Button, Input, Select


def compact(root: Widget) -> None:
    for widget in root.query("Input, Select, Button").results():
        if isinstance(widget, Input | Select | Button):
            widget.compact = True
