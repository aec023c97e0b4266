"""Stopping reads from another thread: a search a newer one made useless would otherwise keep a server busy (at
millions of records a broad one reads for seconds) while the newer one waits for it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from core.errors import Stopped


class Stop:
    """Given to the reads of one piece of work (a search, its count); ``stop()`` ends them: those running end with
    ``Stopped`` as soon as the store can interrupt them, and those not started yet do not start."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopped = False
        self._running: dict[object, Callable[[], None]] = {}  # a read in progress → how to interrupt it
        self._interrupting: list[threading.Thread] = []

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        """Returns at once (interrupting a read may take a round trip to a server, and a person is typing)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            for interrupt in self._running.values():
                thread = threading.Thread(target=interrupt, name="stopping a read", daemon=True)
                thread.start()
                self._interrupting.append(thread)

    @contextmanager
    def watching(self, interrupt: Callable[[], None]) -> Iterator[None]:
        """A read runs inside; ``interrupt`` (called from another thread, never raising) ends it if ``stop()`` comes
        meanwhile. The read is left only once every interrupt has been sent, so none can reach a later read (a
        server connection goes back to its pool after this)."""
        read = object()
        with self._lock:
            if self._stopped:
                raise Stopped("stopped before it started: what it was for is no longer wanted")
            self._running[read] = interrupt
        try:
            yield
        finally:
            with self._lock:
                del self._running[read]
                sent = list(self._interrupting)
            for thread in sent:
                thread.join()
