"""Serving the app: HTTP (a threaded WSGI server at /slack/events) or Socket Mode."""

from __future__ import annotations

import logging
from socketserver import ThreadingMixIn
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import build_context

EVENTS_PATH = "/slack/events"
log = logging.getLogger(__name__)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _LoggingHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)


def slack_request(body: str, query: str | None, headers: dict) -> BoltRequest:
    """The request as Bolt should see it. Bolt takes any form body holding the word "payload" for an interactive
    payload and, finding no ``payload`` field, reads nothing: ``/contact note #12 the payload arrived late`` would
    be lost. A form body without that field is read as its fields."""
    request = BoltRequest(body=body, query=query, headers=headers)
    if not request.body and body and not body.startswith("{"):
        fields = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" not in fields:
            request.body = fields
            request.context = build_context(BoltContext({}), fields)
    return request


class SlackHandler(SlackRequestHandler):
    """Bolt's WSGI handler, reading every request through ``slack_request``."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        return self.app.dispatch(slack_request(request.get_body(), request.query_string, request.get_headers()))


def http_server(app: App, host: str, port: int) -> WSGIServer:
    """A server answering Slack's requests at ``/slack/events``; port 0 picks a free port."""
    return make_server(host, port, SlackHandler(app, path=EVENTS_PATH),
                       server_class=_ThreadingWSGIServer, handler_class=_LoggingHandler)


def serve_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()
