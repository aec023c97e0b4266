"""Salesforce sync: Accounts and Contacts pulled through the REST API and upserted by their Salesforce ids.

Each run asks only for what changed since the last one (``LastModifiedDate``), reads every page before writing
anything, and writes through the same importer as files: one transaction, so a run that fails on the way
(an expired session, a used-up API limit) changes nothing and the next run asks for the same records again.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from core.directory import Directory, MatchBy
from core.errors import ContactsError, FieldProblem, ValidationFailed
from core.kinds import RecordKind
from core.models import DEFAULT_DIVISION
from core.phones import is_region
from core.policy import Action, Actor
from core.transfer.plan import Importer, Incoming
from core.transfer.report import Report

SOURCE = "salesforce"
SETTING_NAMES = ("instance_url", "access_token", "client_id", "client_secret")
API_VERSION = "v61.0"
ACCOUNT_FIELDS = ("Id", "Name", "Phone", "Fax", "Website", "Industry", "Type", "BillingStreet", "BillingCity",
                  "BillingState", "BillingPostalCode", "BillingCountry", "LastModifiedDate")
CONTACT_FIELDS = ("Id", "AccountId", "FirstName", "LastName", "Salutation", "Title", "Email", "Phone", "MobilePhone",
                  "HomePhone", "OtherPhone", "MailingStreet", "MailingCity", "MailingState", "MailingPostalCode",
                  "MailingCountry", "LastModifiedDate")
RETRIES = 3


class SyncError(ContactsError):
    """Salesforce refused or failed; nothing was changed."""


class SalesforceSettings(BaseModel):
    """``[salesforce]`` in contacts.toml; each value can come from the environment instead (SALESFORCE_…)."""

    model_config = ConfigDict(extra="forbid")

    instance_url: str | None = None
    access_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    division: str = DEFAULT_DIVISION

    @classmethod
    def load(cls, directory: Directory, environ: dict[str, str] | None = None) -> SalesforceSettings:
        environ = dict(os.environ if environ is None else environ)
        section = (directory.settings.model_extra or {}).get("salesforce", {})
        if not isinstance(section, dict):
            raise ValidationFailed.one("[salesforce]", None, "in contacts.toml must be a table of settings")
        values = {**section, **{field: environ[f"SALESFORCE_{field.upper()}"] for field in SETTING_NAMES
                                if environ.get(f"SALESFORCE_{field.upper()}")}}
        try:
            settings = cls.model_validate(values)
        except ValidationError as error:
            # Never the values themselves: a typo next to client_secret must not print the secret.
            raise ValidationFailed([FieldProblem(f"[salesforce] {'.'.join(str(p) for p in e['loc'])}", None,
                                                 e["msg"]) for e in error.errors()]) from None
        if not settings.instance_url:
            raise ValidationFailed.one("SALESFORCE_INSTANCE_URL", None, "is needed (your org's https://….my."
                                       "salesforce.com), in the environment or [salesforce] in contacts.toml")
        if not settings.access_token and not (settings.client_id and settings.client_secret):
            raise ValidationFailed.one("SALESFORCE_ACCESS_TOKEN", None, "is needed, or SALESFORCE_CLIENT_ID and "
                                       "SALESFORCE_CLIENT_SECRET of a connected app with the client credentials flow")
        return settings


class SalesforceClient:
    """The few REST calls a sync needs: a SOQL query followed page by page, and the client-credentials login."""

    def __init__(self, settings: SalesforceSettings, *, timeout: float = 30,
                 sleep: Callable[[float], None] = time.sleep):
        self.settings, self.timeout, self.sleep = settings, timeout, sleep
        self.instance_url = (settings.instance_url or "").rstrip("/")
        self.token = settings.access_token.get_secret_value() if settings.access_token else None
        if not self.token:
            self._log_in()

    def query(self, soql: str) -> Iterator[dict[str, Any]]:
        url = f"{self.instance_url}/services/data/{API_VERSION}/query?" + urllib.parse.urlencode({"q": soql})
        while url:
            page = self._get(url)
            yield from page.get("records", [])
            next_url = page.get("nextRecordsUrl")
            url = f"{self.instance_url}{next_url}" if next_url and not page.get("done", True) else ""

    def _get(self, url: str) -> dict[str, Any]:
        logged_in_again = False
        for attempt in range(RETRIES + 1):
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.token}",
                                                           "Accept": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return orjson.loads(response.read())
            except urllib.error.HTTPError as error:
                code, message = _error_of(error)
                if error.code == 401 and not logged_in_again and self.settings.client_id:
                    self._log_in()
                    logged_in_again = True
                    continue
                if error.code == 401:
                    raise SyncError(f"Salesforce refused the session ({code}: {message}). Get a new access token "
                                    "(SALESFORCE_ACCESS_TOKEN) or set up the client credentials flow. Nothing was "
                                    "changed.") from None
                if code == "REQUEST_LIMIT_EXCEEDED":
                    raise SyncError(f"Salesforce says the org's API request limit is used up ({message}). Nothing "
                                    "was changed; run the sync again once the limit resets.") from None
                if error.code in (429, 503) and attempt < RETRIES:
                    self.sleep(_retry_after(error, attempt))
                    continue
                raise SyncError(f"Salesforce answered {error.code} ({code}: {message}). Nothing was changed.") \
                    from None
            except (urllib.error.URLError, TimeoutError) as error:
                if attempt < RETRIES:
                    self.sleep(2 ** attempt)
                    continue
                reason = getattr(error, "reason", error)
                raise SyncError(f"cannot reach Salesforce at {self.instance_url}: {reason}. Nothing was changed.") \
                    from None
        raise AssertionError("unreachable")

    def _log_in(self) -> None:
        secret = self.settings.client_secret.get_secret_value() if self.settings.client_secret else ""
        body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": self.settings.client_id,
                                       "client_secret": secret}).encode()
        request = urllib.request.Request(f"{self.instance_url}/services/oauth2/token", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = orjson.loads(response.read())
        except urllib.error.HTTPError as error:
            code, message = _error_of(error)
            raise SyncError(f"Salesforce refused the login ({code}: {message}); check SALESFORCE_CLIENT_ID and "
                            "SALESFORCE_CLIENT_SECRET. Nothing was changed.") from None
        except urllib.error.URLError as error:
            raise SyncError(f"cannot reach Salesforce at {self.instance_url}: {error.reason}. Nothing was changed.") \
                from None
        self.token = answer["access_token"]
        self.instance_url = answer.get("instance_url", self.instance_url).rstrip("/")


def _error_of(error: urllib.error.HTTPError) -> tuple[str, str]:
    """Salesforce's errorCode and message, from its ``[{"errorCode": …, "message": …}]`` bodies."""
    try:
        body = orjson.loads(error.read())
    except (orjson.JSONDecodeError, OSError):
        return str(error.code), error.reason or ""
    first = body[0] if isinstance(body, list) and body else body if isinstance(body, dict) else {}
    return str(first.get("errorCode") or first.get("error") or error.code), str(
        first.get("message") or first.get("error_description") or "")


def _retry_after(error: urllib.error.HTTPError, attempt: int) -> float:
    try:
        return min(60.0, float(error.headers.get("Retry-After", "")))
    except ValueError:
        return float(2 ** attempt)


@dataclass
class SyncResult:
    report: Report
    accounts: int
    contacts: int
    since: str | None
    until: str | None


def sync_salesforce(directory: Directory, actor: Actor, client: SalesforceClient, *, full: bool = False,
                    division: str = DEFAULT_DIVISION, dry_run: bool = False,
                    progress: Callable[[int, int], None] | None = None) -> SyncResult:
    directory.require(actor, Action.configure)
    since = None if full else directory.sync_mark(actor, SOURCE)
    where = f" WHERE LastModifiedDate > {since}" if since else ""
    accounts = list(client.query(f"SELECT {', '.join(ACCOUNT_FIELDS)} FROM Account{where} ORDER BY Id"))
    contacts = list(client.query(f"SELECT {', '.join(CONTACT_FIELDS)} FROM Contact{where} ORDER BY Id"))
    stamps = [r["LastModifiedDate"] for r in accounts + contacts if r.get("LastModifiedDate")]
    until = max(stamps, key=_instant) if stamps else since
    importer = Importer(directory, actor, division=division, detail="Salesforce sync")

    def remember_how_far() -> None:
        if until:
            directory.set_sync_mark(actor, SOURCE, until)

    report = importer.run(lambda: _items(directory, actor, client.instance_url, accounts, contacts), dry_run=dry_run,
                          progress=progress, total=len(accounts) + len(contacts),
                          before_commit=remember_how_far)
    return SyncResult(report, len(accounts), len(contacts), since, until)


def _instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("+0000", "+00:00"))


def _items(directory: Directory, actor: Actor, instance_url: str, accounts: list[dict],
           contacts: list[dict]) -> Iterator[Incoming]:
    """Accounts first; each contact then finds its account among what the import has written so far."""
    for number, account in enumerate(accounts, 1):
        yield Incoming(number, organization=_organization(account, instance_url), source=account,
                       origins=_origins("organization", account))
    for number, contact in enumerate(contacts, len(accounts) + 1):
        data = _contact(contact, instance_url)
        account_id = contact.get("AccountId")
        if account_id:
            found = directory.matching(actor, RecordKind.organization, MatchBy.external_id, account_id, SOURCE)
            data["organization_id"] = found[0] if found else None
        yield Incoming(number, contact=data, source=contact, origins=_origins("contact", contact))


def _origins(entity: str, record: dict[str, Any]) -> dict[str, str]:
    """Errors name the Salesforce record and field, so someone can fix it there."""
    kind = record.get("attributes", {}).get("type", entity.title())
    where = f"{kind} {record.get('Id')}"
    fields = {"first_name": "FirstName", "last_name": "LastName", "salutation": "Salutation", "title": "Title",
              "name": "Name", "websites": "Website", "industry": "Industry", "company_type": "Type",
              "phone": "Phone", "fax": "Fax", "emails": "Email", "address": "address"}
    origins = {f"{entity}.{ours}": f"{where} {theirs}" for ours, theirs in fields.items()}
    origins[f"{entity}.phones"] = f"{where} phone"
    return origins


def _address(record: dict[str, Any], prefix: str) -> dict[str, str] | None:
    parts = {"address1": record.get(f"{prefix}Street"), "city": record.get(f"{prefix}City"),
             "state": record.get(f"{prefix}State"), "postal_code": record.get(f"{prefix}PostalCode"),
             "country_code": record.get(f"{prefix}Country")}
    street = (parts["address1"] or "").splitlines()
    if len(street) > 1:
        parts["address1"], parts["address2"] = street[0], " ".join(street[1:])
    address = {k: v.strip() for k, v in parts.items() if v and v.strip()}
    return address or None


def _record_link(record: dict[str, Any], instance_url: str) -> dict[str, Any]:
    return {"external_ids": [{"source": SOURCE, "value": record["Id"]}],
            "external_system_url": f"{instance_url}/{record['Id']}"}


def _organization(account: dict[str, Any], instance_url: str) -> dict[str, Any]:
    data: dict[str, Any] = {"name": account.get("Name"), **_record_link(account, instance_url)}
    region = account.get("BillingCountry") if is_region(account.get("BillingCountry") or "") else None
    for field, slot in (("Phone", "phone"), ("Fax", "fax")):
        if account.get(field):
            data[slot] = {"raw": account[field], **({"region": region.upper()} if region else {})}
    website = (account.get("Website") or "").strip()
    if website:
        data["websites"] = [website if "://" in website else f"https://{website}"]
    for field, ours in (("Industry", "industry"), ("Type", "company_type")):
        if account.get(field):
            data[ours] = account[field]
    address = _address(account, "Billing")
    if address:
        data["address"] = address
    return data


def _contact(contact: dict[str, Any], instance_url: str) -> dict[str, Any]:
    data: dict[str, Any] = {"first_name": contact.get("FirstName"), "last_name": contact.get("LastName"),
                            **_record_link(contact, instance_url)}
    for field, ours in (("Salutation", "salutation"), ("Title", "title")):
        if contact.get(field):
            data[ours] = contact[field]
    region = contact.get("MailingCountry") if is_region(contact.get("MailingCountry") or "") else None
    phones = [{"kind": kind, "raw": contact[field], **({"region": region.upper()} if region else {})}
              for field, kind in (("Phone", "work"), ("MobilePhone", "cell"), ("HomePhone", "home"),
                                  ("OtherPhone", "other")) if contact.get(field)]
    if phones:
        data["phones"] = phones
    if contact.get("Email"):
        data["emails"] = [{"kind": "work", "address": contact["Email"]}]
    address = _address(contact, "Mailing")
    if address:
        data["address"] = address
    return data
