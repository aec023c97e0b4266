"""Claims on request ids: the first wins, a repeat loses (in any process on the directory), a release lets a retry
through, and claims are forgotten once no repeat can come."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.directory.deliveries import KEPT_FOR, PRUNE_EVERY
from tests.conftest import open_directory, store

pytestmark = pytest.mark.both_stores  # run on the embedded store and on PostgreSQL


def test_a_claim_is_won_once_in_every_process_until_released(data_dir):
    one, two = open_directory(data_dir), open_directory(data_dir)
    assert one.claim_delivery("slack-event:Ev1")
    assert not two.claim_delivery("slack-event:Ev1") and not one.claim_delivery("slack-event:Ev1")
    two.release_delivery("slack-event:Ev1")
    assert one.claim_delivery("slack-event:Ev1")
    one.close()
    assert not open_directory(data_dir).claim_delivery("slack-event:Ev1")  # after a restart too


def test_claims_are_forgotten_after_the_window(data_dir):
    directory = open_directory(data_dir)
    expired = PRUNE_EVERY + 10  # more than one sweep reads at a time
    for n in range(expired):
        directory.claim_delivery(f"old-{n}")
    directory._now.now += KEPT_FOR + timedelta(minutes=1)  # the test clock moves on
    for n in range(2 * PRUNE_EVERY - expired):  # to the next sweep
        directory.claim_delivery(f"new-{n}")
    assert store(directory).count("deliveries") == 2 * PRUNE_EVERY - expired  # the old swept away, the recent kept
    assert directory.claim_delivery("old-0") and directory.claim_delivery(f"old-{expired - 1}")
    assert not directory.claim_delivery("new-0")
