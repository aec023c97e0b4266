"""An import is worked out without the write lock: an agent's note (another process's handle on the directory)
is saved while it runs, never refused as busy, and the import stays all-or-nothing. If the agent changed a record
the import also changes, the import is worked out again on top of that change: both are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConcurrentChange
from core.transfer.files import import_file
from tests.conftest import ADMIN, open_directory, store, store_files


def people_csv(path: Path, count: int) -> Path:
    lines = ["Contact First Name,Contact Last Name,Contact Work Email,Contact Title"]
    lines += [f"Person{n},Importer,person{n}@import.example,Imported title" for n in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_agent_saves_a_note_while_an_import_runs(data_dir, tmp_path):
    importing, agent = open_directory(data_dir), open_directory(data_dir)
    ann = agent.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee"})
    saved_during, progress = [], []

    def meanwhile(done: int, total: int) -> None:
        progress.append(done)
        if done and not saved_during:  # mid-import: the agent writes from another handle
            saved_during.append(agent.add_note(ADMIN, "contact", ann.id, "Called during the import").id)
            assert not agent.lookup(ADMIN, "person0@import.example").contacts  # nothing of the import shows yet

    result = import_file(importing, ADMIN, people_csv(tmp_path / "people.csv", 1200), progress=meanwhile)
    assert saved_during and result.report.written
    assert progress == sorted(progress)  # worked out once: both audit trails kept, none taken for a conflict
    fresh = open_directory(data_dir)
    assert [n.text for n in fresh.notes(ADMIN, "contact", ann.id)] == ["Called during the import"]
    assert fresh.count(ADMIN, "contact") == 1201
    assert [e.action for e in fresh.history(ADMIN, "contact", ann.id)][:1] == ["note added"]  # its audit entry too
    imported = fresh.lookup(ADMIN, "person7@import.example").contacts[0]
    assert [e.action for e in fresh.history(ADMIN, "contact", imported.id)] == ["import"]


def test_a_change_to_a_record_the_import_also_changes_makes_it_work_out_again(data_dir, tmp_path):
    importing, agent = open_directory(data_dir), open_directory(data_dir)
    target = agent.create(ADMIN, "contact", {"first_name": "Person0", "last_name": "Importer",
                                             "emails": [{"address": "person0@import.example"}]})
    changed = []

    def meanwhile(done: int, total: int) -> None:
        if done and not changed:  # the agent edits the very contact the import is updating
            changed.append(agent.update(ADMIN, "contact", target.id, {"phones": [{"raw": "+1 415 555 2671"}]}))

    result = import_file(importing, ADMIN, people_csv(tmp_path / "people.csv", 1200), progress=meanwhile)
    assert result.report.written
    merged = open_directory(data_dir).get_contact(ADMIN, target.id)
    assert merged.title == "Imported title" and merged.phones[0].e164 == "+14155552671"  # both kept


def test_an_optimistic_batch_that_meets_a_conflict_writes_nothing(data_dir):
    mine, theirs = open_directory(data_dir), open_directory(data_dir)
    ann = theirs.create(ADMIN, "contact", {"first_name": "Ann", "last_name": "Lee"})
    with pytest.raises(ConcurrentChange), mine.batch(optimistic=True):
        mine.update(ADMIN, "contact", ann.id, {"title": "Mine"})
        mine.create(ADMIN, "contact", {"first_name": "Bo", "last_name": "Mine"})
        before = store_files(data_dir)
        theirs.update(ADMIN, "contact", ann.id, {"title": "Theirs"})
        assert store_files(data_dir) != before  # they wrote while this batch was open
    after = open_directory(data_dir)
    assert after.get_contact(ADMIN, ann.id).title == "Theirs" and after.count(ADMIN, "contact") == 1
    assert mine.get_contact(ADMIN, ann.id).title == "Theirs"  # the losing handle reads the winner's state
    assert store(mine).count("contacts") == 1
