"""An exclusion racing a rule evaluation of the same segment (PostgreSQL, real
connections): whichever goes first, the excluded customer ends up no AUTOMATIC member."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from segments.models import Customer, SegmentCustomerAssignment, SegmentExclusion
from segments.services.automatic_members import automatic_members_apply, b2c_matches
from segments.services.exclusions import exclusion_put
from segments_project.checkpoints import Checkpoint

from ...conftest import TENANT
from ..factories import make_customer, make_segment
from .test_members_locks import WAIT, Background

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]


@pytest.fixture
def directory() -> None:
    make_segment(TENANT, "gold")
    for customer_id in ("c1", "c2", "c3"):
        make_customer(TENANT, customer_id)


def _evaluate() -> Any:
    return automatic_members_apply(
        tenant=TENANT,
        segment_id="gold",
        matched=b2c_matches(Customer.objects.filter(tenant_id=TENANT)),
    )


def _exclude() -> bool:
    return exclusion_put(tenant=TENANT, segment_id="gold", customer_id="c1")


class Hold:
    """Holds the first writer that reaches the checkpoint there (inside its transaction)
    until `release()`."""

    def __init__(self, on_checkpoint: Callable[..., None], checkpoint: Checkpoint) -> None:
        self.holding = threading.Event()
        self._released = threading.Event()

        def hold(**_: Any) -> None:
            if not self.holding.is_set():
                self.holding.set()
                assert self._released.wait(WAIT), "never released"

        on_checkpoint(checkpoint, hold)

    def release(self) -> None:
        self._released.set()


def _race(first: Callable[[], Any], second: Callable[[], Any], hold: Hold) -> None:
    """Runs `first` until it is held inside its transaction, starts `second`, checks that
    it waits for `first` (the segment's member lock), then lets both finish."""
    leader = Background(first)
    leader.start()
    assert hold.holding.wait(WAIT), "the first writer never reached its checkpoint"
    follower = Background(second)
    follower.start()
    time.sleep(0.5)
    assert follower.is_alive(), "the second writer did not wait for the first"
    hold.release()
    for thread in (leader, follower):
        thread.join(WAIT * 2)
        assert thread.error is None, thread.error


def _final_state() -> tuple[dict[str, str], list[str]]:
    members = dict(
        SegmentCustomerAssignment.objects.values_list("customer__public_id", "assignment_type")
    )
    excluded = list(SegmentExclusion.objects.values_list("customer__public_id", flat=True))
    return members, excluded


def test_an_exclusion_waiting_for_an_evaluation_removes_what_it_added(directory, on_checkpoint):
    hold = Hold(on_checkpoint, Checkpoint.AUTOMATIC_MEMBERS_INSERTED)

    _race(_evaluate, _exclude, hold)

    assert _final_state() == ({"c2": "AUTOMATIC", "c3": "AUTOMATIC"}, ["c1"])


def test_an_evaluation_waiting_for_an_exclusion_does_not_add_the_customer(directory, on_checkpoint):
    hold = Hold(on_checkpoint, Checkpoint.EXCLUSION_WRITTEN)

    _race(_exclude, _evaluate, hold)

    assert _final_state() == ({"c2": "AUTOMATIC", "c3": "AUTOMATIC"}, ["c1"])
