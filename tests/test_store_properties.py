"""Random sequences of writes, failures, compactions, reopenings and writes from a second handle: afterwards
every index agrees with a full scan, and the disk agrees with memory."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from core.indexes import INDEXES
from core.store import storage as storage_module
from core.store.storage import JournalStorage

CONTACT_INDEXES = [spec for spec in INDEXES if spec.table == "contacts"]
names = st.sampled_from(["Ann", "Zoë", "José", "Lee", "O'Brien", "Smith", "Ng"])
phones = st.builds(
    lambda n, typed: {"raw": typed or f"+1415555{n:04d}", **({} if typed else {"e164": f"+1415555{n:04d}", "region": "US"})},
    st.integers(0, 20), st.sampled_from([None, "ext 12", "555-01"]),
)
contacts = st.fixed_dictionaries(
    {"first_name": names, "last_name": names},
    optional={
        "phones": st.lists(phones, max_size=3),
        "emails": st.lists(st.builds(lambda n: {"address": f"p{n}@x.example"}, st.integers(0, 5)), max_size=2),
        "division": st.sampled_from(["Home", "EMEA"]),
        "organization_id": st.integers(1, 3),
        "custom_fields": st.fixed_dictionaries({"tier": st.sampled_from(["Gold", "Silver"])}),
    },
)
ids = st.integers(1, 12)


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.path = Path(tempfile.mkdtemp())
        self.storage = JournalStorage(self.path, INDEXES)
        self.expected: dict[int, dict] = {}

    def teardown(self) -> None:
        self.storage.close()
        shutil.rmtree(self.path)

    @rule(doc_id=ids, doc=contacts)
    def put(self, doc_id, doc):
        with self.storage.transaction():
            self.storage.put("contacts", doc_id, doc)
        self.expected[doc_id] = doc

    @rule(doc_id=ids)
    def remove(self, doc_id):
        with self.storage.transaction():
            self.storage.remove("contacts", doc_id)
        self.expected.pop(doc_id, None)

    @rule(writes=st.lists(st.tuples(ids, contacts), min_size=1, max_size=4), doc_id=ids)
    def failed_transaction(self, writes, doc_id):
        try:
            with self.storage.transaction():
                for write_id, doc in writes:
                    self.storage.put("contacts", write_id, doc)
                self.storage.remove("contacts", doc_id)
                raise ValueError("refused")
        except ValueError:
            pass

    @rule(doc_id=ids, doc=contacts)
    def write_from_another_process(self, doc_id, doc):
        other = JournalStorage(self.path, INDEXES)
        with other.transaction():
            other.put("contacts", doc_id, doc)
        other.close()
        self.expected[doc_id] = doc

    @rule(writes=st.lists(st.tuples(ids, contacts), min_size=1, max_size=4))
    def big_transaction_from_another_process(self, writes):
        """A transaction over the journal-line limit commits as a new snapshot: this handle must reload it."""
        other = JournalStorage(self.path, INDEXES)
        limit = storage_module.MAX_JOURNAL_BYTES
        storage_module.MAX_JOURNAL_BYTES = 0
        try:
            with other.transaction():
                for doc_id, doc in writes:
                    other.put("contacts", doc_id, doc)
        finally:
            storage_module.MAX_JOURNAL_BYTES = limit
            other.close()
        self.expected.update(dict(writes))

    @rule()
    def compact(self):
        self.storage.compact()

    @precondition(lambda self: self.expected)
    @rule()
    def reopen(self):
        self.storage.close()
        self.storage = JournalStorage(self.path, INDEXES)

    @invariant()
    def memory_matches_what_was_written(self):
        assert self.storage.get_many("contacts", range(1, 13)) == self.expected

    @invariant()
    def every_index_agrees_with_a_full_scan(self):
        for spec in CONTACT_INDEXES:
            scanned: dict[str, set[int]] = {}
            for doc_id, doc in self.expected.items():
                for key in spec.keys(doc):
                    scanned.setdefault(key, set()).add(doc_id)
            assert self.storage.index_contents(spec.name) == {k: frozenset(v) for k, v in scanned.items()}, spec.name
            if spec.ordered:
                for key in scanned:
                    assert self.storage.find_prefix(spec.name, key[:2]) >= scanned[key]


TestStore = StoreMachine.TestCase
TestStore.settings = settings(max_examples=40, stateful_step_count=20, deadline=None)
