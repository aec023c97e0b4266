"""Serving the app: over HTTP (an ASGI application at /slack/events, run by ``serving``) or Socket Mode.

Every request is checked here before Bolt sees it: a missing, malformed or wrong signature is 401 and a body that
does not parse is 400, so Bolt never logs a stranger's request body, and nothing a stranger sends ends in a 500."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from slack_bolt import App, BoltContext, BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier

from serving.limits import DEFAULT_LIMITS, Limits
from serving.server import ServerThread, serve

EVENTS_PATH = "/slack/events"
log = logging.getLogger(__name__)


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
    else:
        fields = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" in fields:
            try:
                orjson.loads(fields["payload"])
            except orjson.JSONDecodeError:
                raise Malformed("a payload that is not JSON") from None
    request = BoltRequest(body=body, query=query, headers=headers)
    if not request.body and body and not body.startswith("{"):
        fields = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" not in fields:
            request.body = fields
            request.context = build_context(BoltContext({}), fields)
    return request


def asgi_app(app: App, signing_secret: str) -> FastAPI:
    verifier = SignatureVerifier(signing_secret)
    web = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @web.post(EVENTS_PATH)
    async def slack_events(request: Request) -> Response:
        raw = await request.body()
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        if not (timestamp.isdigit() and verifier.is_valid(raw, timestamp, signature)):
            return Response("invalid or missing signature", status_code=401, media_type="text/plain")
        try:
            body = raw.decode("utf-8")
            bolt_request = slack_request(body, request.url.query or None, dict(request.headers))
        except (UnicodeDecodeError, Malformed) as error:
            return Response(f"malformed request: {error}", status_code=400, media_type="text/plain")
        answer = await run_in_threadpool(app.dispatch, bolt_request)  # Bolt is synchronous: off the event loop
        headers = {name: values[0] for name, values in answer.headers.items() if values and name != "content-length"}
        return Response(answer.body, status_code=answer.status, headers=headers)

    @web.get("/healthz")
    async def healthy() -> dict:
        return {"ok": True}

    return web


def serve_http(app: App, signing_secret: str, host: str, port: int, limits: Limits = DEFAULT_LIMITS) -> None:
    serve(asgi_app(app, signing_secret), host, port, limits)


def http_server(app: App, signing_secret: str, host: str = "127.0.0.1", port: int = 0,
                limits: Limits = DEFAULT_LIMITS) -> ServerThread:
    """The HTTP server on a background thread (tests, benchmarks); ``.port`` is where it listens."""
    return ServerThread(asgi_app(app, signing_secret), host, port, limits)


def serve_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()
