"""What a request may cost before the application sees it: its size, and how long it may take to arrive."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


@dataclass(frozen=True)
class Limits:
    body_bytes: int = 1 << 20  # Slack's requests are a few kilobytes; the API's bulk calls stay well under this
    arrival_seconds: float = 10.0  # headers and body, from a connection's (or a request's) first byte
    backlog: int = 2048  # connections the kernel queues while all are busy: a burst waits instead of being dropped
    concurrency: int = 1000  # connections at once; past it, 503 (each costs a little memory, not a thread)
    keep_alive_seconds: float = 5.0
    larger_bodies: dict[str, int] = field(default_factory=dict)  # path prefix → its own body limit (uploads)


DEFAULT_LIMITS = Limits()


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (the C parser: a third of the pure-Python one's cost per request), where a
    request must arrive whole within a deadline: a client that sends its headers or body a byte at a time (or
    nothing at all) is cut off instead of holding the connection for ever."""

    arrival_seconds = Limits.arrival_seconds
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._arm()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)
        if self.cycle is not None and not self.cycle.more_body:
            self._disarm()  # all of it is here: the application's time is not the client's

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.arrival_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


class BodyLimit:
    """ASGI middleware: a body larger than the limit gets 413 and is never read whole into memory."""

    def __init__(self, app, limit: int, larger: dict[str, int] | None = None):
        self.app, self.default, self.larger = app, limit, larger or {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = next((size for prefix, size in self.larger.items() if path.startswith(prefix)), self.default)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _answer(send, 413 if declared.isdigit() else 400, b"request body too large or malformed")
            return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await _answer(send, 413, b"request body too large")


class _TooLarge(Exception):
    pass


async def _answer(send, status: int, text: bytes) -> None:
    """A problem document (RFC 9457), which any client can read and an API's clients expect."""
    body = json.dumps({"type": "about:blank", "title": text.decode(), "status": status,
                       "detail": f"{text.decode()}: a request body may hold at most the server's limit"}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
