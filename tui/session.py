"""What every screen and widget of the app works with: the directory, and the person using it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from textual.dom import DOMNode

from core.directory import Directory, SyncState
from core.policy import Actor


@runtime_checkable
class Session(Protocol):
    directory: Directory
    actor: Actor

    def show_sync(self, state: SyncState | None) -> None: ...


def session(node: DOMNode) -> Session:
    """The session of the app ``node`` belongs to (``ContactsApp`` is one)."""
    app = node.app
    assert isinstance(app, Session), "screens and widgets of this package run in ContactsApp"
    return app
