"""Exports read contacts and organizations a chunk at a time: what a search exports (its contacts with their
organizations, organizations it finds that no exported contact works at) does not depend on where chunks end."""

from __future__ import annotations

import csv

import pytest

from core.transfer import csv_export, vcard_export
from core.transfer.files import export_file
from tests.conftest import ADMIN

pytestmark = pytest.mark.both_stores  # run on the embedded store and on PostgreSQL


@pytest.fixture
def crew(directory, monkeypatch):
    monkeypatch.setattr(csv_export, "CHUNK", 2)
    monkeypatch.setattr(vcard_export, "CHUNK", 2)
    acme = directory.create(ADMIN, "organization", {"name": "Acme Rockets"})
    directory.create(ADMIN, "organization", {"name": "Rocket Repairs"})  # found by "rocket", nobody works there
    directory.create(ADMIN, "organization", {"name": "Zenith Freight"})  # neither found nor anyone's
    for first in ("Ada", "Bea", "Cy", "Di", "Ed"):  # five people at Acme: three chunks of two
        directory.create(ADMIN, "contact", {"first_name": first, "last_name": "Rocket", "organization_id": acme.id})
    directory.create(ADMIN, "contact", {"first_name": "Flo", "last_name": "Other"})
    return directory


def test_a_csv_export_of_a_search_has_each_contact_with_its_organization_then_the_organizations_alone(crew, tmp_path):
    path = tmp_path / "rocket.csv"
    exported = export_file(crew, ADMIN, path, query="rocket")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    people = [(r["Contact First Name"], r["Account Name"]) for r in rows if r["Contact Last Name"]]
    assert people == [(first, "Acme Rockets") for first in ("Ada", "Bea", "Cy", "Di", "Ed")]
    assert [r["Account Name"] for r in rows if not r["Contact Last Name"]] == ["Rocket Repairs"]
    assert exported.count == 6


def test_a_whole_csv_export_writes_every_organization_once(crew, tmp_path):
    path = tmp_path / "all.csv"
    export_file(crew, ADMIN, path)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["Account Name"] for r in rows if not r["Contact Last Name"]] == ["Rocket Repairs", "Zenith Freight"]
    assert sum(1 for r in rows if r["Contact Last Name"]) == 6


def test_a_vcard_export_of_a_search_has_each_company_card_once_before_the_people(crew, tmp_path):
    path = tmp_path / "rocket.vcf"
    export_file(crew, ADMIN, path, query="rocket")
    cards = path.read_text(encoding="utf-8").split("BEGIN:VCARD")[1:]
    companies = [c for c in cards if "X-ABShowAs:COMPANY" in c]
    assert [c.split("FN:")[1].splitlines()[0] for c in companies] == ["Acme Rockets", "Rocket Repairs"]
    people = cards[len(companies):]
    assert len(people) == 5 and all("ORG:Acme Rockets" in c for c in people)
