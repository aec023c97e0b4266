"""Contacts and organizations over real HTTP, with tokens of each role and division scope: create, read, replace,
patch, delete, ETags and If-Match, search, lookup, notes, history, and every bad request as a problem document."""

from __future__ import annotations

import json
import re
import stat
from http.client import HTTPConnection, HTTPResponse

import pytest

from tests.api.conftest import contacts

pytestmark = pytest.mark.both_stores  # the real API process on the embedded store and on PostgreSQL


def sent_as_curl_sends_a_large_body(base: str, token: str | None, path: str, size: int) -> HTTPResponse:
    """The headers with ``Expect: 100-continue``, then the answer before any of the body: the server refuses it
    unread. (Sent whole without waiting, the body races the answer, and the refusal may close the connection
    while it is still being written.)"""
    host, port = base.removeprefix("http://").split(":")
    connection = HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", path)
    for name, value in (("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"),
                        ("Content-Length", str(size)), ("Expect", "100-continue")):
        connection.putheader(name, value)
    connection.endheaders()
    return connection.getresponse()

ADA = {"first_name": "Ada", "last_name": "Lovelace", "title": "Mathematician",
       "phones": [{"raw": "+1 415 555 2671", "kind": "cell"}], "emails": [{"address": "ada@example.com"}]}


def test_a_record_round_trip_with_etags(api):
    admin = api.client("crm")
    made = admin("POST", "/api/v1/contacts", ADA)
    assert made.status == 201 and made.headers["etag"] == '"1"'
    path = made.headers["location"]
    assert path == f"/api/v1/contacts/{made.body['id']}" and made.body["phones"][0]["e164"] == "+14155552671"
    read = admin("GET", path)
    assert read.body == made.body and read.headers["etag"] == '"1"'
    assert admin("GET", path, headers={"If-None-Match": '"1"'}).status == 304
    patched = admin("PATCH", path, {"title": None, "salutation": "Lady"}, headers={"If-Match": '"1"'})
    assert patched.status == 200 and patched.headers["etag"] == '"2"'
    assert patched.body["title"] is None and patched.body["salutation"] == "Lady"
    assert patched.body["emails"] == made.body["emails"]  # what the patch does not name stays
    stale = admin("PUT", path, {**ADA, "first_name": "Augusta"}, headers={"If-Match": '"1"'})
    assert stale.status == 412 and stale.headers["content-type"] == "application/problem+json"
    assert "changed since you opened it" in stale.body["detail"]
    replaced = admin("PUT", path, {"first_name": "Augusta", "last_name": "King"}, headers={"If-Match": '"2"'})
    assert replaced.status == 200 and replaced.body["phones"] == [] and replaced.body["first_name"] == "Augusta"
    echoed = admin("PUT", path, {**replaced.body, "title": "Countess"})  # a record sent back whole, version in it
    assert echoed.status == 200 and echoed.body["version"] == 4
    assert admin("PUT", path, {**replaced.body, "title": "Late"}).status == 412  # its version is 3, not 4
    history = admin("GET", path + "/history").body
    assert [entry["action"] for entry in history] == ["update"] * 3 + ["create"]  # newest first
    assert {entry["actor"] for entry in history} == {"crm"}  # the token's name is the author
    assert admin("DELETE", path, headers={"If-Match": '"3"'}).status == 412
    assert admin("DELETE", path, headers={"If-Match": '"4"'}).status == 204
    assert admin("GET", path).status == 404


def test_no_token_a_wrong_one_and_a_revoked_one_get_401_and_change_nothing(api):
    admin = api.client("crm")
    assert api.client(None)("GET", "/api/v1/contacts").status == 401
    forged = api.client(None)
    forged.token = "ctk_" + "x" * 43
    answer = forged("POST", "/api/v1/contacts", ADA)
    assert answer.status == 401 and answer.headers["www-authenticate"].startswith("Bearer")
    assert admin("GET", "/api/v1/contacts").body["total"] == 0
    contacts(api.data_dir, "token", "revoke", "crm")  # another process, at once
    assert admin("GET", "/api/v1/contacts").status == 401


def test_roles_and_divisions_go_through_the_policy(api):
    admin = api.client("crm")
    home = admin("POST", "/api/v1/contacts", ADA).body
    emea = admin("POST", "/api/v1/contacts", {"first_name": "Zoë", "last_name": "Adams", "division": "EMEA",
                                              "phones": [{"raw": "+44 20 7946 0958"}]}).body
    viewer = api.client("reports", "viewer")
    assert viewer("GET", f"/api/v1/contacts/{home['id']}").status == 200
    refused = viewer("PATCH", f"/api/v1/contacts/{home['id']}", {"title": "x"})
    assert refused.status == 403 and "is a viewer" in refused.body["detail"]
    agent = api.client("helpdesk", "agent", "EMEA")
    assert agent("GET", f"/api/v1/contacts/{home['id']}").status == 404  # outside its divisions: not there
    assert agent("GET", "/api/v1/lookup?value=%2B1%20415%20555%202671").body["contacts"] == []
    assert [c["id"] for c in agent("GET", "/api/v1/contacts").body["items"]] == [emea["id"]]
    note = agent("POST", f"/api/v1/contacts/{emea['id']}/notes", {"text": "Called about the invoice."})
    assert note.status == 201 and note.body["author"] == "helpdesk"
    assert agent("POST", f"/api/v1/contacts/{home['id']}/notes", {"text": "x"}).status == 404
    assert admin("GET", f"/api/v1/contacts/{home['id']}").body["version"] == 1  # nothing changed


def test_bad_input_is_a_problem_document_naming_field_value_and_rule(api):
    admin = api.client("crm")
    answer = admin("POST", "/api/v1/contacts", {"first_name": "Ada", "emails": [{"address": "ada@"}],
                                                "websites": ["x"]})
    assert answer.status == 422 and answer.headers["content-type"] == "application/problem+json"
    fields = {e["field"]: e for e in answer.body["errors"]}
    assert {"last_name", "emails.0.address", "websites"} <= set(fields)
    assert fields["emails.0.address"]["value"] == "ada@" and "valid email" in fields["emails.0.address"]["rule"]
    assert admin("POST", "/api/v1/contacts", raw=b"{not json").status == 400
    assert admin("POST", "/api/v1/contacts", [1, 2]).status == 422
    assert admin("GET", "/api/v1/contacts/abc").status == 400
    assert admin("GET", "/api/v1/contacts?page_size=1000").status == 400
    assert admin("PATCH", "/api/v1/contacts/1", {"title": "x"}, headers={"If-Match": "yesterday"}).status in (404, 422)
    big = sent_as_curl_sends_a_large_body(api.base, admin.token, "/api/v1/contacts", 2 << 20)
    assert big.status == 413 and big.getheader("content-type") == "application/problem+json"
    assert admin("GET", "/api/v1/contacts").body["total"] == 0


def test_search_lookup_and_an_organizations_people(api):
    admin = api.client("crm")
    acme = admin("POST", "/api/v1/organizations", {"name": "Acme", "websites": ["acme.example"]}).body
    assert acme["websites"] == ["https://acme.example"]
    for i in range(30):
        admin("POST", "/api/v1/contacts", {"first_name": f"Person{i:02d}", "last_name": "Smith",
                                           "organization_id": acme["id"],
                                           "phones": [{"raw": f"(415) 555-01{i:02d}"}]})
    found = admin("GET", "/api/v1/contacts?q=smith&page=2&page_size=20").body
    assert found["total"] == 30 and len(found["items"]) == 10 and found["page"] == 2 and not found["refine"]
    by_phone = admin("GET", "/api/v1/lookup?value=tel:%2B1-415-555-0107").body
    assert [c["first_name"] for c in by_phone["contacts"]] == ["Person07"] and by_phone["normalized"] == "+14155550107"
    people = admin("GET", f"/api/v1/organizations/{acme['id']}/contacts").body
    assert len(people) == 30
    assert admin("GET", "/api/v1/organizations?q=acme").body["items"][0]["name"] == "Acme"


def test_notes_item_routes(api):
    admin = api.client("crm")
    acme = admin("POST", "/api/v1/organizations", {"name": "Acme"}).body
    base = f"/api/v1/organizations/{acme['id']}/notes"
    note = admin("POST", base, {"text": "Renewal due in March."}).body
    assert admin("GET", f"{base}/{note['id']}").body["text"] == "Renewal due in March."
    assert admin("PATCH", f"{base}/{note['id']}", {"text": "Renewal due in April."}).body["text"].endswith("April.")
    assert [n["text"] for n in admin("GET", base).body] == ["Renewal due in April."]
    assert admin("DELETE", f"{base}/{note['id']}").status == 204
    assert admin("GET", f"{base}/{note['id']}").status == 404
    assert admin("POST", base, {"text": "   "}).status == 422


def test_openapi_document_and_token_file_privacy(api):
    document = api.client(None)("GET", "/openapi.json").body
    assert document["openapi"].startswith("3.1") and "/api/v1/contacts/{record_id}" in document["paths"]
    assert all(path.startswith("/api/v1/") for path in document["paths"])
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(document)))
    assert refs and refs <= set(document["components"]["schemas"])  # every schema it names, it has
    api.client("crm")
    listed = contacts(api.data_dir, "token", "list")
    assert listed.startswith("crm\tadmin\t*") and "ctk_" not in listed
    for path in api.data_dir.iterdir():
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            assert b"ctk_" not in path.read_bytes()  # only hashes are kept
    assert "bearer" in json.dumps(document["components"]["securitySchemes"]).lower()
