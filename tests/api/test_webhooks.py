"""Change webhooks from the real ``contacts-api`` process to a receiver on 127.0.0.1: signed, in order, retried
after the receiver fails, and nothing lost across a restart of the API."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.conftest import Api, contacts
from tests.test_salesforce_sync import eventually

pytestmark = pytest.mark.both_stores  # the real API process on the embedded store and on PostgreSQL


class Receiver:
    """A system's webhook endpoint: keeps what it is sent; answers 500 while ``failing`` is above zero."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.failing = 0
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                if receiver.failing:
                    receiver.failing -= 1
                    self.send_response(500)
                else:
                    receiver.received.append({"headers": dict(self.headers), "body": body})
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/contacts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[tuple[str, int]]:
        return [(json.loads(r["body"])["event"], json.loads(r["body"])["id"]) for r in self.received]


def verified(secret: str, delivery: dict) -> dict:
    """What a receiver does (README shows it): check the signature over the timestamp and the body."""
    fields = dict(part.split("=", 1) for part in delivery["headers"]["X-Contacts-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + delivery["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, fields["v1"])
    return json.loads(delivery["body"])


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def quick_retries(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    (data_dir / "contacts.toml").write_text("[webhooks]\nfirst_retry = 0.2\n", encoding="utf-8")
    return data_dir


def test_changes_are_delivered_signed_and_in_order(api, receiver):
    admin = api.client("crm")
    hook = admin("POST", "/api/v1/webhooks", {"url": receiver.url, "events": ["contact.created", "contact.updated",
                                                                            "contact.note_added"]})
    assert hook.status == 201 and hook.body["secret"].startswith("whsec_")
    ada = admin("POST", "/api/v1/contacts", {"first_name": "Ada", "last_name": "Lovelace"}).body
    admin("PATCH", f"/api/v1/contacts/{ada['id']}", {"title": "Countess"})
    admin("POST", "/api/v1/organizations", {"name": "Acme"})  # not an event it asked for
    admin("POST", f"/api/v1/contacts/{ada['id']}/notes", {"text": "Called."})
    eventually(lambda: len(receiver.received) == 3)
    assert receiver.events() == [("contact.created", ada["id"]), ("contact.updated", ada["id"]),
                                 ("contact.note_added", ada["id"])]
    update = verified(hook.body["secret"], receiver.received[1])
    assert update["changes"] == {"title": [None, "Countess"]} and update["actor"] == "crm"
    assert receiver.received[1]["headers"]["X-Contacts-Event"] == "contact.updated"
    listed = admin("GET", "/api/v1/webhooks").body
    assert "secret" not in listed[0]
    log = admin("GET", f"/api/v1/webhooks/{hook.body['id']}/deliveries").body
    assert [entry["accepted"] for entry in log] == [True, True, True]


def test_a_failing_receiver_is_retried_and_nothing_is_lost_across_a_restart(quick_retries, receiver):
    api = Api(quick_retries)
    admin = api.client("crm")
    hook = admin("POST", "/api/v1/webhooks", {"url": receiver.url, "events": ["*"]}).body
    receiver.failing = 2
    first = admin("POST", "/api/v1/contacts", {"first_name": "Ada", "last_name": "Lovelace"}).body
    eventually(lambda: receiver.events() == [("contact.created", first["id"])])
    assert receiver.attempts == 3  # two failures, then the same event again
    receiver.failing = 10**6  # the receiver is down
    second = admin("POST", "/api/v1/contacts", {"first_name": "Grace", "last_name": "Hopper"}).body
    eventually(lambda: receiver.attempts >= 5)
    api.stop()  # the API goes away with the event undelivered
    receiver.failing = 0
    contacts(quick_retries, "webhook", "list")
    again = Api(quick_retries)
    try:
        eventually(lambda: receiver.events() == [("contact.created", first["id"]),
                                                 ("contact.created", second["id"])])
        log = contacts(quick_retries, "webhook", "log", str(hook["id"]))
        assert "failed (the receiver answered 500)" in log and "delivered" in log
    finally:
        again.stop()


def test_a_webhook_hears_only_of_its_divisions(api, receiver):
    admin = api.client("crm")
    admin("POST", "/api/v1/webhooks", {"url": receiver.url, "events": ["*"], "divisions": ["EMEA"]})
    admin("POST", "/api/v1/contacts", {"first_name": "Ada", "last_name": "Lovelace"})
    zoe = admin("POST", "/api/v1/contacts", {"first_name": "Zoë", "last_name": "Adams", "division": "EMEA"}).body
    eventually(lambda: len(receiver.received) == 1)
    assert receiver.events() == [("contact.created", zoe["id"])]


def test_bad_webhooks_are_refused_and_only_admins_manage_them(api, receiver):
    admin = api.client("crm")
    assert admin("POST", "/api/v1/webhooks", {"url": "ftp://x", "events": ["*"]}).status == 422
    assert admin("POST", "/api/v1/webhooks", {"url": receiver.url, "events": ["contact.exploded"]}).status == 422
    agent = api.client("helpdesk", "agent")
    assert agent("GET", "/api/v1/webhooks").status == 403
    assert admin("GET", "/api/v1/webhooks").body == []
