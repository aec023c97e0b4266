"""Serving the app: over HTTP (an ASGI application at /slack/events, run by ``serving``) or Socket Mode.

Every request is checked here before Bolt sees it: a missing, malformed or wrong signature is 401 and a body that
does not parse is 400, so Bolt never logs a stranger's request body, and nothing a stranger sends ends in a 500."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

import orjson
from slack_bolt import App, BoltContext, BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier

from serving.limits import DEFAULT_LIMITS, Limits
from serving.server import ServerThread, serve

EVENTS_PATH = "/slack/events"
DISPATCH_THREADS = 16  # Bolt acknowledges within milliseconds and runs listeners on its own pool
ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]


class Malformed(ValueError):
    """A signed body that is not what Slack sends."""


def slack_request(body: str, query: str | None, headers: dict) -> BoltRequest:
    """The request as Bolt should see it. Bolt takes any form body holding the word "payload" for an interactive
    payload and, finding no ``payload`` field, reads nothing: ``/contact note #12 the payload arrived late`` would
    be lost. A form body without that field is read as its fields."""
    if body.startswith("{"):
        try:
            orjson.loads(body)
        except orjson.JSONDecodeError:
            raise Malformed("a JSON body that does not parse") from None
        return BoltRequest(body=body, query=query, headers=headers)
    fields = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in fields:
        try:
            orjson.loads(fields["payload"])
        except orjson.JSONDecodeError:
            raise Malformed("a payload that is not JSON") from None
    request = BoltRequest(body=body, query=query, headers=headers)
    if not request.body and body and "payload" not in fields:
        request = _FormRequest(body=body, query=query, headers=headers)
        request.body = fields
        request.context = build_context(BoltContext({}), fields)
    return request


class _FormRequest(BoltRequest):
    """A form body read as its fields (see ``slack_request``), also in the copy a lazy listener gets: Bolt's copy
    would parse the raw body again, the wrong way."""

    def to_copyable(self) -> BoltRequest:
        copy = super().to_copyable()
        copy.body = dict(self.body)
        return copy


def asgi_app(app: App, signing_secret: str) -> ASGIApp:
    """The bot as a bare ASGI application: one route, no framework in the way of a request Slack times."""
    verifier = SignatureVerifier(signing_secret)
    workers = ThreadPoolExecutor(max_workers=DISPATCH_THREADS, thread_name_prefix="bolt-dispatch")

    async def application(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            return
        if (scope["method"], scope["path"]) == ("GET", "/healthz"):
            await _send(send, 200, b'{"ok":true}', "application/json")
            return
        if scope["path"] != EVENTS_PATH or scope["method"] != "POST":
            await _send(send, 404, b"not found")
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        timestamp, signature = headers.get("x-slack-request-timestamp", ""), headers.get("x-slack-signature", "")
        if not (timestamp.isdigit() and verifier.is_valid(raw, timestamp, signature)):
            await _send(send, 401, b"invalid or missing signature")
            return
        try:
            request = slack_request(raw.decode("utf-8"), scope["query_string"].decode("latin-1") or None, headers)
        except (UnicodeDecodeError, Malformed) as error:
            await _send(send, 400, f"malformed request: {error}".encode())
            return
        # Bolt is synchronous: it runs on a bounded pool, off the event loop that accepts connections.
        answer = await asyncio.get_running_loop().run_in_executor(workers, app.dispatch, request)
        body = answer.body.encode() if isinstance(answer.body, str) else answer.body
        content_type = (answer.headers.get("content-type") or ["text/plain;charset=utf-8"])[0]
        await _send(send, answer.status, body, content_type)

    return application


async def _send(send: Callable, status: int, body: bytes, content_type: str = "text/plain") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def serve_http(app: App, signing_secret: str, host: str, port: int, limits: Limits = DEFAULT_LIMITS) -> None:
    serve(asgi_app(app, signing_secret), host, port, limits)


def http_server(app: App, signing_secret: str, host: str = "127.0.0.1", port: int = 0,
                limits: Limits = DEFAULT_LIMITS) -> ServerThread:
    """The HTTP server on a background thread (tests, benchmarks); ``.port`` is where it listens."""
    return ServerThread(asgi_app(app, signing_secret), host, port, limits)


def serve_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()
