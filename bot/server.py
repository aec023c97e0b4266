"""Serving the app: HTTP (a threaded WSGI server at /slack/events) or Socket Mode."""

from __future__ import annotations

import logging
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

EVENTS_PATH = "/slack/events"
log = logging.getLogger(__name__)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _LoggingHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)


def http_server(app: App, host: str, port: int) -> WSGIServer:
    """A server answering Slack's requests at ``/slack/events``; port 0 picks a free port."""
    return make_server(host, port, SlackRequestHandler(app, path=EVENTS_PATH),
                       server_class=_ThreadingWSGIServer, handler_class=_LoggingHandler)


def serve_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()
