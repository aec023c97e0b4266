"""The bot's HTTP server facing strangers: every malformed or unsigned request is a 4xx (never a 500), bodies
past the limit are refused unread, a client trickling its request is cut off, and no request body reaches the log."""

from __future__ import annotations

import logging
import socket
import time
from urllib.parse import urlencode

import pytest

from bot.app import build_app
from bot.server import EVENTS_PATH, http_server
from bot.settings import slack_settings
from serving.limits import Limits
from tests.bot.slack import SECRET, SlackSender

FORM = "application/x-www-form-urlencoded"


def raw_post(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """A request as bytes on a socket: for what urllib will not send (no Content-Length, odd headers)."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode() + body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer:
                break
    return int(answer.split(b" ", 2)[1]), answer


@pytest.mark.parametrize("headers", [
    pytest.param({"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}, id="a timestamp that is no number"),
    pytest.param({}, id="no signature at all"),
    pytest.param({"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=" + "0" * 64}, id="a forged signature"),
])
def test_unsigned_and_malformed_headers_are_401(slack, headers):
    body = b"payload=notjson"
    status, _ = raw_post(int(slack.url.split(":")[2].split("/")[0]), body, {
        "Content-Type": FORM, "Content-Length": str(len(body)), "Connection": "close", **headers})
    assert status == 401


@pytest.mark.parametrize("body", ["payload=notjson", "{not json", "payload=%7B%22type%22"])
def test_a_signed_body_that_does_not_parse_is_400(slack, body):
    assert slack.post(body, "application/json" if body.startswith("{") else FORM).status == 400


def test_a_body_past_the_limit_is_refused_unread(slack):
    port = int(slack.url.split(":")[2].split("/")[0])
    status, _ = raw_post(port, b"", {"Content-Type": FORM, "Content-Length": str(50 << 20), "Connection": "close"})
    assert status == 413  # answered at once: the 50 MB were never sent, let alone read


def test_unsigned_posts_leave_no_trace_of_their_body_in_the_log(slack, caplog):
    caplog.set_level(logging.DEBUG)
    body = urlencode({"command": "/contact", "text": "secret-words", "response_url": "https://hooks.example/T1/x"})
    for _ in range(3):
        assert slack.post(body, FORM, secret="wrong").status == 401
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "secret-words" not in logged and "hooks.example" not in logged


def test_a_client_trickling_its_request_is_cut_off_and_others_are_served(directory, fake_slack):
    app = build_app(directory, slack_settings(directory.settings), token="xoxb-test", signing_secret=SECRET,
                    api_url=fake_slack.api_url)
    server = http_server(app, SECRET, limits=Limits(arrival_seconds=0.5))
    try:
        slow = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(50)]
        for connection in slow:
            connection.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Le")  # and then nothing
        sender = SlackSender(f"http://127.0.0.1:{server.port}{EVENTS_PATH}", fake_slack)
        assert sender.command("help").status == 200  # served while fifty others hang
        started = time.monotonic()
        for connection in slow:
            assert connection.recv(1024) == b""  # closed by the server: the deadline passed
        assert time.monotonic() - started < 5
    finally:
        server.stop()


def test_a_chunked_body_past_the_limit_is_cut_off(directory, fake_slack):
    app = build_app(directory, slack_settings(directory.settings), token="xoxb-test", signing_secret=SECRET,
                    api_url=fake_slack.api_url)
    server = http_server(app, SECRET, limits=Limits(body_bytes=4096))
    try:
        chunk = b"x" * 1024
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(8)) + b"0\r\n\r\n"
        status, _ = raw_post(server.port, body, {"Content-Type": FORM, "Transfer-Encoding": "chunked",
                                                 "Connection": "close"})
        assert status == 413
    finally:
        server.stop()
