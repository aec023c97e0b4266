"""Who may do what: refusals are clear and change nothing; records outside one's divisions don't exist."""

from __future__ import annotations

import pytest

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.policy import Actor
from tests.conftest import open_directory, store_files

SETTINGS = """
[access.default]
role = "viewer"
divisions = ["Home"]

[access.users.boss]
role = "admin"

[access.users."U0AGENT"]
role = "agent"
divisions = ["Home"]

[access.users."emea@example.com"]
role = "agent"
divisions = ["EMEA"]
"""

BOSS, AGENT, VIEWER, EMEA_AGENT = Actor("boss"), Actor("U0AGENT"), Actor("vic"), Actor("U0EMEA", email="emea@example.com")


@pytest.fixture
def shared(data_dir):
    directory = open_directory(data_dir, SETTINGS)
    directory.create_division(BOSS, "EMEA")
    home = directory.create(BOSS, "contact", {"first_name": "Hana", "last_name": "Home", "phones": [{"raw": "+14155552671"}]})
    emea = directory.create(BOSS, "contact", {"first_name": "Erik", "last_name": "Emea", "division": "EMEA",
                                              "phones": [{"raw": "+442079460958"}]})
    yield directory, home, emea
    directory.close()


def test_viewer_sees_but_cannot_note(shared, data_dir):
    directory, home, _ = shared
    assert directory.get(VIEWER, "contact", home.id).first_name == "Hana"
    before = store_files(data_dir)
    with pytest.raises(PermissionDenied) as caught:
        directory.add_note(VIEWER, "contact", home.id, "hello")
    assert str(caught.value) == (
        "not allowed to add notes, set survey opt-out and SMS, record interactions in division 'Home': "
        "vic is a viewer, and only agents and admins may add notes, set survey opt-out and SMS, record interactions. "
        "Nothing was changed.")
    with pytest.raises(PermissionDenied):
        directory.set_survey_opt_out(VIEWER, home.id, True)
    assert store_files(data_dir) == before


def test_agent_notes_and_opts_out_but_cannot_edit(shared, data_dir):
    directory, home, _ = shared
    directory.add_note(AGENT, "contact", home.id, "Asked for a callback")
    assert directory.set_survey_opt_out(AGENT, home.id, True).survey_opt_out
    assert directory.set_sms(AGENT, home.id, "+14155552671", True).phones[0].sms
    before = store_files(data_dir)
    for attempt in (
        lambda: directory.update(AGENT, "contact", home.id, {"title": "CEO"}),
        lambda: directory.create(AGENT, "contact", {"first_name": "A", "last_name": "B"}),
        lambda: directory.delete(AGENT, "contact", home.id),
        lambda: directory.create_division(AGENT, "APAC"),
    ):
        with pytest.raises(PermissionDenied, match="only admins may"):
            attempt()
    assert store_files(data_dir) == before


def test_records_outside_ones_divisions_do_not_exist_for_them(shared):
    directory, _, emea = shared
    with pytest.raises(NotFound):
        directory.get(AGENT, "contact", emea.id)
    assert directory.lookup(AGENT, "+44 20 7946 0958").contacts == []
    assert [c.id for c in directory.lookup(EMEA_AGENT, "+44 20 7946 0958").contacts] == [emea.id]
    assert directory.search(AGENT, "erik").hits == []
    assert [h.id for h in directory.search(EMEA_AGENT, "erik").hits] == [emea.id]
    with pytest.raises(NotFound):
        directory.add_note(AGENT, "contact", emea.id, "sneaky")


def test_users_are_matched_by_email(shared):
    directory, home, emea = shared
    directory.add_note(EMEA_AGENT, "contact", emea.id, "Called from Dublin")
    with pytest.raises(NotFound):
        directory.add_note(EMEA_AGENT, "contact", home.id, "not mine")


def test_admin_limited_to_divisions_cannot_create_elsewhere(data_dir):
    directory = open_directory(data_dir, '[access.default]\nrole = "admin"\ndivisions = ["Home"]\n')
    with pytest.raises(PermissionDenied, match="has no access to division 'EMEA' \\(allowed: Home\\)"):
        directory.create(Actor("a"), "contact", {"first_name": "A", "last_name": "B", "division": "EMEA"})
    directory.close()


def test_move_needs_edit_rights_in_both_divisions(data_dir):
    directory = open_directory(data_dir, '[access.users.root]\nrole = "admin"\n'
                                         '[access.default]\nrole = "admin"\ndivisions = ["Home"]\n')
    directory.create_division(Actor("root"), "EMEA")
    contact = directory.create(Actor("a"), "contact", {"first_name": "A", "last_name": "B"})
    with pytest.raises(PermissionDenied, match="'EMEA'"):
        directory.move(Actor("a"), "contact", contact.id, "EMEA")
    assert directory.get(Actor("a"), "contact", contact.id).division == "Home"
    directory.close()


def test_a_new_data_directory_gets_a_documented_single_user_default(data_dir):
    directory = open_directory(data_dir)
    text = (data_dir / "contacts.toml").read_text()
    assert 'role = "admin"' in text and "single-user install" in text and "default_region" in text
    assert directory.create(Actor("anyone"), "contact", {"first_name": "A", "last_name": "B"}).id == 1
    directory.close()


@pytest.mark.parametrize("settings, words", [
    ('[access.default]\nrole = "owner"\n', "access.default.role"),
    ('[phone]\ndefault_region = "Mars"\n', "phone.default_region"),
    ("[phone\n", "is not valid TOML"),
])
def test_bad_settings_are_refused_with_the_setting_named(data_dir, settings, words):
    with pytest.raises(ValidationFailed, match=words):
        open_directory(data_dir, settings)


def test_a_division_typed_in_other_case_is_the_division_its_grants_name(data_dir):
    directory = open_directory(data_dir, '[access.users.dublin]\nrole = "admin"\ndivisions = ["EMEA"]\n')
    directory.create_division(BOSS, "EMEA")
    dublin = Actor("dublin")
    made = directory.create(dublin, "contact", {"first_name": "Erin", "last_name": "Doyle", "division": "emea"})
    assert made.division == "EMEA" and directory.get(dublin, "contact", made.key).first_name == "Erin"
    assert directory.update(dublin, "contact", made.key, {"division": "Emea", "title": "CFO"}).title == "CFO"
    directory.close()


def test_renaming_onto_another_divisions_name_is_refused_and_changes_nothing(shared, data_dir):
    directory, _, emea = shared
    directory.create_division(BOSS, "APAC")
    before = store_files(data_dir)
    with pytest.raises(ValidationFailed, match="a division with this name exists already"):
        directory.rename_division(BOSS, "APAC", "emea")
    assert store_files(data_dir) == before
    assert directory.get(BOSS, "contact", emea.key).division == "EMEA"
