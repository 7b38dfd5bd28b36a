"""What a member write locks (PostgreSQL, real connections): the customers it names are
held against deletion, but not against member writers of other segments."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from segments.models import SegmentCustomerAssignment
from segments.services import members as services
from segments.services.directory import customer_delete
from segments_project.checkpoints import Checkpoint

from ...conftest import TENANT
from ..factories import make_customer, make_segment

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]

WAIT = 10  # seconds a step may take at most on a loaded machine
CUSTOMERS = [{"customerId": f"c{index}"} for index in range(5)]


@pytest.fixture
def directory() -> None:
    make_segment(TENANT, "gold")
    make_segment(TENANT, "silver")
    for element in CUSTOMERS:
        make_customer(TENANT, element["customerId"])


class Paused:
    """Pauses the first member write once it has read its segment's rows, after its
    directory lookups (and locks), until `release()`."""

    def __init__(self, on_checkpoint: Callable[..., None]) -> None:
        self.holding = threading.Event()
        self._released = threading.Event()

        def hold_the_first(**_: Any) -> None:
            if not self.holding.is_set():
                self.holding.set()
                assert self._released.wait(WAIT), "never released"

        on_checkpoint(Checkpoint.MEMBERS_STORED_READ, hold_the_first)

    def release(self) -> None:
        self._released.set()


class Background(threading.Thread):
    """Runs `work` on a connection of its own; `result` or `error` once it has ended."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.work()
        except BaseException as exc:  # handed to the test, which asserts on it
            self.error = exc
        finally:
            connections.close_all()


def _bulk(segment_id: str) -> Callable[[], list[int]]:
    def work() -> list[int]:
        outcomes = services.customer_assignments_upsert_bulk(
            tenant=TENANT, segment_id=segment_id, documents=CUSTOMERS
        )
        return [outcome.code for outcome in outcomes]

    return work


def _members(segment_id: str) -> set[str]:
    return set(
        SegmentCustomerAssignment.objects.filter(segment__public_id=segment_id).values_list(
            "customer__public_id", flat=True
        )
    )


def test_writers_of_other_segments_do_not_wait_for_the_customers_they_share(
    directory, on_checkpoint
):
    paused = Paused(on_checkpoint)
    gold = Background(_bulk("gold"))
    gold.start()
    assert paused.holding.wait(WAIT)

    silver = Background(_bulk("silver"))
    silver.start()
    silver.join(WAIT)
    finished_while_gold_held_the_customers = not silver.is_alive()
    paused.release()
    gold.join(WAIT)
    silver.join(WAIT)

    assert finished_while_gold_held_the_customers
    assert (gold.error, silver.error) == (None, None)
    assert gold.result == silver.result == [201] * len(CUSTOMERS)
    assert _members("gold") == _members("silver") == {"c0", "c1", "c2", "c3", "c4"}


def test_deleting_a_customer_waits_for_the_writer_that_assigns_it(directory, on_checkpoint):
    paused = Paused(on_checkpoint)
    gold = Background(_bulk("gold"))
    gold.start()
    assert paused.holding.wait(WAIT)

    deletion = Background(lambda: customer_delete(tenant=TENANT, customer_id="c2"))
    deletion.start()
    deletion.join(0.5)
    waited = deletion.is_alive()
    paused.release()
    gold.join(WAIT)
    deletion.join(WAIT)

    assert waited
    # The assignment committed first, then the deletion removed it with the customer: no
    # foreign key failed at either commit.
    assert (gold.error, deletion.error) == (None, None)
    assert gold.result == [201] * len(CUSTOMERS)
    assert deletion.result is True
    assert _members("gold") == {"c0", "c1", "c3", "c4"}
