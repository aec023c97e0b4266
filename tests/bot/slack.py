"""A fake Slack for the bot's tests: a Web API on 127.0.0.1 that records what the bot sends, and a client that
sends the bot requests signed exactly as Slack signs them."""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

from slack_sdk.signature import SignatureVerifier

SECRET = "test-signing-secret"
TEAM = {"id": "T0TEAM", "domain": "acme"}


@dataclass
class Call:
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.perf_counter)  # when it arrived (for the bot benchmark)


@dataclass
class FakeSlack:
    """Answers the Web API methods the bot uses the way Slack does, and response_url posts with "ok"."""

    emails: dict[str, str] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections open, as Slack's servers do

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                fake.calls.append(Call(self.path, _params(self.headers.get("Content-Type", ""), body), dict(self.headers)))
                answer = fake.answer(self.path, fake.calls[-1].params)
                data = json.dumps(answer).encode() if not isinstance(answer, str) else answer.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json" if not isinstance(answer, str) else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # Slack does not drop connections: neither may its stand-in
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                if not isinstance(sys.exc_info()[1], ConnectionError):  # a bot that stopped, keeping a connection
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base}/response/{name}"

    def answer(self, path: str, params: dict[str, Any]) -> Any:
        if path.startswith("/response/"):
            return "ok"
        method = path.removeprefix("/api/")
        if method == "auth.test":
            return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "contacts", "team_id": TEAM["id"],
                    "user_id": "U0BOT", "bot_id": "B0BOT"}
        if method == "chat.postMessage":
            return {"ok": True, "channel": params.get("channel"), "ts": f"{time.time():.6f}"}
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", "")).replace(".", "")
            return {"ok": True, "channel": params.get("channel"),
                    "permalink": f"https://acme.slack.com/archives/{params.get('channel')}/p{ts}"}
        if method == "views.open":
            return {"ok": True, "view": {"id": "V1", **params.get("view", {})}}
        if method == "users.info":
            user = params.get("user")
            return {"ok": True, "user": {"id": user, "profile": {"email": self.emails.get(user)}}}
        return {"ok": False, "error": "unknown_method"}

    def wait(self, prefix: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The calls to paths starting with ``prefix``, once there are ``count`` (listeners run after the ack)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [c for c in self.calls if c.path.startswith(prefix)]
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"expected {count} call(s) to {prefix}; got {[c.path for c in self.calls]}")

    def reply(self, name: str = "r1") -> dict[str, Any]:
        """The one message the bot posted to a response_url."""
        return self.wait(f"/response/{name}")[-1].params

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _params(content_type: str, body: str) -> dict[str, Any]:
    if "application/json" in content_type:
        return json.loads(body or "{}")
    params: dict[str, Any] = {k: v[0] for k, v in parse_qs(body).items()}
    for key in ("blocks", "view", "attachments"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


@dataclass
class Response:
    status: int
    body: str


def trigger_id() -> str:
    return f"{time.time_ns()}.42.{uuid.uuid4().hex[:8]}"


class SlackSender:
    """Sends the bot what Slack sends: slash commands, interactivity payloads and events, signed."""

    def __init__(self, events_url: str, fake: FakeSlack):
        self.url = events_url
        self.fake = fake

    def post(self, body: str, content_type: str, *, timestamp: int | None = None, secret: str = SECRET,
             headers: dict[str, str] | None = None) -> Response:
        timestamp = int(time.time()) if timestamp is None else timestamp
        signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
        request = urllib.request.Request(self.url, data=body.encode(), method="POST", headers={
            "Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": signature,
            **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return Response(answer.status, answer.read().decode())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode())

    def command(self, text: str, *, user: str = "U0ADMIN", channel: str = "C0SUPPORT", response: str = "r1",
                **signing: Any) -> Response:
        return self.post(self.command_body(text, user=user, channel=channel, response=response),
                         "application/x-www-form-urlencoded", **signing)

    def command_body(self, text: str, *, user: str = "U0ADMIN", channel: str = "C0SUPPORT", response: str = "r1") -> str:
        """A slash command's form body, as Slack posts it: each one with its own trigger_id."""
        return urlencode({
            "token": "deprecated", "team_id": TEAM["id"], "team_domain": TEAM["domain"], "channel_id": channel,
            "channel_name": "support", "user_id": user, "user_name": user.lower(), "command": "/contact",
            "text": text, "api_app_id": "A0CONTACTS", "is_enterprise_install": "false",
            "response_url": self.fake.response_url(response), "trigger_id": trigger_id(),
        })

    def interactive(self, payload: dict[str, Any], **signing: Any) -> Response:
        return self.post(self.interactive_body(payload), "application/x-www-form-urlencoded", **signing)

    def interactive_body(self, payload: dict[str, Any]) -> str:
        """An interactivity payload's form body, as Slack posts it."""
        base = {"team": TEAM, "api_app_id": "A0CONTACTS", "token": "deprecated"}
        if payload["type"] != "block_suggestion":  # what a person does gets a trigger; typing in a picker does not
            base["trigger_id"] = trigger_id()
        return urlencode({"payload": json.dumps({**base, **payload})})

    def action(self, action_id: str, value: str, *, user: str = "U0ADMIN", response: str = "r2") -> Response:
        return self.interactive({
            "type": "block_actions", "user": {"id": user, "username": user.lower()},
            "channel": {"id": "C0SUPPORT", "name": "support"}, "container": {"type": "message", "is_ephemeral": True},
            "response_url": self.fake.response_url(response),
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                         "action_ts": f"{time.time():.6f}"}],
        })

    def view_submission(self, view: dict[str, Any], values: dict[str, Any], *, user: str = "U0ADMIN") -> Response:
        return self.interactive(self.view_submission_payload(view, values, user=user))

    def view_submission_payload(self, view: dict[str, Any], values: dict[str, Any], *,
                                user: str = "U0ADMIN") -> dict[str, Any]:
        state = {}
        for block_id, value in values.items():
            if isinstance(value, dict):
                state[block_id] = {"picker": {"type": "external_select", "selected_option": value}}
            else:
                state[block_id] = {"value": {"type": "plain_text_input", "value": value}}
        return {"type": "view_submission", "user": {"id": user, "username": user.lower()},
                "view": {**view, "type": "modal", "id": "V1", "state": {"values": state}}}

    def options(self, action_id: str, value: str, *, user: str = "U0ADMIN") -> Response:
        return self.interactive({
            "type": "block_suggestion", "user": {"id": user, "username": user.lower()}, "action_id": action_id,
            "block_id": "contact", "value": value, "view": {"id": "V1", "type": "modal", "callback_id": "x"},
        })

    def message_shortcut(self, message: dict[str, Any], *, user: str = "U0ADMIN", channel: str = "C0CALLS") -> Response:
        return self.interactive({
            "type": "message_action", "callback_id": "add_note_to_contact", "user": {"id": user, "name": user.lower()},
            "channel": {"id": channel, "name": "calls"}, "message_ts": message["ts"], "message": message,
            "response_url": self.fake.response_url("shortcut"),
        })

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0) -> Response:
        """An event, or (``retry``) Slack delivering the same event again because no answer came in time."""
        return self.post(json.dumps({
            "token": "deprecated", "team_id": TEAM["id"], "api_app_id": "A0CONTACTS", "type": "event_callback",
            "event_id": event_id or f"Ev{time.time_ns()}", "event_time": int(time.time()), "event": event,
        }), "application/json", headers={"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry else None)
