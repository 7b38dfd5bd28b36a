"""The dispatcher: new events after each subscription's cursor become its deliveries when
their type matches; tenants stay apart; the query count does not grow with the events."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments_project.events.models import Event
from segments_project.events.sequencing import events_sequence
from webhooks.models import Delivery, Subscription
from webhooks.services.dispatch import deliveries_dispatch

from ..conftest import OTHER_TENANT
from .factories import make_events, make_subscription

pytestmark = pytest.mark.django_db
HOOK = "https://hooks.example.com/x"


def _delivered(subscription: Subscription) -> list[tuple[str, str]]:
    return list(
        Delivery.objects.filter(subscription=subscription)
        .order_by("position")
        .values_list("event__type", "lane")
    )


def test_matching_events_become_deliveries_and_the_cursor_moves_past_all():
    members, _ = make_subscription(HOOK, event_types=["segment.member.*"])
    everything, _ = make_subscription(HOOK, event_types=["*"])
    make_events(
        [
            ("segment.member.added", "gold"),
            ("segment.created", "silver"),
            ("segment.member.removed", "silver"),
        ]
    )

    created = deliveries_dispatch()

    assert created == 2 + 3
    assert _delivered(members) == [
        ("segment.member.added", "segment/gold"),
        ("segment.member.removed", "segment/silver"),
    ]
    assert len(_delivered(everything)) == 3
    last = Event.objects.order_by("-position").first().position
    assert set(Subscription.objects.values_list("cursor", flat=True)) == {last}
    assert deliveries_dispatch() == 0  # nothing twice


def test_unsequenced_events_are_numbered_first():
    subscription, _ = make_subscription(HOOK)
    make_events([("segment.created", "gold")], sequence=False)

    assert deliveries_dispatch() == 1
    assert len(_delivered(subscription)) == 1


def test_an_inactive_subscription_skips_the_events_of_its_time_off():
    subscription, _ = make_subscription(HOOK, active=False)
    make_events([("segment.created", "gold")])

    assert deliveries_dispatch() == 0
    subscription.refresh_from_db()
    assert subscription.cursor == Event.objects.get().position


def test_another_tenants_events_never_reach_a_subscription():
    ours, _ = make_subscription(HOOK)
    theirs, _ = make_subscription(HOOK, tenant=OTHER_TENANT)
    make_events([("segment.created", "gold")], tenant=OTHER_TENANT)

    deliveries_dispatch()

    assert _delivered(ours) == []
    assert len(_delivered(theirs)) == 1


def test_batches_continue_until_the_subscription_is_current():
    subscription, _ = make_subscription(HOOK)
    make_events([("segment.member.added", f"s{i % 7}") for i in range(25)])

    assert deliveries_dispatch(batch=10) == 25
    positions = list(
        Delivery.objects.filter(subscription=subscription)
        .order_by("position")
        .values_list("position", flat=True)
    )
    assert positions == sorted(set(positions)) and len(positions) == 25


def _queries_of_a_dispatch() -> int:
    with CaptureQueriesContext(connection) as queries:
        deliveries_dispatch()
    return len(queries)


def test_the_query_count_grows_with_subscriptions_not_with_events():
    make_subscription(HOOK)
    make_subscription(HOOK)
    events_sequence()  # the sequencer's counter exists (SQLite creates it on first use)
    make_events([("segment.member.added", f"s{i}") for i in range(5)])
    few = _queries_of_a_dispatch()
    make_events([("segment.member.added", f"s{i}") for i in range(200)])
    many = _queries_of_a_dispatch()

    assert Delivery.objects.count() == 2 * 205
    if connection.vendor == "postgresql":  # SQLite batches its inserts by size
        assert few == many
        # Sequencing (advisory lock + numbering, in a savepoint), which subscriptions are
        # behind, then per subscription: a savepoint, its row lock, the events matched and
        # inserted (one statement), the cursor, the savepoint's release.
        assert many == 4 + 1 + 2 * 5
