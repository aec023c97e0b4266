"""The search box above the record list."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class SearchBox(Input):
    """An Input whose typing redraws only itself.

    The stock Input sets its ``virtual_size`` (its scrollable width) on every change of its text, and
    ``virtual_size`` asks for a layout of the whole screen: at 100,000 contacts that layout was a third of each
    keystroke's time. A one-line box of fixed width needs no layout to scroll its text, only a repaint.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
