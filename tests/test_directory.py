"""The service operations as a front end uses them, checked on the store afterwards."""

from __future__ import annotations

import pytest

from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.policy import Actor
from tests.conftest import ADMIN, open_directory, store, stored

pytestmark = pytest.mark.both_stores  # run on the embedded store and on PostgreSQL


@pytest.fixture
def ann(directory):
    organization = directory.create(ADMIN, "organization", {"name": "Acme Corp"})
    return directory.create(ADMIN, "contact", {
        "first_name": "Ann", "last_name": "Lee", "organization_id": organization.id,
        "phones": [{"raw": "+1 415 555 2671"}, {"raw": "(415) 555-2672", "kind": "cell"}],
        "emails": [{"address": "ann@acme.example"}],
    })


def test_created_records_survive_reopening(directory, data_dir, ann):
    directory.close()
    reopened = open_directory(data_dir)
    again = reopened.get(ADMIN, "contact", ann.id)
    assert again.model_dump() == ann.model_dump()
    assert again.version == 1 and again.created_at == again.modified_at
    reopened.close()


def test_update_changes_only_given_fields_and_bumps_version(directory, ann):
    updated = directory.update(ADMIN, "contact", ann.id, {"title": "CTO"})
    assert (updated.title, updated.version, updated.first_name) == ("CTO", 2, "Ann")
    assert updated.modified_at > ann.modified_at and updated.created_at == ann.created_at
    assert directory.get(ADMIN, "contact", ann.id).title == "CTO"


def test_update_that_changes_nothing_writes_nothing(directory, data_dir, ann):
    before = stored(directory, data_dir)
    assert directory.update(ADMIN, "contact", ann.id, {"first_name": "Ann"}).version == 1
    assert stored(directory, data_dir) == before


def test_stale_version_is_refused(directory, ann):
    directory.update(ADMIN, "contact", ann.id, {"title": "CTO"})
    with pytest.raises(Conflict, match="changed since you opened it"):
        directory.update(ADMIN, "contact", ann.id, {"title": "CEO"}, expected_version=1)
    assert directory.get(ADMIN, "contact", ann.id).title == "CTO"


def test_failed_update_leaves_store_exactly_as_it_was(directory, data_dir, ann):
    before = stored(directory, data_dir)
    with pytest.raises(ValidationFailed):
        directory.update(ADMIN, "contact", ann.id, {"title": "CTO", "emails": [{"address": "not-an-address"}]})
    assert stored(directory, data_dir) == before
    assert directory.get(ADMIN, "contact", ann.id).title is None
    assert [c.id for c in directory.lookup(ADMIN, "ann@acme.example").contacts] == [ann.id]


def test_division_cannot_change_through_an_edit(directory, ann):
    directory.create_division(ADMIN, "EMEA")
    with pytest.raises(ValidationFailed, match="move it to put it in another division") as caught:
        directory.update(ADMIN, "contact", ann.id, {"division": "EMEA"})
    assert caught.value.problems[0].field == "division" and caught.value.problems[0].value == "EMEA"


def test_move_keeps_id_notes_and_history(directory, ann):
    directory.create_division(ADMIN, "EMEA")
    note = directory.add_note(ADMIN, "contact", ann.id, "Likes email")
    result = directory.move(ADMIN, "contact", ann.id, "EMEA")
    assert "from division 'Home' to 'EMEA'" in result.message and "id, notes, interactions and history are unchanged" in result.message
    moved = directory.get(ADMIN, "contact", ann.id)
    assert moved.division == "EMEA"
    assert [n.id for n in directory.notes(ADMIN, "contact", ann.id)] == [note.id]
    assert [e.action for e in directory.history(ADMIN, "contact", ann.id)][:2] == ["move", "note added"]
    with pytest.raises(ValidationFailed, match="already in division 'EMEA'"):
        directory.move(ADMIN, "contact", ann.id, "EMEA")
    with pytest.raises(ValidationFailed, match="is not a division"):
        directory.move(ADMIN, "contact", ann.id, "Mars")


def test_delete_removes_notes_and_keeps_history_for_admins(directory, ann):
    directory.add_note(ADMIN, "contact", ann.id, "Called")
    directory.delete(ADMIN, "contact", ann.id)
    with pytest.raises(NotFound, match=f"no contact with id {ann.id}"):
        directory.get(ADMIN, "contact", ann.id)
    assert store(directory).count("notes") == 0
    assert directory.lookup(ADMIN, "+14155552671").contacts == []
    assert directory.history(ADMIN, "contact", ann.id)[0].action == "delete"


def test_deleting_an_organization_unlinks_its_contacts(directory, ann):
    directory.add_relationship(ADMIN, ann.organization_id, "Bob Lee", "Account Manager")
    directory.delete(ADMIN, "organization", ann.organization_id)
    contact = directory.get(ADMIN, "contact", ann.id)
    assert contact.organization_id is None and contact.version == 2
    assert store(directory).count("relationships") == 0
    assert directory.history(ADMIN, "contact", ann.id)[0].detail == "its organization was deleted"


def test_ids_are_never_reused(directory, data_dir, ann):
    directory.delete(ADMIN, "contact", ann.id)
    directory.close()
    reopened = open_directory(data_dir)
    assert reopened.create(ADMIN, "contact", {"first_name": "B", "last_name": "C"}).id == ann.id + 1
    reopened.close()


def test_notes_newest_first_with_source(directory, ann):
    directory.add_note(ADMIN, "contact", ann.id, "first")
    directory.add_note(ADMIN, "contact", ann.id, "second", {"channel_id": "C1", "permalink": "https://x.slack.com/p1"})
    notes = directory.notes(ADMIN, "contact", ann.id)
    assert [n.text for n in notes] == ["second", "first"]
    assert notes[0].source.permalink == "https://x.slack.com/p1" and notes[0].author == "admin"


def test_note_edit_and_delete_by_author_or_admin(data_dir):
    directory = open_directory(data_dir, '[access.default]\nrole = "agent"\n[access.users.boss]\nrole = "admin"\n')
    contact = directory.create(Actor("boss"), "contact", {"first_name": "Ann", "last_name": "Lee"})
    note = directory.add_note(Actor("amy"), "contact", contact.id, "Called about invoice")
    assert directory.edit_note(Actor("amy"), note.id, "Called about invoice 42").text == "Called about invoice 42"
    with pytest.raises(PermissionDenied, match="only its author or an admin"):
        directory.delete_note(Actor("ben"), note.id)
    directory.delete_note(Actor("boss"), note.id)
    assert directory.notes(Actor("amy"), "contact", contact.id) == []
    history = directory.history(Actor("boss"), "contact", contact.id)
    assert [e.action for e in history] == ["note deleted", "note edited", "note added", "create"]
    assert history[1].changes == {f"note {note.id}": ["Called about invoice", "Called about invoice 42"]}
    directory.close()


def test_notes_on_organizations(directory, ann):
    directory.add_note(ADMIN, "organization", ann.organization_id, "Gets 10% discount")
    assert [n.text for n in directory.notes(ADMIN, "organization", ann.organization_id)] == ["Gets 10% discount"]


def test_relationships(directory, ann):
    organization_id = ann.organization_id
    manager = directory.add_relationship(ADMIN, organization_id, "Bob Lee", "Account Manager")
    directory.add_relationship(ADMIN, organization_id, "Cy Dee", "Support Engineer")
    assert [(r.user, r.role) for r in directory.relationships(ADMIN, organization_id)] == [
        ("Bob Lee", "Account Manager"), ("Cy Dee", "Support Engineer")]
    directory.remove_relationship(ADMIN, manager.id)
    assert [r.user for r in directory.relationships(ADMIN, organization_id)] == ["Cy Dee"]
    assert directory.history(ADMIN, "organization", organization_id)[0].changes == {
        "relationship": ["Bob Lee: Account Manager", None]}


def test_survey_opt_out_and_sms_toggle(directory, ann):
    assert directory.set_survey_opt_out(ADMIN, ann.id, True).survey_opt_out
    contact = directory.set_sms(ADMIN, ann.id, "415 555 2672", True)
    assert [p.sms for p in contact.phones] == [False, True]
    assert [e.action for e in directory.history(ADMIN, "contact", ann.id)][:2] == ["sms on", "survey opt-out"]
    with pytest.raises(ValidationFailed, match=r"is not one of Ann Lee's numbers \(\+1 415 555 2671, \(415\) 555-2672\)"):
        directory.set_sms(ADMIN, ann.id, "+44 20 7946 0958", True)


def test_audit_records_who_when_and_before_after(directory, ann):
    directory.update(Actor("admin"), "contact", ann.id, {"title": "CTO", "emails": []})
    entry = directory.history(ADMIN, "contact", ann.id)[0]
    assert (entry.action, entry.actor) == ("update", "admin")
    assert entry.changes == {"emails": [[{"address": "ann@acme.example"}], None], "title": [None, "CTO"]}
    assert entry.at == directory.get(ADMIN, "contact", ann.id).modified_at


def test_contacts_of_an_organization(directory, ann):
    directory.create(ADMIN, "contact", {"first_name": "Bo", "last_name": "Adams", "organization_id": ann.organization_id})
    assert [c.last_name for c in directory.contacts_of(ADMIN, ann.organization_id)] == ["Adams", "Lee"]


def test_unknown_kind_is_refused(directory):
    with pytest.raises(ValidationFailed, match="must be 'contact' or 'organization'"):
        directory.create(ADMIN, "vendor", {"name": "x"})


def test_interactions_newest_first_and_found_by_message(directory, ann):
    first = directory.record_interaction(ADMIN, ann.id, summary="Incoming call", channel_id="C1", message_ts="1.1",
                                         permalink="https://acme.slack.com/archives/C1/p11")
    second = directory.record_interaction(ADMIN, ann.id, kind="chat")
    assert [i.id for i in directory.interactions(ADMIN, ann.id)] == [second.id, first.id]
    assert directory.interaction_at(ADMIN, "C1", "1.1").id == first.id
    assert directory.interaction_at(ADMIN, "C1", "9.9") is None
    assert directory.history(ADMIN, "contact", ann.id)[0].action == "interaction"


def test_profile_gathers_what_a_card_shows(directory, ann):
    directory.add_custom_field(ADMIN, "contact", {"key": "tier", "label": "Tier", "type": "text"})
    directory.update(ADMIN, "contact", ann.id, {"custom_fields": {"tier": "Gold"}})
    directory.add_note(ADMIN, "contact", ann.id, "hello")
    profile = directory.profile(ADMIN, "contact", ann.id)
    assert profile.organization.name == "Acme Corp" and [n.text for n in profile.notes] == ["hello"]
    assert profile.custom_values() == [("Tier", "Gold")] and profile.can_edit and profile.can_note
    organization = directory.profile(ADMIN, "organization", ann.organization_id)
    assert [c.id for c in organization.contacts] == [ann.id] and organization.kind == "organization"


def test_merge_and_delete_carry_interactions(directory, ann):
    twin = directory.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee"})
    directory.record_interaction(ADMIN, twin.id, summary="call to the twin")
    directory.merge_contacts(ADMIN, ann.id, [twin.id])
    assert [i.summary for i in directory.interactions(ADMIN, ann.id)] == ["call to the twin"]
    directory.delete(ADMIN, "contact", ann.id)
    assert store(directory).count("interactions") == 0
