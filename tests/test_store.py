"""The journal store on real files: durable, shared between handles, and never writing over damage."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tinydb import Query

from core.errors import CorruptStore, StoreFull, UnsupportedStoreFormat
from core.store.indexes import IndexSpec
from core.store.storage import JournalStorage
from core.store.table import ContactsDB

NAME_INDEX = IndexSpec("people.name", "people", lambda doc: [doc["name"].lower()], ordered=True)


def open_db(path: Path) -> ContactsDB:
    return ContactsDB(path, indexes=[NAME_INDEX])


def files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.name != "store.lock"}


@pytest.fixture
def store(tmp_path):
    return tmp_path / "store"


def test_a_write_is_on_disk_when_it_returns(store):
    writer = open_db(store)
    doc_id = writer.table("people").insert({"name": "Ann"})
    fresh = open_db(store)  # a second handle reads only what is on disk
    assert fresh.table("people").get(doc_id=doc_id) == {"name": "Ann"}


def test_two_handles_see_each_others_writes(store):
    bot, tui = open_db(store), open_db(store)
    bot.table("people").insert({"name": "Ann"})
    tui.table("people").insert({"name": "Bob"})
    assert sorted(d["name"] for d in bot.table("people").all()) == ["Ann", "Bob"]
    assert tui.storage.find("people.name", "ann") == {1}
    assert tui.table("people").search(Query().name == "Ann") == [{"name": "Ann"}]
    bot.table("people").update({"name": "Anne"}, doc_ids=[1])
    assert tui.table("people").search(Query().name == "Ann") == []  # TinyDB's query cache does not go stale


def test_ids_are_unique_across_handles(store):
    first, second = open_db(store), open_db(store)
    ids = [first.table("people").insert({"name": "A"}), second.table("people").insert({"name": "B"}),
           first.table("people").insert({"name": "C"})]
    assert ids == [1, 2, 3]


def test_tinydb_api_works_unchanged(store):
    table = open_db(store).table("people")
    table.insert_multiple([{"name": "Ann", "age": 30}, {"name": "Bob", "age": 40}, {"name": "Cy", "age": 50}])
    assert [d["name"] for d in table.search(Query().age > 35)] == ["Bob", "Cy"]
    assert table.update({"vip": True}, Query().name == "Bob") == [2]
    table.upsert({"name": "Dee", "age": 20}, Query().name == "Dee")
    table.remove(Query().age >= 50)
    assert len(table) == 3 and table.count(Query().vip == True) == 1  # noqa: E712
    reopened = open_db(store).table("people")
    assert sorted(d["name"] for d in reopened.all()) == ["Ann", "Bob", "Dee"]
    reopened.truncate()
    assert len(open_db(store).table("people")) == 0
    db = open_db(store)
    db.table("pets").insert({"name": "Rex"})
    db.drop_tables()  # TinyDB's whole-database write
    assert open_db(store).tables() == set()


def test_a_failed_transaction_leaves_memory_indexes_and_disk_as_they_were(store):
    db = open_db(store)
    db.table("people").insert({"name": "Ann"})
    before = files(store)
    with pytest.raises(RuntimeError), db.storage.transaction():
        db.table("people").insert({"name": "Bob"})
        db.table("people").update({"name": "Zed"}, doc_ids=[1])
        raise RuntimeError("validation failed halfway")
    assert files(store) == before
    assert db.table("people").all() == [{"name": "Ann"}]
    assert db.storage.find("people.name", "ann") == {1} and db.storage.find("people.name", "zed") == set()


def test_a_failed_disk_write_is_undone(store, monkeypatch):
    db = open_db(store)
    db.table("people").insert({"name": "Ann"})
    before = files(store)

    def disk_full(fd, data):
        os.ftruncate(fd, os.fstat(fd).st_size)  # nothing written
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(StoreFull, match="no space left to save the change"):
        db.table("people").insert({"name": "Bob"})
    monkeypatch.undo()
    assert files(store) == before and len(db.table("people")) == 1
    assert db.table("people").insert({"name": "Cy"}) == 2


def test_compaction_is_followed_by_other_handles(store):
    writer, reader = open_db(store), open_db(store)
    writer.table("people").insert({"name": "Ann"})
    assert len(reader.table("people")) == 1
    writer.storage.compact()
    writer.table("people").insert({"name": "Bob"})
    assert sorted(p.name for p in store.iterdir()) == [
        "store.1.indexes", "store.1.journal", "store.1.snapshot", "store.lock"]
    assert sorted(d["name"] for d in reader.table("people").all()) == ["Ann", "Bob"]
    reader.table("people").insert({"name": "Cy"})
    assert len(open_db(store).table("people")) == 3


def test_the_journal_compacts_itself_as_it_grows(store):
    storage = JournalStorage(store, [NAME_INDEX], compact_ratio=0.5)
    with storage.transaction():
        for i in range(2500):
            storage.put("people", i + 1, {"name": f"p{i}", "pad": "x" * 4000})
    assert storage.stats()["generation"] == 1  # 10 MB of journal went into a snapshot
    assert len(JournalStorage(store).ids("people")) == 2500


def test_a_transaction_too_big_for_a_journal_line_commits_as_a_new_snapshot(store, monkeypatch):
    monkeypatch.setattr("core.store.storage.MAX_JOURNAL_BYTES", 100_000)
    writer, reader = open_db(store), open_db(store)
    writer.table("people").insert({"name": "Ann"})
    with writer.storage.transaction():
        for i in range(500):
            writer.storage.put("people", i + 10, {"name": f"p{i}", "pad": "x" * 400})
    assert writer.storage.stats()["generation"] == 1 and writer.storage.stats()["journal_bytes"] == 0
    assert reader.storage.count("people") == 501  # the other handle follows the seal to the new snapshot
    assert reader.storage.find("people.name", "p499") == {509}
    assert reader.table("people").insert({"name": "Bob"}) == 510
    assert JournalStorage(store, [NAME_INDEX]).count("people") == 502


def journal(store: Path) -> Path:
    return next(store.glob("store.*.journal"))


def test_a_torn_last_write_is_ignored_then_cut_off(store):
    db = open_db(store)
    db.table("people").insert({"name": "Ann"})
    with open(journal(store), "ab") as f:
        f.write(b'1234abcd {"ops":[["people",2,{"na')  # a crash in the middle of a write
    reopened = open_db(store)
    assert reopened.table("people").all() == [{"name": "Ann"}]
    reopened.table("people").insert({"name": "Bob"})
    assert sorted(d["name"] for d in open_db(store).table("people").all()) == ["Ann", "Bob"]


@pytest.mark.parametrize("tail", [
    pytest.param(b"\x00" * 4096, id="zeros a power cut leaves past the last flushed write"),
    pytest.param(b"3f2a", id="part of a checksum"),
    pytest.param(b'3f2a19c0 {"ops":[["people",2,{"na', id="a line cut short"),
    pytest.param(b'3f2a19c0 {"ops":[["people",2,\x00\x00\x00\x00', id="a line whose last page never arrived"),
])
def test_an_unterminated_final_line_is_an_unacknowledged_write_and_is_dropped(store, tail):
    db = open_db(store)
    db.table("people").insert({"name": "Ann"})
    with open(journal(store), "ab") as f:
        f.write(tail)
    reopened = open_db(store)
    assert reopened.table("people").all() == [{"name": "Ann"}]
    reopened.table("people").insert({"name": "Bob"})  # the next writer cuts the torn line off
    assert [d["name"] for d in open_db(store).table("people").all()] == ["Ann", "Bob"]


@pytest.mark.parametrize("damage", [
    pytest.param(lambda b: b[:-20] + bytes([b[-20] ^ 1]) + b[-19:], id="one byte flipped in the last complete line"),
    pytest.param(lambda b: b + b"\x00\x00\x00\x00\n", id="a complete line of zeros"),
    pytest.param(lambda b: b + bytes(range(256)) * 16, id="4 KB of garbage at the end"),
    pytest.param(lambda b: b + b"<html>oops", id="text that is no journal line, unterminated"),
])
def test_damage_at_the_end_of_the_journal_is_refused_byte_for_byte(store, damage):
    db = open_db(store)
    for name in ("Ann", "Bob"):
        db.table("people").insert({"name": name})
    journal(store).write_bytes(damage(journal(store).read_bytes()))
    before = files(store)
    with pytest.raises(CorruptStore, match=r"store.0.journal is damaged at byte \d+ "):
        open_db(store)
    assert files(store) == before


def test_a_writer_refuses_to_write_after_garbage_another_left(store):
    db = open_db(store)
    db.table("people").insert({"name": "Ann"})
    with open(journal(store), "ab") as f:
        f.write(b"<html>oops</html>\n")
    before = files(store)
    with pytest.raises(CorruptStore, match="damaged at byte"):
        db.table("people").insert({"name": "Bob"})
    assert files(store) == before


def test_damage_inside_the_journal_is_refused_and_left_alone(store):
    db = open_db(store)
    for name in ("Ann", "Bob", "Cy"):
        db.table("people").insert({"name": name})
    data = journal(store).read_bytes()
    journal(store).write_bytes(data.replace(b"Bob", b"Bub"))
    before = files(store)
    with pytest.raises(CorruptStore, match=r"store.0.journal is damaged at byte \d+ \(.*\); the store was left untouched"):
        open_db(store)
    assert files(store) == before


@pytest.mark.parametrize("damage, error, words", [
    (lambda b: b.replace(b"Ann", b"Anx"), CorruptStore, "is damaged"),
    (lambda b: b[: len(b) - 40], CorruptStore, "is damaged"),
    (lambda b: b.replace(b'"version":1', b'"version":2'), UnsupportedStoreFormat, "reads format 1"),
    (lambda b: b"<html>not a store</html>\n" + b, CorruptStore, "does not start with a store header"),
    (lambda b: b.replace(b"contacts-store", b"something-else"), CorruptStore, "is not a Contacts store file"),
])
def test_a_damaged_or_foreign_snapshot_is_refused_and_left_alone(store, damage, error, words):
    db = open_db(store)
    db.table("people").insert({"name": "Ann"})
    db.storage.compact()
    snapshot = next(store.glob("store.*.snapshot"))
    snapshot.write_bytes(damage(snapshot.read_bytes()))
    before = files(store)
    with pytest.raises(error, match=words):
        open_db(store)
    assert files(store) == before


def test_a_journal_without_its_snapshot_is_refused(store):
    open_db(store).table("people").insert({"name": "Ann"})
    next(store.glob("store.*.snapshot")).unlink()
    with pytest.raises(CorruptStore, match="has no snapshot beside it"):
        open_db(store)
    assert journal(store).exists()


def test_a_compaction_cut_short_is_finished_on_open(store):
    db = open_db(store)
    db.table("people").insert({"name": "Ann"})
    reader = open_db(store)
    # A writer died after putting snapshot 1 in place, before creating journal 1 and sealing journal 0.
    db.storage._files._write_snapshot(1, db.storage._files.next_ids, {"people": {1: b'{"name":"Ann"}'}})
    recovered = open_db(store)
    assert recovered.table("people").all() == [{"name": "Ann"}]
    assert sorted(p.name for p in store.iterdir()) == [
        "store.1.indexes", "store.1.journal", "store.1.snapshot", "store.lock"]
    recovered.table("people").insert({"name": "Bob"})
    assert len(reader.table("people")) == 2  # the old journal was sealed, so its reader moved on


def test_the_layout_carries_a_format_version(store):
    open_db(store).table("people").insert({"name": "Ann"})
    header = next(store.glob("store.*.snapshot")).read_bytes().split(b"\n")[0]
    assert b'"format":"contacts-store","version":1' in header


@pytest.mark.parametrize("spoil", [
    lambda path: path.unlink(),
    lambda path: path.write_bytes(path.read_bytes().replace(b"ann", b"bob")),
    lambda path: path.write_bytes(path.read_bytes()[:-30]),
])
def test_saved_indexes_are_used_only_when_they_can_be_trusted(store, spoil):
    calls = []
    counted = IndexSpec("people.name", "people", lambda doc: calls.append(1) or [doc["name"].lower()], ordered=True)
    db = ContactsDB(store, indexes=[counted])
    db.table("people").insert_multiple([{"name": "Ann"}, {"name": "Annie"}, {"name": "Bob"}])
    db.storage.compact()
    db.table("people").insert({"name": "Anna"})  # in the journal, after the snapshot
    calls.clear()
    assert ContactsDB(store, indexes=[counted]).storage.find_prefix("people.name", "ann") == {1, 2, 4}
    assert len(calls) == 1  # only the journal's document was indexed: the snapshot's came from the saved indexes
    spoil(next(store.glob("store.*.indexes")))
    calls.clear()
    rebuilt = ContactsDB(store, indexes=[counted])
    assert len(calls) == 4
    assert rebuilt.storage.find_prefix("people.name", "ann") == {1, 2, 4}
    assert rebuilt.storage.find("people.name", "bob") == {3}
    calls.clear()
    assert ContactsDB(store, indexes=[counted]).storage.find_prefix("people.name", "ann") == {1, 2, 4}
    assert len(calls) == 1  # saved again after the rebuild


def test_indexes_saved_by_other_index_code_are_rebuilt(store):
    first = ContactsDB(store, indexes=[NAME_INDEX], index_version="1")
    first.table("people").insert({"name": "Ann"})
    first.storage.compact()
    upper = IndexSpec("people.name", "people", lambda doc: [doc["name"].upper()], ordered=True)
    second = ContactsDB(store, indexes=[upper], index_version="2")
    assert second.storage.find("people.name", "ANN") == {1}


def test_documents_written_in_a_long_running_process_take_only_their_size(store):
    """A bot that runs for weeks must not grow by a 4 KB buffer per write (orjson's output keeps one)."""
    import tracemalloc

    storage = JournalStorage(store)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    with storage.transaction():
        for i in range(1, 2001):
            storage.put("people", i, {"name": f"person {i}", "note": "x" * 200})
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown / 2000 < 1500, f"{grown / 2000:.0f} bytes per 230-byte document"


def test_polling_for_changes_does_not_wait_for_a_long_write_in_another_thread(store):
    import threading

    db = open_db(store)
    writing, finish = threading.Event(), threading.Event()

    def long_write() -> None:
        with db.storage.transaction():
            db.storage.put("people", 1, {"name": "Ann"})
            writing.set()
            finish.wait(5)

    writer = threading.Thread(target=long_write)
    writer.start()
    writing.wait(10)
    assert db.storage.refresh() is False
    assert writer.is_alive()  # refresh came back while the write was still under way, without waiting for it
    finish.set()
    writer.join()
    assert db.storage.get("people", 1) == {"name": "Ann"}
