"""An input whose suggestion Tab accepts, as shells and editors do (the stock Input takes it only with →)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class CompletingInput(Input):
    BINDINGS = [Binding("tab", "accept_or_leave", "Accept suggestion", show=False)]

    def action_accept_or_leave(self) -> None:
        if self.cursor_at_end and len(self._suggestion) > len(self.value):
            self.action_cursor_right()  # takes the suggestion, as → does
        else:
            self.screen.focus_next()
