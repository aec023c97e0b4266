"""Salesforce sync: Accounts and Contacts pulled through the REST API and upserted by their Salesforce ids.

Each run asks only for what changed since the last one (``LastModifiedDate``), and for what was deleted there
(``IsDeleted``, through queryAll), reads every page before writing anything, and writes through the same importer
as files: one transaction, so a run that fails on the way (an expired session, a used-up API limit) changes
nothing but the record of its failure, and the next run asks for the same records again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.directory import Directory, MatchBy
from core.errors import ContactsError
from core.kinds import RecordKind
from core.models import DEFAULT_DIVISION
from core.phones import is_region
from core.policy import Action, Actor
from core.transfer.plan import Importer, Incoming
from core.transfer.report import Report
from core.transfer.salesforce_api import SalesforceClient

SOURCE = "salesforce"
SYNC_ACTOR = Actor("salesforce-sync")  # who a process syncing in the background acts as (needs the admin role)
ACCOUNT_FIELDS = ("Id", "Name", "Phone", "Fax", "Website", "Industry", "Type", "BillingStreet", "BillingCity",
                  "BillingState", "BillingPostalCode", "BillingCountry", "LastModifiedDate")
CONTACT_FIELDS = ("Id", "AccountId", "FirstName", "LastName", "Salutation", "Title", "Email", "Phone", "MobilePhone",
                  "HomePhone", "OtherPhone", "MailingStreet", "MailingCity", "MailingState", "MailingPostalCode",
                  "MailingCountry", "LastModifiedDate")


@dataclass
class SyncResult:
    report: Report
    accounts: int
    contacts: int
    since: str | None
    until: str | None
    deleted: dict[str, int] = field(default_factory=dict)  # what became of records deleted in Salesforce

    def summary(self) -> str:
        since = f"changed since {self.since}" if self.since else "all records"
        gone = ", ".join(f"{count} {what}" for what, count in self.deleted.items() if count)
        return (f"Salesforce ({since}): {self.accounts} accounts, {self.contacts} contacts"
                + (f"; deleted there: {gone}" if gone else "") + ". " + self.report.outcome_counts())


def sync_salesforce(directory: Directory, actor: Actor, client: SalesforceClient, *, full: bool = False,
                    division: str = DEFAULT_DIVISION, dry_run: bool = False, on_delete: str = "archive",
                    archive_division: str = "Archive",
                    progress: Callable[[int, int], None] | None = None) -> SyncResult:
    """One run. A run that fails records why (``sync_state``) and changes nothing else."""
    directory.require(actor, Action.configure)
    try:
        result = _sync(directory, actor, client, full=full, division=division, dry_run=dry_run,
                       on_delete=on_delete, archive_division=archive_division, progress=progress)
    except ContactsError as error:
        if not dry_run:
            directory.record_sync(actor, SOURCE, ok=False, outcome=f"failed: {error}")
        raise
    return result


def _sync(directory: Directory, actor: Actor, client: SalesforceClient, *, full: bool, division: str,
          dry_run: bool, on_delete: str, archive_division: str,
          progress: Callable[[int, int], None] | None) -> SyncResult:
    since = None if full else directory.sync_mark(actor, SOURCE)
    where = f" WHERE LastModifiedDate > {since}" if since else ""
    accounts = list(client.query(f"SELECT {', '.join(ACCOUNT_FIELDS)} FROM Account{where} ORDER BY Id"))
    contacts = list(client.query(f"SELECT {', '.join(CONTACT_FIELDS)} FROM Contact{where} ORDER BY Id"))
    deleted_where = " WHERE IsDeleted = true" + (f" AND LastModifiedDate > {since}" if since else "")
    # a first run has nothing here yet that Salesforce could have deleted since
    gone = {kind: [r["Id"] for r in client.query(f"SELECT Id, LastModifiedDate FROM {name}{deleted_where}",
                                                  deleted=True)] if since or full else []
            for kind, name in ((RecordKind.contact, "Contact"), (RecordKind.organization, "Account"))}
    stamps = [r["LastModifiedDate"] for r in accounts + contacts if r.get("LastModifiedDate")]
    until = max(stamps, key=_instant) if stamps else since
    importer = Importer(directory, actor, division=division, detail="Salesforce sync")
    deleted: dict[str, int] = {}
    result = SyncResult(Report(), len(accounts), len(contacts), since, until, deleted)

    def finish() -> None:
        deleted.update(_deleted_here(directory, actor, gone, on_delete, archive_division))
        directory.record_sync(actor, SOURCE, ok=True, outcome=result.summary(), mark=until)

    result.report = importer.run(lambda: _items(directory, actor, client.instance_url, accounts, contacts),
                                 dry_run=dry_run, progress=progress, total=len(accounts) + len(contacts),
                                 before_commit=finish)
    return result


def _deleted_here(directory: Directory, actor: Actor, gone: dict[RecordKind, list[str]], on_delete: str,
                  archive_division: str) -> dict[str, int]:
    """What ``on_delete`` says to do with the records here that were deleted in Salesforce: how many of each."""
    done = {"archived": 0, "removed": 0, "kept": 0}
    for kind in (RecordKind.contact, RecordKind.organization):
        for salesforce_id in gone[kind]:
            for record_id in directory.matching(actor, kind, MatchBy.external_id, salesforce_id, SOURCE):
                if on_delete == "remove":
                    directory.delete(actor, kind, record_id)
                    done["removed"] += 1
                elif on_delete == "archive":
                    if directory.get(actor, kind, record_id).division == archive_division:
                        continue
                    if directory.division_problem(archive_division) is not None:
                        directory.create_division(actor, archive_division, "Records deleted in the CRM")
                    directory.move(actor, kind, record_id, archive_division)
                    done["archived"] += 1
                else:
                    done["kept"] += 1
    return done


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
    for theirs, slot in (("Phone", "phone"), ("Fax", "fax")):
        if account.get(theirs):
            data[slot] = {"raw": account[theirs], **({"region": region.upper()} if region else {})}
    website = (account.get("Website") or "").strip()
    if website:
        data["websites"] = [website if "://" in website else f"https://{website}"]
    for theirs, ours in (("Industry", "industry"), ("Type", "company_type")):
        if account.get(theirs):
            data[ours] = account[theirs]
    address = _address(account, "Billing")
    if address:
        data["address"] = address
    return data


def _contact(contact: dict[str, Any], instance_url: str) -> dict[str, Any]:
    data: dict[str, Any] = {"first_name": contact.get("FirstName"), "last_name": contact.get("LastName"),
                            **_record_link(contact, instance_url)}
    for theirs, ours in (("Salutation", "salutation"), ("Title", "title")):
        if contact.get(theirs):
            data[ours] = contact[theirs]
    region = contact.get("MailingCountry") if is_region(contact.get("MailingCountry") or "") else None
    phones = [{"kind": kind, "raw": contact[theirs], **({"region": region.upper()} if region else {})}
              for theirs, kind in (("Phone", "work"), ("MobilePhone", "cell"), ("HomePhone", "home"),
                                   ("OtherPhone", "other")) if contact.get(theirs)]
    if phones:
        data["phones"] = phones
    if contact.get("Email"):
        data["emails"] = [{"kind": "work", "address": contact["Email"]}]
    address = _address(contact, "Mailing")
    if address:
        data["address"] = address
    return data
