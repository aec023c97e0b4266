"""Directory errors in the app's worker threads: said on the screen that started the work, never the end of the
app (an error a worker lets out closes it with a traceback)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from textual.app import App

from core.errors import ContactsError, Stopped

P = ParamSpec("P")
R = TypeVar("R")


class Reporting(Protocol):
    """A screen that says what went wrong with the directory."""

    @property
    def app(self) -> App[Any]: ...

    def failed(self, error: ContactsError) -> None: ...


S = TypeVar("S", bound=Reporting)


def reported(body: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R | None]:
    """A worker's body (run in a thread) whose directory errors go to its screen's ``failed``; one stopped because
    a newer one replaced it just ends."""

    @wraps(body)
    def reporting(screen: S, *args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return body(screen, *args, **kwargs)
        except Stopped:
            return None
        except ContactsError as error:
            screen.app.call_from_thread(screen.failed, error)
            return None

    return reporting
