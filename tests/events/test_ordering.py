"""Ordering under concurrency (PostgreSQL, real connections): sequence numbers of one
resource increase in commit order, positions follow commit order, and a reader of the feed
never skips an event whose transaction inserted before another but committed after."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from segments_project.audit.record import Change, record
from segments_project.events.append import EventDraft, events_append
from segments_project.events.feed import events_feed
from segments_project.events.models import Event, OutboxEntry
from segments_project.events.sequencing import events_sequence
from segments_project.tenancy.models import Tenant

from ..conftest import TENANT
from ..segments.services.test_members_locks import WAIT, Background

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]


@pytest.fixture
def tenant(db) -> None:
    Tenant.objects.get_or_create(name=TENANT)


def _held(kind: str, resource: str) -> tuple[Background, threading.Event, threading.Event]:
    """A writer that appends its event, then holds its transaction open until released."""
    appended, release = threading.Event(), threading.Event()

    def work() -> None:
        with transaction.atomic():
            events_append(tenant=TENANT, drafts=[EventDraft(kind, "segment", resource)])
            appended.set()
            assert release.wait(WAIT), "never released"

    return Background(work), appended, release


def _write(kind: str, resource: str) -> Callable[[], None]:
    def work() -> None:
        with transaction.atomic():
            events_append(tenant=TENANT, drafts=[EventDraft(kind, "segment", resource)])

    return work


def test_two_writers_of_one_resource_number_its_events_in_commit_order(tenant):
    first, appended, release = _held("first", "gold")
    first.start()
    assert appended.wait(WAIT)
    second = Background(_write("second", "gold"))
    second.start()
    time.sleep(0.5)
    assert second.is_alive(), "the second writer did not wait for the resource's counter"

    release.set()
    for thread in (first, second):
        thread.join(WAIT)
        assert thread.error is None, thread.error
    events_sequence()

    rows = list(Event.objects.order_by("position").values_list("type", "sequence_number"))
    assert rows == [("first", 1), ("second", 2)]


def test_a_late_commit_is_numbered_after_and_never_skipped_by_the_feed(tenant):
    late, appended, release = _held("late", "gold")
    late.start()
    assert appended.wait(WAIT)
    # Another resource: this writer does not wait, and commits first.
    early = Background(_write("early", "silver"))
    early.start()
    early.join(WAIT)
    assert early.error is None

    page = events_feed(tenant=TENANT, after=None, size=10)
    assert [event.type for event in page.events] == ["early"]

    release.set()
    late.join(WAIT)
    assert late.error is None
    following = events_feed(tenant=TENANT, after=page.cursor, size=10)

    assert [event.type for event in following.events] == ["late"]
    # Appended first, committed last: numbered after.
    assert following.events[0].position > page.events[0].position


def test_concurrent_sequencers_give_every_event_one_position(tenant):
    for batch in range(20):
        drafts = [EventDraft("segment.updated", "segment", f"s{batch}-{n}") for n in range(50)]
        events_append(tenant=TENANT, drafts=drafts)
    workers = [Background(events_sequence) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(WAIT)
        assert worker.error is None, worker.error

    assert sum(worker.result for worker in workers) == 1000
    positions = sorted(Event.objects.values_list("position", flat=True))
    assert positions == list(range(positions[0], positions[0] + 1000))


def test_the_sequencer_gives_each_event_its_own_random_id_and_keeps_it(tenant):
    drafts = [EventDraft("segment.updated", "segment", f"s{n % 3}") for n in range(300)]
    events_append(tenant=TENANT, drafts=drafts)
    # Left to the sequencer: a write appends one outbox row and no event.
    assert (OutboxEntry.objects.count(), Event.objects.count()) == (1, 0)

    events_sequence()
    ids = dict(Event.objects.values_list("id", "public_id"))
    events_append(tenant=TENANT, drafts=drafts[:1])
    events_sequence()

    assert len(set(ids.values())) == 300
    assert all(public_id.version == 4 for public_id in ids.values())
    kept = dict(Event.objects.filter(id__in=ids).values_list("id", "public_id"))
    assert kept == ids
    assert Event.objects.filter(public_id__isnull=True).count() == 0
    assert not OutboxEntry.objects.exists()


def _held_record(member: str) -> tuple[Background, threading.Event, threading.Event]:
    """A write through the audit trail (a member of segment gold), held open."""
    recorded, release = threading.Event(), threading.Event()

    def work() -> None:
        with transaction.atomic():
            record(TENANT, [_assigned(member)])
            recorded.set()
            assert release.wait(WAIT), "never released"

    return Background(work), recorded, release


def _assigned(member: str) -> Change:
    return Change(
        "segment_customer_assignment", member, "assigned", "gold", {"assignment_type": "MANUAL"}
    )


def test_two_audited_writes_of_one_segment_get_its_numbers_in_commit_order(tenant):
    first, recorded, release = _held_record("ann")
    first.start()
    assert recorded.wait(WAIT)

    def second_write() -> None:
        with transaction.atomic():
            record(TENANT, [_assigned("bob")])

    second = Background(second_write)
    second.start()
    time.sleep(0.5)
    assert second.is_alive(), "the second write did not wait for the segment's lock"
    # A write of another segment does not wait.
    with transaction.atomic():
        record(TENANT, [Change("segment", "silver", "created", "silver", {})])

    release.set()
    for thread in (first, second):
        thread.join(WAIT)
        assert thread.error is None, thread.error
    events_sequence()

    rows = Event.objects.filter(resource_id="gold").order_by("position")
    assert [(e.data["customerId"], e.sequence_number) for e in rows] == [("ann", 1), ("bob", 2)]


def test_a_write_rolled_back_leaves_no_outbox_row_and_no_lock(tenant):
    with pytest.raises(RuntimeError), transaction.atomic():
        record(TENANT, [_assigned("ann")])
        raise RuntimeError("rolled back")

    assert not OutboxEntry.objects.exists()
    assert events_sequence() == 0
    # The resource's lock went with the transaction: another write goes through.
    other = Background(lambda: record(TENANT, [_assigned("bob")]))
    other.start()
    other.join(WAIT)
    assert other.error is None
    assert events_sequence() == 1
