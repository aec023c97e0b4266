"""Any contacts survive a CSV or a vCard round trip (export → import into an empty directory) with every field the
format carries: names, title, organization, phones with their kinds, emails, social handles, a two-line street,
external ids, the CRM link and notes; CSV also custom fields, survey opt-out and SMS."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.transfer.files import export_file, import_file
from tests.conftest import ADMIN, open_directory, store
from tests.test_backup_properties import note_texts, words

# number shapes people type; each contact's numbers, emails and ids are its own (the file's keys say who is who)
PHONE_SHAPES = ["+1 415 555 {n:04d}", "+44 20 7946 {n:04d}", "+49 30 123{n:04d}", "(415) 555-{n:04d} x12",
                "+33 1 23 45 {a:02d} {b:02d}", "415.555.{n:04d}"]
phones = st.sampled_from(PHONE_SHAPES)
organization_names = st.sampled_from(["Acme", "Globex, Inc.", "=cmd|' /C calc'!A0", "Initech; Ltd"])
contacts = st.fixed_dictionaries(
    {"first_name": words, "last_name": words},
    optional={
        "middle_name": words, "salutation": words, "title": words,
        "phones": st.lists(st.builds(lambda raw, kind, sms: {"raw": raw, "kind": kind, "sms": sms and kind != "fax"},
                                     phones, st.sampled_from(["work", "cell", "home", "other", "fax"]), st.booleans()),
                           max_size=3),
        "emails": st.lists(st.builds(lambda kind: {"address": "p{n}@x.example", "kind": kind},
                                     st.sampled_from(["work", "personal", "other"])), max_size=2),
        "socials": st.lists(st.builds(lambda handle, network: {"handle": handle, "network": network},
                                      st.from_regex(r"[a-z][a-z0-9_]{2,12}", fullmatch=True),
                                      st.sampled_from(["twitter", "instagram"])), max_size=2,
                            unique_by=lambda s: s["network"]),
        "address": st.fixed_dictionaries({"address1": words}, optional={"address2": words, "city": words,
                                                                       "postal_code": words}),
        "external_ids": st.lists(st.builds(lambda value: {"source": "crm", "value": value + "-{n}"}, words),
                                 max_size=1),
        "external_system_url": st.sampled_from(["https://crm.example/c/1", "https://crm.example/c/2?x=1,2"]),
        "survey_opt_out": st.booleans(),
        "custom_fields": st.fixed_dictionaries({"tier": st.sampled_from(["Gold", "Silver"])}),
    },
)
directories = st.lists(st.tuples(contacts, st.one_of(st.none(), organization_names), st.lists(note_texts, max_size=2)),
                       min_size=1, max_size=5)
CARRIED_BY_VCARD = {"first_name", "last_name", "middle_name", "salutation", "title", "phones", "emails", "socials",
                    "address", "external_ids", "external_system_url"}


def comparable(directory, fields: set[str] | None) -> list:
    rows = []
    for contact in directory.records(ADMIN, "contact", store(directory).ids("contacts")):
        data = contact.model_dump(mode="json", exclude={"id", "version", "created_at", "modified_at",
                                                        "organization_id", "division"})
        if fields is not None:
            data = {k: v for k, v in data.items() if k in fields}
            for phone in data.get("phones", []):
                phone.pop("sms")
        for key in ("phones", "emails", "socials"):  # a CSV has a column per kind
            data[key] = sorted(map(str, data.get(key, [])))
        organization = directory.get_organization(ADMIN, contact.organization_id) if contact.organization_id else None
        notes = sorted(n.text.strip() for n in directory.notes(ADMIN, "contact", contact.key))
        rows.append(str((data, organization and organization.name, notes)))
    return sorted(rows)


def own_keys(fields: dict, index: int) -> dict:
    """The contact's numbers, emails and external ids made its own: the ``{n}`` of each filled in."""
    fields = dict(fields)
    serial = iter(range(index * 10, index * 10 + 10))
    if "phones" in fields:
        fields["phones"] = [{**p, "raw": p["raw"].format(n=(n := next(serial)), a=n // 100 + 10, b=n % 100)}
                            for p in fields["phones"]]
    if "emails" in fields:
        fields["emails"] = [{**e, "address": e["address"].format(n=next(serial))} for e in fields["emails"]]
    if "external_ids" in fields:
        fields["external_ids"] = [{**i, "value": i["value"].replace("{n}", str(index))} for i in fields["external_ids"]]
    return fields


def round_trip(plan, name: str, fields: set[str] | None) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        source = open_directory(root / "source")
        target = open_directory(root / "target")
        for directory in (source, target):
            directory.add_custom_field(ADMIN, "contact", {"key": "tier", "label": "Tier", "type": "enum",
                                                          "options": [{"value": "Gold"}, {"value": "Silver"}]})
        organizations: dict[str, int] = {}
        for index, (fields_of, organization, notes) in enumerate(plan):
            fields_of = own_keys(fields_of, index)
            if organization is not None and organization not in organizations:
                organizations[organization] = source.create(ADMIN, "organization", {"name": organization}).key
            data = {**fields_of, **({"organization_id": organizations[organization]} if organization else {})}
            contact = source.create(ADMIN, "contact", data)
            for text in notes:
                source.add_note(ADMIN, "contact", contact.key, text)
        path = root / name
        export_file(source, ADMIN, path)
        result = import_file(target, ADMIN, path)
        assert not result.report.errors, [o.report_line() for o in result.report.errors]
        assert comparable(target, fields) == comparable(source, fields)
        source.close()
        target.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directories)
def test_csv_keeps_every_field_it_carries(plan):
    round_trip(plan, "all.csv", None)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directories)
def test_vcard_keeps_every_field_it_carries(plan):
    round_trip(plan, "all.vcf", CARRIED_BY_VCARD)
