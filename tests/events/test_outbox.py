"""The outbox: a write appends one row (`OutboxEntry`) whatever its number of events, and
the sequencer makes the numbered events of the committed rows (ordering under concurrency,
PostgreSQL: test_ordering.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from segments.services.members import customer_assignments_upsert_bulk
from segments_project.audit.change_events import change_events, change_resources
from segments_project.audit.record import Change, audit_expanded, record
from segments_project.events import sequencing
from segments_project.events.append import EventDraft, events_append, resource_key
from segments_project.events.models import Event, OutboxEntry

from ..conftest import TENANT
from ..segments.factories import make_customer, make_segment

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 1, 2, tzinfo=UTC)

# A change of every kind that has events, and one that has none.
CHANGES = [
    Change("segment", "gold", "created", "gold", {"name": {"en": "Gold"}}),
    Change("segment", "gold", "updated", "gold", {"name": [{}, {"en": "G"}]}),
    Change("segment", "gold", "evaluated", "gold", {"source": "rule"}, {"added": [["c1", None]]}),
    Change("segment_customer_assignment", "c1/le1", "assigned", "silver", {}),
    Change(
        "segment_customer_assignment",
        "c2",
        "updated",
        "silver",
        {"mixins": [None, {}]},
        {"assignmentType": "MANUAL", "changedFields": ["mixins"]},
    ),
    Change("segment_customer_assignment", "*", "unassigned", "bronze", {"ids": ["c3", "c4"]}),
    Change("segment_item_assignment", "PRODUCT/p1", "assigned", "gold", {"reason": "x"}),
    Change("segment_exclusion", "c5", "created", "gold", {}),
    Change(
        "coupon", "TEN", "updated", None, {"valid_from": [None, datetime(2026, 1, 2, tzinfo=UTC)]}
    ),
    Change("redemption", "TEN/r1", "created", None, {"coupon": "TEN", "order_code": "o1"}),
    Change("redemption", "TEN/r1", "deleted", None, {"coupon": "TEN"}),
    Change("webhook_subscription", "s1", "created", None, {}),
]


def test_the_resources_a_write_locks_cover_those_of_its_events():
    resources = change_resources(TENANT, CHANGES)

    drafts = change_events(CHANGES)
    assert {d.resource_id for d in drafts} == {"gold", "silver", "bronze", "TEN"}
    assert {resource_key(TENANT, d.resource_type, d.resource_id) for d in drafts} <= resources
    assert change_resources(TENANT, CHANGES[-1:]) == set()


def test_a_write_appends_its_changes_whose_events_the_sequencer_makes_unchanged():
    make_segment(TENANT, "gold")

    record(TENANT, CHANGES)

    [entry] = OutboxEntry.objects.all()
    assert not Event.objects.exists()
    # What the sequencer makes of the trail's rows is what the changes mean.
    assert audit_expanded(entry.payload, entry.extra) == [
        EventDraft(d.type, d.resource_type, d.resource_id, _plain(d.data))
        for d in change_events(CHANGES)
    ]


def _plain(data: dict) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def test_a_change_without_events_appends_no_outbox_row():
    make_segment(TENANT, "gold")

    record(TENANT, CHANGES[-1:])

    assert not OutboxEntry.objects.exists()


def test_a_bulk_write_is_one_outbox_row_and_one_event_per_member():
    make_segment(TENANT, "gold")
    for name in ("ann", "bob", "cid"):
        make_customer(TENANT, name)

    customer_assignments_upsert_bulk(
        tenant=TENANT,
        segment_id="gold",
        documents=[{"customerId": name} for name in ("ann", "bob", "cid")],
    )

    assert OutboxEntry.objects.count() == 1
    assert sequencing.events_sequence() == 3
    events = Event.objects.order_by("position")
    assert [(e.type, e.data["customerId"], e.sequence_number) for e in events] == [
        ("segment.member.added", "ann", 1),
        ("segment.member.added", "bob", 2),
        ("segment.member.added", "cid", 3),
    ]
    assert not OutboxEntry.objects.exists()


def test_a_backlog_is_numbered_in_chunks_in_write_order(monkeypatch):
    make_segment(TENANT, "gold")
    monkeypatch.setattr(sequencing, "CHUNK", 2)
    for write in range(5):
        events_append(
            tenant=TENANT,
            drafts=[
                EventDraft("segment.updated", "segment", resource, {"write": write})
                for resource in ("gold", "silver")
            ],
        )

    assert sequencing.events_sequence() == 10

    events = list(Event.objects.order_by("position"))
    first = events[0].position
    assert [e.position for e in events] == list(range(first, first + 10))
    assert [e.data["write"] for e in events] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert [e.sequence_number for e in events if e.resource_id == "silver"] == [1, 2, 3, 4, 5]
    assert not OutboxEntry.objects.exists()
    assert sequencing.events_sequence() == 0


def test_a_chunk_of_events_is_inserted_with_its_data_time_and_ids_in_position_order():
    make_segment(TENANT, "gold")
    data = {"name": {"de": "Grün ✓", "en": 'quote " and \\ backslash'}, "ids": [1, None, 2.5]}
    events_append(
        tenant=TENANT,
        drafts=[EventDraft("segment.updated", "segment", f"s{n % 3}", data) for n in range(7)],
    )
    written = OutboxEntry.objects.get().created_at

    assert sequencing.events_sequence() == 7

    events = list(Event.objects.order_by("position"))
    assert [e.id for e in events] == sorted(e.id for e in events)
    assert all(e.data == data and e.created_at == written for e in events)
    assert [e.sequence_number for e in events] == [1, 1, 1, 2, 2, 2, 3]
    assert len({e.public_id for e in events}) == 7 and None not in {e.public_id for e in events}
