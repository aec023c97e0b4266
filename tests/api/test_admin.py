"""Merging, moving, divisions and custom-field schemas over HTTP."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.both_stores  # the real API process on the embedded store and on PostgreSQL


def test_merge_keeps_the_survivors_id_and_every_number(api):
    admin = api.client("crm")
    ada = admin("POST", "/api/v1/contacts", {"first_name": "Ada", "last_name": "Lovelace",
                                             "phones": [{"raw": "+1 415 555 2671"}]}).body
    dup = admin("POST", "/api/v1/contacts", {"first_name": "Ada", "last_name": "Lovelace", "title": "Countess",
                                             "phones": [{"raw": "+44 20 7946 0958"}]}).body
    preview = admin("POST", "/api/v1/contacts/merge", {"survivor_id": ada["id"], "other_ids": [dup["id"]],
                                                       "preview": True}).body
    assert len(preview["phones"]) == 2 and admin("GET", f"/api/v1/contacts/{dup['id']}").status == 200
    merged = admin("POST", "/api/v1/contacts/merge", {"survivor_id": ada["id"], "other_ids": [dup["id"]],
                                                      "choices": {"title": dup["id"]}})
    assert merged.status == 200 and merged.body["id"] == ada["id"] and merged.body["title"] == "Countess"
    assert {p["e164"] for p in merged.body["phones"]} == {"+14155552671", "+442079460958"}
    assert admin("GET", f"/api/v1/contacts/{dup['id']}").status == 404
    assert admin("POST", "/api/v1/contacts/merge", {"survivor_id": ada["id"], "other_ids": []}).status == 422


def test_move_and_divisions(api):
    admin = api.client("crm")
    acme = admin("POST", "/api/v1/organizations", {"name": "Acme"}).body
    assert [d["name"] for d in admin("GET", "/api/v1/divisions").body] == ["EMEA", "Home"]
    made = admin("POST", "/api/v1/divisions", {"name": "APAC", "description": "Asia-Pacific"})
    assert made.status == 201 and made.body["description"] == "Asia-Pacific"
    moved = admin("POST", f"/api/v1/organizations/{acme['id']}/move", {"division": "APAC"})
    assert moved.status == 200 and moved.body["division"] == "APAC" and moved.body["id"] == acme["id"]
    renamed = admin("PATCH", "/api/v1/divisions/APAC", {"name": "Asia Pacific"}).body
    assert renamed["name"] == "Asia Pacific"
    assert admin("GET", f"/api/v1/organizations/{acme['id']}").body["division"] == "Asia Pacific"
    assert admin("POST", "/api/v1/divisions", {"name": "Home"}).status == 422
    agent = api.client("helpdesk", "agent")
    assert agent("POST", "/api/v1/divisions", {"name": "Nope"}).status == 403
    assert agent("POST", f"/api/v1/organizations/{acme['id']}/move", {"division": "Home"}).status == 403


def test_schemas_and_their_versions(api):
    admin = api.client("crm")
    assert admin("GET", "/api/v1/schemas/contact").body["fields"] == []
    added = admin("POST", "/api/v1/schemas/contact/fields", {"key": "tier", "label": "Tier", "type": "enum",
                                                             "options": [{"value": "Gold"}, {"value": "Silver"}]})
    assert added.status == 201 and added.body["version"] == 1
    assert admin("POST", "/api/v1/contacts", {"first_name": "A", "last_name": "B",
                                              "custom_fields": {"tier": "Platinum"}}).status == 422
    disabled = admin("POST", "/api/v1/schemas/contact/fields/tier/disable").body
    assert disabled["version"] == 2 and disabled["fields"][0]["disabled"] is True
    assert [v["version"] for v in admin("GET", "/api/v1/schemas/contact/versions").body] == [1, 2]
    assert admin("POST", "/api/v1/schemas/contact/fields", {"key": "Bad Key", "label": "x", "type": "text"}).status == 422
    assert admin("GET", "/api/v1/schemas/people").status == 422
    viewer = api.client("reports", "viewer")
    assert viewer("GET", "/api/v1/schemas/contact").status == 200
    assert viewer("POST", "/api/v1/schemas/contact/fields/tier/enable").status == 403


def test_relationships_and_interactions(api):
    admin = api.client("crm")
    acme = admin("POST", "/api/v1/organizations", {"name": "Acme"}).body
    ada = admin("POST", "/api/v1/contacts", {"first_name": "Ada", "last_name": "Lovelace"}).body
    made = admin("POST", f"/api/v1/organizations/{acme['id']}/relationships",
                 {"user": "sam@us.example", "role": "account manager"})
    assert made.status == 201
    assert [r["role"] for r in admin("GET", f"/api/v1/organizations/{acme['id']}/relationships").body] == [
        "account manager"]
    assert admin("DELETE", f"/api/v1/organizations/{acme['id']}/relationships/{made.body['id']}").status == 204
    assert admin("DELETE", f"/api/v1/organizations/{acme['id']}/relationships/{made.body['id']}").status == 404
    agent = api.client("phones", "agent")
    call = agent("POST", f"/api/v1/contacts/{ada['id']}/interactions", {"kind": "call", "summary": "Inbound call"})
    assert call.status == 201 and call.body["recorded_by"] == "phones"
    assert [i["summary"] for i in agent("GET", f"/api/v1/contacts/{ada['id']}/interactions").body] == ["Inbound call"]
