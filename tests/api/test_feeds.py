"""What syncs pull over HTTP: a cursor scan that neither skips nor repeats while others write, and the changes
since a cursor, each once and in order, limited to what the token may see."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.both_stores  # the real API process on the embedded store and on PostgreSQL


def test_a_scan_reads_everything_once_while_records_are_added(api):
    admin = api.client("crm")
    made = [admin("POST", "/api/v1/contacts", {"first_name": f"P{i:02d}", "last_name": "Scan"}).body["id"]
            for i in range(25)]
    seen, cursor, pages = [], 0, 0
    while cursor is not None:
        page = admin("GET", f"/api/v1/scan/contacts?cursor={cursor}&limit=10").body
        seen += [item["id"] for item in page["items"]]
        cursor, pages = page["next_cursor"], pages + 1
        if pages == 1:  # written while the scan runs: it comes at the end
            made.append(admin("POST", "/api/v1/contacts", {"first_name": "Late", "last_name": "Comer"}).body["id"])
    assert seen == sorted(made) and len(set(seen)) == len(seen)
    assert admin("GET", "/api/v1/scan/people").status == 400
    assert admin("GET", "/api/v1/scan/contacts?limit=5000").status == 400


def test_changes_since_a_cursor_in_order_and_only_what_the_token_sees(api):
    admin = api.client("crm")
    start = admin("GET", "/api/v1/changes").body["latest"]
    ada = admin("POST", "/api/v1/contacts", {"first_name": "Ada", "last_name": "Lovelace"}).body
    zoe = admin("POST", "/api/v1/contacts", {"first_name": "Zoë", "last_name": "Adams", "division": "EMEA"}).body
    admin("PATCH", f"/api/v1/contacts/{ada['id']}", {"title": "Countess"})
    admin("POST", f"/api/v1/contacts/{ada['id']}/notes", {"text": "Called."})
    admin("DELETE", f"/api/v1/contacts/{zoe['id']}")
    feed = admin("GET", f"/api/v1/changes?since={start}").body
    events = [(c["event"], c["id"]) for c in feed["changes"]]
    assert events == [("contact.created", ada["id"]), ("contact.created", zoe["id"]),
                      ("contact.updated", ada["id"]), ("contact.note_added", ada["id"]),
                      ("contact.deleted", zoe["id"])]
    assert feed["changes"][2]["changes"] == {"title": [None, "Countess"]} and feed["changes"][2]["actor"] == "crm"
    assert feed["next_cursor"] == feed["latest"]
    again = admin("GET", f"/api/v1/changes?since={feed['next_cursor']}").body
    assert again["changes"] == [] and again["next_cursor"] == feed["next_cursor"]
    home_only = api.client("helpdesk", "agent", "Home")
    mine = home_only("GET", f"/api/v1/changes?since={start}").body
    assert {c["id"] for c in mine["changes"]} == {ada["id"]}  # Zoë's creation and deletion stay out of sight
    paged = admin("GET", f"/api/v1/changes?since={start}&limit=2").body
    assert len(paged["changes"]) == 2 and paged["next_cursor"] == paged["changes"][-1]["cursor"]
