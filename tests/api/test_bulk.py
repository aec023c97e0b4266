"""Bulk writes over HTTP: each item's own result, partial failure, all-or-nothing, upsert by external id."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.both_stores  # the real API process on the embedded store and on PostgreSQL


def people(client) -> dict[str, dict]:
    return {f"{c['first_name']} {c['last_name']}": c for c in client("GET", "/api/v1/contacts?page_size=100").body["items"]}


def test_a_partial_failure_writes_the_good_items_and_names_the_bad(api):
    admin = api.client("billing")
    items = [{"first_name": "Ada", "last_name": "Lovelace"},
             {"first_name": "Grace", "emails": [{"address": "grace@"}]},
             {"first_name": "Alan", "last_name": "Turing", "id": 999}]  # ids are the directory's to give
    answer = admin("POST", "/api/v1/contacts/bulk", {"operation": "create", "items": items})
    assert answer.status == 200
    assert answer.body["error_count"] == 1 and answer.body["error_indexes"] == [1]
    ok, bad, third = answer.body["results"]
    assert ok["success"] and ok["status"] == 200 and ok["entity"]["first_name"] == "Ada"
    assert not bad["success"] and bad["status"] == 422
    assert {e["field"] for e in bad["error"]["errors"]} == {"last_name", "emails.0.address"}
    assert third["success"] and third["entity"]["id"] != 999
    assert set(people(admin)) == {"Ada Lovelace", "Alan Turing"}


def test_an_atomic_request_writes_nothing_if_any_item_fails(api):
    admin = api.client("billing")
    items = [{"first_name": "Ada", "last_name": "Lovelace"}, {"first_name": "Nolast"}]
    answer = admin("POST", "/api/v1/contacts/bulk", {"operation": "create", "atomic": True, "items": items})
    assert answer.status == 422 and answer.headers["content-type"] == "application/problem+json"
    assert [r["success"] for r in answer.body["results"]] == [False, False]
    assert "atomic" in answer.body["results"][0]["error"]["detail"]
    assert people(admin) == {}


def test_upsert_by_external_id_then_update_and_delete_by_id(api):
    admin = api.client("erp")
    items = [{"first_name": "Ada", "last_name": "Lovelace", "external_ids": [{"source": "erp", "value": "C-1"}]},
             {"first_name": "Grace", "last_name": "Hopper", "external_ids": [{"source": "erp", "value": "C-2"}]}]
    first = admin("POST", "/api/v1/contacts/bulk", {"operation": "upsert", "items": items}).body
    ada_id = first["results"][0]["id"]
    items[0]["title"] = "Countess"
    again = admin("POST", "/api/v1/contacts/bulk", {"operation": "upsert", "items": items}).body
    assert [r["id"] for r in again["results"]] == [r["id"] for r in first["results"]]
    assert people(admin)["Ada Lovelace"]["title"] == "Countess" and len(people(admin)) == 2
    updated = admin("POST", "/api/v1/contacts/bulk", {"operation": "update", "items": [
        {"id": ada_id, "salutation": "Lady"}, {"id": 12345, "title": "x"}, {"id": ada_id, "version": 1, "title": "y"}]})
    assert [r["status"] for r in updated.body["results"]] == [200, 404, 412]
    deleted = admin("POST", "/api/v1/contacts/bulk", {"operation": "delete", "items": [{"id": ada_id}, {"id": "x"}]})
    assert [r["status"] for r in deleted.body["results"]] == [204, 422]
    assert set(people(admin)) == {"Grace Hopper"}


def test_more_than_a_thousand_items_or_an_unknown_operation_is_refused_whole(api):
    admin = api.client("erp")
    items = [{"first_name": "P", "last_name": str(i)} for i in range(1001)]
    assert admin("POST", "/api/v1/contacts/bulk", {"operation": "create", "items": items}).status == 422
    assert admin("POST", "/api/v1/contacts/bulk", {"operation": "merge", "items": items[:1]}).status == 422
    assert people(admin) == {}
    viewer = api.client("reports", "viewer")
    refused = viewer("POST", "/api/v1/organizations/bulk", {"operation": "create", "items": [{"name": "Acme"}]})
    assert refused.body["results"][0]["status"] == 403
