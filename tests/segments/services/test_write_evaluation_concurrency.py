"""A customer write's rule evaluation racing a full evaluation of a rule segment, and two
customer writes racing each other (PostgreSQL, real connections): whichever goes first,
the AUTOMATIC members end up what the rule selects, none lost, none doubled, no deadlock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from segments.models import Customer, SegmentCustomerAssignment
from segments.services import directory as services
from segments.services.rule_evaluation import segment_rule_apply
from segments_project.checkpoints import Checkpoint

from ...conftest import TENANT
from ..factories import make_customer, make_segment
from .test_exclusions_concurrency import Hold
from .test_members_locks import WAIT, Background

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]


@pytest.fixture
def directory() -> None:
    """Rule segment `germans`; ada and bob speak German, cy English."""
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    for customer_id, language in (("ada", "de"), ("bob", "de"), ("cy", "en")):
        make_customer(TENANT, customer_id)
        Customer.objects.filter(public_id=customer_id).update(preferred_language=language)


def _evaluate() -> Any:
    return segment_rule_apply(tenant=TENANT, segment_id="germans")


def _speaks(customer_id: str, language: str) -> Callable[[], Any]:
    def write() -> Any:
        return services.customer_upsert(
            tenant=TENANT, customer_id=customer_id, document={"preferredLanguage": language}
        )

    return write


def _race(first: Callable[[], Any], second: Callable[[], Any], hold: Hold, *, waits: bool) -> None:
    """Runs `first` until it is held inside its transaction, starts `second`, checks that
    it waits for `first` (or, `waits=False`, that it finishes meanwhile), then lets both
    finish."""
    leader = Background(first)
    leader.start()
    assert hold.holding.wait(WAIT), "the first writer never reached its checkpoint"
    follower = Background(second)
    follower.start()
    if waits:
        time.sleep(0.5)
        assert follower.is_alive(), "the second writer did not wait for the first"
    else:
        follower.join(WAIT)
        assert not follower.is_alive(), "the second writer waited for the first"
    hold.release()
    for thread in (leader, follower):
        thread.join(WAIT * 2)
        assert thread.error is None, thread.error


def _members() -> list[tuple[str, str]]:
    return sorted(
        SegmentCustomerAssignment.objects.values_list("customer__public_id", "assignment_type")
    )


def test_a_write_waiting_for_a_full_evaluation_removes_what_it_added(directory, on_checkpoint):
    # The evaluation inserted ada and bob from its snapshot; ada stops speaking German and
    # cy starts, in writes the evaluation cannot see.
    hold = Hold(on_checkpoint, Checkpoint.AUTOMATIC_MEMBERS_INSERTED)
    released = threading.Event()

    def writes() -> None:
        _speaks("ada", "en")()
        _speaks("cy", "de")()
        released.set()

    _race(_evaluate, writes, hold, waits=True)

    assert released.is_set()
    assert _members() == [("bob", "AUTOMATIC"), ("cy", "AUTOMATIC")]


def test_a_full_evaluation_waiting_for_a_write_sees_it(directory, on_checkpoint):
    # The write holds ada's row (FOR UPDATE) and the rule segment (FOR SHARE) when the
    # evaluation starts: the evaluation waits on the segment, and sees the write's commit.
    _evaluate()
    hold = Hold(on_checkpoint, Checkpoint.CUSTOMER_VERSION_CHECKED)

    _race(_speaks("ada", "en"), _evaluate, hold, waits=True)

    assert _members() == [("bob", "AUTOMATIC")]


def test_a_full_evaluation_waiting_for_a_write_keeps_what_the_write_added(directory, on_checkpoint):
    hold = Hold(on_checkpoint, Checkpoint.WRITTEN_CUSTOMERS_EVALUATED)

    _race(_speaks("cy", "de"), _evaluate, hold, waits=True)

    assert _members() == [("ada", "AUTOMATIC"), ("bob", "AUTOMATIC"), ("cy", "AUTOMATIC")]


def test_writes_of_different_customers_do_not_wait_for_each_other(directory, on_checkpoint):
    hold = Hold(on_checkpoint, Checkpoint.WRITTEN_CUSTOMERS_EVALUATED)

    _race(_speaks("cy", "de"), _speaks("dan", "de"), hold, waits=False)

    assert _members() == [("cy", "AUTOMATIC"), ("dan", "AUTOMATIC")]
