"""Salesforce sync against a fake Salesforce REST server on 127.0.0.1."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import timedelta

import pytest

from core.errors import ValidationFailed
from core.transfer.salesforce import sync_salesforce
from core.transfer.salesforce_api import SalesforceClient, SalesforceSettings, SyncError
from tests.conftest import ADMIN, open_directory, store
from tests.salesforce_fake import FakeSalesforce
from tests.test_cli import CONTACTS


@pytest.fixture
def salesforce():
    with FakeSalesforce(page_size=2) as fake:
        acme = fake.add("Account", Name="Acme Corp", Phone="(415) 555-0100", Website="acme.example",
                        Industry="Manufacturing", BillingCity="San Francisco", BillingCountry="US")
        fake.add("Account", Name="Globex GmbH", Phone="030 1234567", BillingCountry="DE")
        fake.add("Contact", AccountId=acme["Id"], FirstName="Ada", LastName="Lovelace", Email="ada@acme.example",
                 Phone="+1 415 555 2671", MobilePhone="(415) 555-0111", Title="CTO", MailingCountry="US")
        fake.add("Contact", AccountId=None, FirstName="Grace", LastName="Hopper", Email="grace@example.com")
        fake.add("Contact", AccountId=acme["Id"], FirstName="Alan", LastName="Turing", Phone="not a number")
        yield fake


def client(fake: FakeSalesforce, **settings) -> SalesforceClient:
    values = {"instance_url": fake.url, "access_token": "good-token", **settings}
    return SalesforceClient(SalesforceSettings(**values), sleep=lambda seconds: None)


def people(directory) -> dict:
    return {c.full_name: c for c in directory.records(ADMIN, "contact", store(directory).ids("contacts"))}


def test_a_first_sync_pulls_every_page_of_accounts_and_contacts(directory, salesforce):
    result = sync_salesforce(directory, ADMIN, client(salesforce))
    assert (result.accounts, result.contacts) == (2, 3)
    assert result.report.counts == {"create": 5}
    assert len(salesforce.queries) == 2  # two pages of each, the second reached through nextRecordsUrl
    ada = people(directory)["Ada Lovelace"]
    acme = directory.get_organization(ADMIN, ada.organization_id)
    assert acme.name == "Acme Corp" and acme.websites == ["https://acme.example"]
    assert [(i.source, i.value) for i in ada.external_ids] == [("salesforce", salesforce.records["Contact"][0]["Id"])]
    assert ada.external_system_url == f"{salesforce.url}/{salesforce.records['Contact'][0]['Id']}"
    assert [(p.kind.value, p.e164) for p in ada.phones] == [("work", "+14155552671"), ("cell", "+14155550111")]
    assert directory.lookup(ADMIN, "415-555-0111").contacts[0].full_name == "Ada Lovelace"
    globex = directory.search(ADMIN, "Globex", kinds=["organization"]).hits[0]
    assert directory.get_organization(ADMIN, globex.id).phone.e164 == "+49301234567"
    assert any("'not a number' left out: is not a phone number" in w for o in result.report.outcomes for w in o.warnings)


def test_the_next_sync_asks_only_for_what_changed_and_updates_by_salesforce_id(directory, salesforce):
    sync_salesforce(directory, ADMIN, client(salesforce))
    ada = salesforce.records["Contact"][0]
    ada.update(LastName="King", LastModifiedDate="2026-11-20T08:30:00.000+0000")
    result = sync_salesforce(directory, ADMIN, client(salesforce))
    assert salesforce.queries[-3].endswith("WHERE LastModifiedDate > 2026-11-01T10:00:00.000+0000 ORDER BY Id")
    assert salesforce.queries[-1].endswith("WHERE IsDeleted = true AND LastModifiedDate > 2026-11-01T10:00:00.000+0000")
    assert (result.accounts, result.contacts) == (0, 1) and result.report.counts == {"update": 1}
    assert set(people(directory)) == {"Ada King", "Grace Hopper", "Alan Turing"}
    again = sync_salesforce(directory, ADMIN, client(salesforce))
    assert again.contacts == 0 and directory.sync_mark(ADMIN, "salesforce") == "2026-11-20T08:30:00.000+0000"
    full = sync_salesforce(directory, ADMIN, client(salesforce), full=True)
    assert set(full.report.counts) == {"unchanged"} and store(directory).count("contacts") == 3


def test_a_contact_already_in_the_directory_is_linked_not_duplicated(directory, salesforce):
    directory.create(ADMIN, "contact", {"first_name": "Grace", "last_name": "Hopper",
                                        "emails": [{"address": "grace@example.com"}]})
    sync_salesforce(directory, ADMIN, client(salesforce))
    grace = people(directory)["Grace Hopper"]
    assert store(directory).count("contacts") == 3 and grace.external_ids[0].source == "salesforce"


def test_an_expired_session_logs_in_again_with_client_credentials(directory, salesforce):
    sync = client(salesforce, access_token="expired", client_id="client-id", client_secret="client-secret")
    result = sync_salesforce(directory, ADMIN, sync)
    assert result.report.counts == {"create": 5} and sync.token.startswith("token-")


def records(directory) -> dict[str, int]:
    return {table: store(directory).count(table) for table in ("contacts", "organizations", "notes")}


def test_an_expired_session_without_a_way_to_log_in_changes_nothing(directory, salesforce):
    before = records(directory)
    with pytest.raises(SyncError) as error:
        sync_salesforce(directory, ADMIN, client(salesforce, access_token="expired"))
    assert "INVALID_SESSION_ID: Session expired or invalid" in str(error.value)
    assert records(directory) == before  # but for the record of the failure
    assert "Get a new access token" in directory.sync_state(ADMIN, "salesforce").outcome


def test_a_used_up_request_limit_midway_through_paging_changes_nothing(directory, salesforce):
    before = records(directory)
    salesforce.page_size = 1
    sync = client(salesforce)
    pages = sync.query("SELECT Id, Name FROM Account ORDER BY Id")
    next(pages)
    salesforce.fail_next(403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    with pytest.raises(SyncError) as error:
        list(pages)
    assert "API request limit is used up (TotalRequests Limit exceeded.)" in str(error.value)
    salesforce.fail_next(403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
    with pytest.raises(SyncError):
        sync_salesforce(directory, ADMIN, sync)
    assert records(directory) == before and directory.sync_mark(ADMIN, "salesforce") is None


def test_a_busy_server_is_retried_after_the_time_it_asks_for(directory, salesforce):
    waits = []
    sync = SalesforceClient(SalesforceSettings(instance_url=salesforce.url, access_token="good-token"),
                            sleep=waits.append)
    salesforce.fail_next(503, [{"errorCode": "SERVER_UNAVAILABLE", "message": "busy"}], {"Retry-After": "7"})
    salesforce.fail_next(429, [{"errorCode": "TOO_MANY_REQUESTS", "message": "slow down"}])
    result = sync_salesforce(directory, ADMIN, sync)
    assert waits == [7.0, 2.0] and result.report.counts == {"create": 5}


def test_settings_come_from_the_environment_and_missing_ones_are_named(directory):
    settings = SalesforceSettings.load(directory, {"SALESFORCE_INSTANCE_URL": "https://x.my.salesforce.com",
                                                   "SALESFORCE_ACCESS_TOKEN": "t"})
    assert settings.instance_url == "https://x.my.salesforce.com"
    with pytest.raises(ValidationFailed) as error:
        SalesforceSettings.load(directory, {})
    assert "SALESFORCE_INSTANCE_URL: is needed" in str(error.value)


def test_the_sync_command(salesforce, tmp_path):
    env = {"SALESFORCE_INSTANCE_URL": salesforce.url, "SALESFORCE_ACCESS_TOKEN": "good-token", "PATH": "/usr/bin"}
    command = [CONTACTS, "--data-dir", str(tmp_path / "data"), "sync", "salesforce"]
    dry = subprocess.run([*command, "--dry-run"], capture_output=True, text=True, env=env, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert "record 3: create contact Ada Lovelace" in dry.stdout
    assert "Salesforce (all records): 2 accounts, 3 contacts. 5 to create" in dry.stdout
    real = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert "5 created" in real.stdout
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert "Salesforce (changed since 2026-11-01T10:00:00.000+0000): 0 accounts, 0 contacts." in again.stdout
    expired = subprocess.run(command, capture_output=True, text=True, timeout=60,
                             env={**env, "SALESFORCE_ACCESS_TOKEN": "old"})
    assert expired.returncode == 2 and "Get a new access token" in expired.stderr


def test_records_deleted_in_salesforce_are_archived_here_and_said(directory, salesforce):
    sync_salesforce(directory, ADMIN, client(salesforce))
    grace = next(r for r in salesforce.records["Contact"] if r["FirstName"] == "Grace")
    salesforce.delete(grace, "2026-11-02T09:00:00.000+0000")
    result = sync_salesforce(directory, ADMIN, client(salesforce))
    assert result.deleted == {"archived": 1, "removed": 0, "kept": 0}
    assert "deleted there: 1 archived" in result.summary()
    assert people(directory)["Grace Hopper"].division == "Archive"
    assert people(directory)["Ada Lovelace"].division == "Home"
    again = sync_salesforce(directory, ADMIN, client(salesforce))  # nothing new: nothing moves twice
    assert again.deleted == {"archived": 0, "removed": 0, "kept": 0}


def test_records_deleted_in_salesforce_can_be_removed_here(directory, salesforce):
    sync_salesforce(directory, ADMIN, client(salesforce))
    salesforce.delete(salesforce.records["Account"][1], "2026-11-02T09:00:00.000+0000")
    result = sync_salesforce(directory, ADMIN, client(salesforce), on_delete="remove")
    assert result.deleted["removed"] == 1
    assert [o.name for o in directory.records(ADMIN, "organization", store(directory).ids("organizations"))] == [
        "Acme Corp"]


def test_the_last_run_is_remembered_good_or_failed(directory, salesforce):
    assert directory.sync_state(ADMIN, "salesforce") is None
    sync_salesforce(directory, ADMIN, client(salesforce))
    state = directory.sync_state(ADMIN, "salesforce")
    assert state.ok and state.outcome.startswith("Salesforce (all records): 2 accounts, 3 contacts")
    salesforce.fail_next(403, [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}])
    with pytest.raises(SyncError):
        sync_salesforce(directory, ADMIN, client(salesforce))
    failed = directory.sync_state(ADMIN, "salesforce")
    assert not failed.ok and "API request limit is used up" in failed.outcome
    assert failed.mark == state.mark  # the next run asks for the same records again


def test_one_run_at_a_time(directory):
    lease = timedelta(minutes=10)
    assert directory.claim_sync(ADMIN, "salesforce", "bot:1", lease)
    assert not directory.claim_sync(ADMIN, "salesforce", "cli:2", lease)
    directory.release_sync(ADMIN, "salesforce", "bot:1")
    assert directory.claim_sync(ADMIN, "salesforce", "cli:2", lease)
    assert directory.claim_sync(ADMIN, "salesforce", "bot:1", timedelta(0)) is False


def test_an_interval_is_read_as_people_write_it(directory):
    for text, seconds in (("90s", 90), ("15m", 900), ("1h", 3600), ("45", 45)):
        settings = SalesforceSettings.load(directory, {"SALESFORCE_INSTANCE_URL": "https://x", "SALESFORCE_ACCESS_TOKEN":
                                                       "t"}, every=text)
        assert settings.interval.total_seconds() == seconds
    with pytest.raises(ValidationFailed) as refused:
        SalesforceSettings.load(directory, {"SALESFORCE_INSTANCE_URL": "https://x", "SALESFORCE_ACCESS_TOKEN": "t"},
                                every="often")
    assert "interval" in str(refused.value) and "such as 90s, 15m or 1h" in str(refused.value)


def test_watch_keeps_the_directory_current_until_stopped(salesforce, tmp_path):
    data_dir = tmp_path / "data"
    env = {"SALESFORCE_INSTANCE_URL": salesforce.url, "SALESFORCE_ACCESS_TOKEN": "good-token", "PATH": "/usr/bin"}
    watcher = subprocess.Popen([CONTACTS, "--data-dir", str(data_dir), "sync", "salesforce", "--watch",
                                "--every", "1s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        directory = open_directory(data_dir)
        eventually(lambda: "Ada Lovelace" in names(directory))
        salesforce.add("Contact", FirstName="Katherine", LastName="Johnson",
                       LastModifiedDate="2026-11-03T08:00:00.000+0000")
        ada = next(r for r in salesforce.records["Contact"] if r["FirstName"] == "Ada")
        salesforce.delete(ada, "2026-11-03T08:00:00.000+0000")
        eventually(lambda: "Katherine Johnson" in names(directory))
        eventually(lambda: directory.refresh(ADMIN) is not None and
                   people(directory)["Ada Lovelace"].division == "Archive")
        status = subprocess.run([CONTACTS, "--data-dir", str(data_dir), "sync", "status"], capture_output=True,
                                text=True, timeout=60)
        assert status.returncode == 0 and ", ok" in status.stdout
        directory.close()
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    assert "Syncing from Salesforce every 0:00:01" in out and "deleted there: 1 archived" in out


def names(directory) -> set[str]:
    directory.refresh(ADMIN)  # what the watching process wrote
    return set(people(directory))


def eventually(condition, timeout: float = 30) -> None:
    """Wait for something another process does: check it until it holds (or fail after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the other process did not get there in time"
        time.sleep(0.05)

