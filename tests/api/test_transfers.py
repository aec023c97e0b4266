"""Import jobs and exports over HTTP: upload a Google export with its preset, dry run then import, poll the job,
read the report and the rejects; export in each format."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.test_salesforce_sync import eventually

pytestmark = pytest.mark.both_stores  # the real API process on the embedded store and on PostgreSQL

GOOGLE = ("First Name,Last Name,Phone 1 - Label,Phone 1 - Value,E-mail 1 - Label,E-mail 1 - Value,Nickname\n"
          "Ada,Lovelace,Mobile,+44 7911 123456,* Home,ada@example.com,Countess\n"
          "Grace,,Work,(415) 555-0100,Work,grace@example.com,\n")


def finished(client, location: str) -> dict:
    done: dict = {}

    def check() -> bool:
        done.update(client("GET", location).body)
        return done["status"] in ("completed", "failed")

    eventually(check)
    return done


def test_an_import_job_dry_run_then_real_with_report_and_rejects(api):
    admin = api.client("crm")
    upload = "/api/v1/imports?name=google.csv&preset=google"
    dry = admin("POST", upload + "&dry_run=true", raw=GOOGLE.encode())
    assert dry.status == 202 and dry.headers["location"] == f"/api/v1/imports/{dry.body['id']}"
    checked = finished(admin, dry.headers["location"])
    assert checked["status"] == "completed" and checked["counts"] == {"create": 1, "error": 1}
    assert admin("GET", "/api/v1/contacts").body["total"] == 0  # a dry run writes nothing
    real = finished(admin, admin("POST", upload, raw=GOOGLE.encode()).headers["location"])
    assert real["counts"] == {"create": 1, "error": 1} and real["not_kept"] == {"Nickname": 1}
    report = admin("GET", real["report"]).body
    assert report[0]["line"] == 3 and report[0]["problems"][0]["field"] == "Last Name"
    rejects = urllib.request.urlopen(urllib.request.Request(api.base + real["rejects"], headers={
        "Authorization": f"Bearer {admin.token}"})).read().decode()
    assert rejects.splitlines()[0].endswith("Import Errors") and "Grace" in rejects
    assert admin("GET", "/api/v1/lookup?value=%2B447911123456").body["contacts"][0]["first_name"] == "Ada"
    other = api.client("someone-else", "agent")
    assert other("GET", dry.headers["location"]).status == 403  # a job's file is its maker's
    assert admin("GET", "/api/v1/imports/nope").status == 422


def test_a_job_that_cannot_read_its_file_fails_saying_why(api):
    admin = api.client("crm")
    job = finished(admin, admin("POST", "/api/v1/imports?name=x.csv", raw=b"\x00\x01binary").headers["location"])
    assert job["status"] == "failed" and "is a binary file" in job["error"]
    assert admin("POST", "/api/v1/imports?name=noext", raw=b"a").status == 422
    agent = api.client("helpdesk", "agent")
    refused = finished(agent, agent("POST", "/api/v1/imports?name=p.csv", raw=GOOGLE.encode()).headers["location"])
    assert refused["status"] == "failed" and "agent" in refused["error"]


def test_exports_in_every_format(api):
    admin = api.client("crm")
    admin("POST", "/api/v1/contacts", {"first_name": "Ada", "last_name": "Lovelace",
                                       "phones": [{"raw": "+1 415 555 2671"}]})
    admin("POST", "/api/v1/contacts", {"first_name": "Zoë", "last_name": "Adams", "division": "EMEA"})
    for format, marker in (("csv", "Contact First Name"), ("vcard", "BEGIN:VCARD"), ("jsonl", '"type":"contact"')):
        request = urllib.request.Request(f"{api.base}/api/v1/exports?format={format}",
                                         headers={"Authorization": f"Bearer {admin.token}"})
        with urllib.request.urlopen(request) as response:
            text = response.read().decode()
            assert marker in text and "Lovelace" in text, format
            assert response.headers["X-Not-In-Format"] is not None
    home = api.client("home-only", "viewer", "Home")
    request = urllib.request.Request(f"{api.base}/api/v1/exports?format=csv", headers={
        "Authorization": f"Bearer {home.token}"})
    with urllib.request.urlopen(request) as response:
        text = response.read().decode()
    assert "Lovelace" in text and "Adams" not in text
    assert home("GET", "/api/v1/exports?format=jsonl").status == 403  # a backup holds every division
    assert json.loads(json.dumps(home("GET", "/api/v1/exports?format=xml").body))["status"] == 400
