"""A record outside a person's divisions does not exist for them, even through a record that links to it: not its
name in another record's row, card or search hit, in the service or the ``contacts`` command."""

from __future__ import annotations

import json

import pytest

from core.policy import Actor
from core.store import postgres_listing
from tests.conftest import open_directory
from tests.test_cli import run

pytestmark = pytest.mark.both_stores  # run on the embedded store and on PostgreSQL

SETTINGS = """
[access.default]
role = "admin"

[access.users.vic]
role = "viewer"
divisions = ["Home"]
"""
ADMIN, HOME_VIEWER = Actor("boss"), Actor("vic")


@pytest.fixture
def linked(data_dir):
    """Zed Home works for Zenith Freight, which is in EMEA: the Home viewer sees Zed, never Zenith."""
    directory = open_directory(data_dir, SETTINGS)
    directory.create_division(ADMIN, "EMEA")
    zenith = directory.create(ADMIN, "organization", {"name": "Zenith Freight", "division": "EMEA",
                                                      "industry": "Shipping", "phone": {"raw": "+44 20 7946 0000"}})
    zed = directory.create(ADMIN, "contact", {"first_name": "Zed", "last_name": "Home", "title": "Buyer",
                                              "organization_id": zenith.id, "phones": [{"raw": "+1 415 555 0101"}]})
    directory.create(ADMIN, "contact", {"first_name": "Zoe", "last_name": "Home", "phones": [{"raw": "+1 415 555 0102"}]})
    yield directory, zenith, zed
    directory.close()


def test_search_does_not_find_a_contact_through_an_invisible_organization(linked):
    directory, _, _ = linked
    assert [h.title for h in directory.search(ADMIN, "zenith").hits] == ["Zenith Freight", "Zed Home"]
    assert directory.search(HOME_VIEWER, "zenith").hits == []
    assert directory.browse(HOME_VIEWER, "contact", "zenith").size() == 0
    assert directory.lookup(HOME_VIEWER, "zenith").found is False


def test_a_number_an_address_or_a_handle_finds_nothing_outside_ones_divisions(linked):
    directory, zenith, _ = linked
    lena = directory.create(ADMIN, "contact", {"first_name": "Lena", "last_name": "Abroad", "division": "EMEA",
                                               "emails": [{"address": "lena@zenith.example"}],
                                               "socials": [{"network": "twitter", "handle": "lena_z"}]})
    for typed in ("+44 20 7946 0000", "lena@zenith.example", "@lena_z"):
        seen = directory.lookup(ADMIN, typed)
        assert [r.id for r in [*seen.contacts, *seen.organizations]] in ([zenith.id], [lena.id]), typed
        assert directory.lookup(HOME_VIEWER, typed).found is False, typed


def test_rows_cards_and_hits_never_name_the_invisible_organization(linked):
    directory, zenith, zed = linked
    [row] = directory.rows(HOME_VIEWER, "contact", [zed.id])
    assert (row.name, row.organization) == ("Zed Home", "")
    assert directory.rows(ADMIN, "contact", [zed.id])[0].organization == "Zenith Freight"
    assert directory.rows(HOME_VIEWER, "organization", [zenith.id]) == []
    [hit] = directory.search(HOME_VIEWER, "zed").hits
    assert "Zenith" not in hit.subtitle and "Buyer" in hit.subtitle
    assert directory.profile(HOME_VIEWER, "contact", zed.id).organization is None
    assert directory.records(HOME_VIEWER, "organization", [zenith.id]) == []
    assert directory.documents(HOME_VIEWER, "organization", [zenith.id]) == {}
    assert directory.count(HOME_VIEWER, "organization") == 0 and directory.count(ADMIN, "organization") == 1


def test_people_suggested_for_a_relationship_are_those_of_organizations_one_sees(linked):
    directory, zenith, _ = linked
    homely = directory.create(ADMIN, "organization", {"name": "Homely Inc"})
    directory.add_relationship(ADMIN, zenith.id, "Quinn Abroad", "Account Manager")
    directory.add_relationship(ADMIN, zenith.id, "Ann Both", "Support Engineer")
    both = directory.add_relationship(ADMIN, homely.id, "ann both", "Account Manager")  # as another admin typed it
    directory.add_relationship(ADMIN, homely.id, "Cy Home", "Support Engineer")
    assert directory.known_people(ADMIN) == ["Ann Both", "ann both", "Cy Home", "Quinn Abroad", "vic"]
    assert directory.known_people(HOME_VIEWER) == ["ann both", "Cy Home", "vic"]
    directory.remove_relationship(ADMIN, both.id)
    assert directory.known_people(HOME_VIEWER) == ["Cy Home", "vic"]  # "Ann Both" looks after EMEA's only
    assert directory.known_people(ADMIN) == ["Ann Both", "Cy Home", "Quinn Abroad", "vic"]


def test_a_limit_every_record_meets_lists_as_no_limit_and_a_record_beyond_it_stays_unseen(data_dir, monkeypatch):
    monkeypatch.setattr(postgres_listing, "PAGE", 2)  # a server store reads these few as it would millions
    directory = open_directory(data_dir, SETTINGS)
    made = [directory.create(ADMIN, "contact", {"first_name": f"Al{n}", "last_name": "Home"}).id for n in range(3)]
    listing = directory.browse(HOME_VIEWER, "contact")
    assert listing.complete and listing.size() == 3  # known at once: no record's division to check on the way
    assert directory.count(HOME_VIEWER, "contact") == 3
    directory.create_division(ADMIN, "EMEA")
    directory.create(ADMIN, "contact", {"first_name": "Em", "last_name": "Abroad", "division": "EMEA"})
    listing = directory.browse(HOME_VIEWER, "contact")
    assert listing.window(0, 10) == made and directory.count(HOME_VIEWER, "contact") == 3
    assert [h.title for h in directory.search(HOME_VIEWER, "al").hits] == ["Al0 Home", "Al1 Home", "Al2 Home"]
    assert directory.search(HOME_VIEWER, "abroad").hits == []
    directory.close()


def test_the_command_shows_the_contact_without_the_organization(linked, data_dir):
    directory, _, _ = linked
    directory.close()
    seen = run(data_dir, "--as", "vic", "lookup", "zed")
    assert seen.returncode == 0 and "Zed Home" in seen.stdout and "Zenith" not in seen.stdout
    as_json = json.loads(run(data_dir, "--as", "vic", "lookup", "--json", "+1 415 555 0101").stdout)
    assert [c["first_name"] for c in as_json["contacts"]] == ["Zed"]
    assert "Zenith" not in json.dumps(as_json)
    assert run(data_dir, "--as", "vic", "lookup", "zenith").returncode == 1
    admin = run(data_dir, "--as", "boss", "lookup", "zed")
    assert "Buyer at Zenith Freight" in admin.stdout


def test_exports_leave_out_what_the_exporter_cannot_see(linked, data_dir, tmp_path):
    directory, _, _ = linked
    directory.close()
    out = tmp_path / "mine.csv"
    assert run(data_dir, "--as", "vic", "export", str(out)).returncode == 0
    text = out.read_text(encoding="utf-8")
    assert "Zed" in text and "Zenith" not in text
