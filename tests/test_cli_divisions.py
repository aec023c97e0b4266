"""``contacts division`` and ``contacts move`` as an admin runs them, and refusals that change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import open_directory, stored, write_settings
from tests.test_cli import run


def everything(data_dir: Path) -> tuple:
    """What the store holds, read by a directory opened for the purpose (the commands run as processes)."""
    directory = open_directory(data_dir)
    try:
        return stored(directory, data_dir)
    finally:
        directory.close()


pytestmark = pytest.mark.both_stores  # run on the embedded store and on PostgreSQL

RESTRICTED = """
[access.default]
role = "admin"

[access.users.home-admin]
role = "admin"
divisions = ["Home"]

[access.users.agent]
role = "agent"
"""


def test_readme_import_into_a_new_division_works_once_it_is_added(data_dir, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("Contact First Name,Contact Last Name,Contact Work Phone\nAda,Lovelace,+44 20 7946 0001\n",
                      encoding="utf-8")
    refused = run(data_dir, "import", str(people), "--division", "EMEA")
    assert refused.returncode == 2 and "division: is not a division (divisions: Home)" in refused.stderr
    added = run(data_dir, "division", "add", "EMEA", "--description", "Customers served from Dublin")
    assert added.returncode == 0 and "Added division 'EMEA'." in added.stdout
    imported = run(data_dir, "import", str(people), "--division", "EMEA")
    assert imported.returncode == 0, imported.stderr
    found = json.loads(run(data_dir, "lookup", "--json", "+442079460001").stdout)
    assert found["contacts"][0]["division"] == "EMEA"


def test_list_rename_and_describe(data_dir, tmp_path):
    run(data_dir, "division", "add", "Emea")
    listing = run(data_dir, "division", "list")
    assert listing.returncode == 0 and listing.stdout.splitlines()[0].startswith("Emea")
    renamed = run(data_dir, "division", "rename", "emea", "EMEA")
    assert renamed.returncode == 0 and "Renamed division 'emea' to 'EMEA'" in renamed.stdout
    described = run(data_dir, "division", "describe", "EMEA", "Served from Dublin")
    assert "Division 'EMEA': Served from Dublin" in described.stdout
    as_json = {d["name"]: d for d in json.loads(run(data_dir, "division", "list", "--json").stdout)}
    assert as_json["EMEA"]["description"] == "Served from Dublin" and as_json["Home"]["records"] == 0
    home = run(data_dir, "division", "rename", "Home", "Default")
    assert home.returncode == 2 and "'Home' is where records go by default" in home.stderr


def test_renaming_a_division_moves_its_records_and_keeps_grants_working(data_dir, tmp_path):
    data_dir.mkdir(exist_ok=True)
    write_settings(data_dir, '[access.default]\nrole = "admin"\n[access.users.dublin]\nrole = "agent"\n'
                             'divisions = ["EMEA"]\n')
    run(data_dir, "division", "add", "EMEA")
    people = tmp_path / "people.csv"
    people.write_text("Contact First Name,Contact Last Name,Contact Work Phone\nAda,Lovelace,+44 20 7946 0001\n",
                      encoding="utf-8")
    run(data_dir, "import", str(people), "--division", "EMEA")
    before = everything(data_dir)
    refused = run(data_dir, "division", "rename", "EMEA", "Europe")
    assert refused.returncode == 2 and "[access.users.'dublin']" in refused.stderr and "add 'Europe'" in refused.stderr
    assert everything(data_dir) == before
    settings = (data_dir / "contacts.toml").read_text(encoding="utf-8")
    (data_dir / "contacts.toml").write_text(settings.replace('["EMEA"]', '["EMEA", "Europe"]'), encoding="utf-8")
    assert run(data_dir, "division", "rename", "EMEA", "Europe").returncode == 0
    seen = json.loads(run(data_dir, "--as", "dublin", "lookup", "--json", "+442079460001").stdout)
    assert seen["contacts"][0]["division"] == "Europe"


def test_move_keeps_the_id_and_needs_rights_in_both_divisions(data_dir, tmp_path):
    data_dir.mkdir(exist_ok=True)
    write_settings(data_dir, RESTRICTED)
    run(data_dir, "division", "add", "EMEA")
    run(data_dir, "demo", "--contacts", "20")
    contact = json.loads(run(data_dir, "lookup", "--json", "CUS-0000003").stdout)["contacts"][0]
    target = "EMEA" if contact["division"] == "Home" else "Home"
    before = everything(data_dir)
    # The agent may not move at all; the Home admin lacks one of the two divisions (if the contact is in EMEA, it
    # does not even exist for them).
    for actor, reasons in (("agent", ["only admins may create, edit, move"]),
                           ("home-admin", ["has no access to division 'EMEA'", "no contact with id"])):
        refused = run(data_dir, "--as", actor, "move", "contact", str(contact["id"]), target)
        assert refused.returncode == 2, refused.stdout
        assert any(reason in refused.stderr for reason in reasons), refused.stderr
    assert everything(data_dir) == before
    moved = run(data_dir, "move", "contact", str(contact["id"]), target)
    assert moved.returncode == 0 and f"to '{target}'" in moved.stdout and "id, notes" in moved.stdout
    again = json.loads(run(data_dir, "lookup", "--json", "CUS-0000003").stdout)["contacts"][0]
    assert (again["id"], again["division"]) == (contact["id"], target)
    unknown = run(data_dir, "move", "contact", str(contact["id"]), "Mars")
    assert unknown.returncode == 2 and "is not a division (divisions: EMEA, Home)" in unknown.stderr


def test_maintenance_needs_the_admin_role(data_dir, tmp_path):
    data_dir.mkdir(exist_ok=True)
    write_settings(data_dir, RESTRICTED)
    refused = run(data_dir, "--as", "agent", "compact")
    assert refused.returncode == 2 and "only admins may manage custom fields and divisions" in refused.stderr
    assert run(data_dir, "compact").returncode == 0
