"""The delivery engine in-process against real local receivers: signed envelopes, order per
resource, retries with backoff, giving up, claims, and a slow endpoint beside a fast one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from segments_project.events.envelope import event_envelope
from segments_project.events.models import Event
from webhooks.models import Delivery, DeliveryStatus, Subscription
from webhooks.services.delivery import (
    deliveries_claim,
    deliveries_pump,
    next_work_at,
    retry_delay,
)
from webhooks.services.dispatch import deliveries_dispatch

from .factories import make_events, make_subscription
from .receiver import Receiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_delivery")]


def _receiver(receivers, **kwargs) -> Receiver:
    receiver = Receiver(**kwargs).start()
    receivers.append(receiver)
    return receiver


def _subscribe(receiver: Receiver, **kwargs) -> Subscription:
    subscription, secret = make_subscription(receiver.url, **kwargs)
    receiver.secrets.append(secret)
    return subscription


def _pump() -> None:
    deliveries_pump(max_seconds=10)


def _due_now() -> None:
    """Time passes: every pending retry is due."""
    Delivery.objects.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=timezone.now())


def test_every_event_arrives_signed_as_its_envelope_in_order_per_resource(receivers):
    receiver = _receiver(receivers)
    _subscribe(receiver)
    events = make_events(
        [("segment.member.added", f"s{i % 3}") for i in range(30)] + [("segment.deleted", "s0")]
    )

    _pump()

    received = receiver.wait_for(31)
    assert all(request.verified for request in received)
    by_id = {str(event.public_id): event for event in Event.objects.all()}
    for request in received:
        event = by_id[request.headers["webhook-id"]]
        assert request.json == event_envelope(event)
    for segment in ("s0", "s1", "s2"):
        numbers = [
            r.json["sequenceNumber"] for r in received if r.json["resource"]["id"] == segment
        ]
        assert numbers == sorted(numbers) and len(numbers) == len(set(numbers))
    assert len(events) == 31
    assert set(Delivery.objects.values_list("status", flat=True)) == {"SUCCEEDED"}
    subscription = Subscription.objects.get()
    assert subscription.last_success_at is not None and subscription.failing_since is None


def test_a_failed_delivery_holds_back_its_resource_only_and_is_retried(receivers):
    # The first request (the first event of s0) fails.
    receiver = _receiver(receivers, behaviour=lambda n, body: (500 if n == 1 else 200, 0))
    _subscribe(receiver)
    make_events(
        [
            ("segment.member.added", "s0"),
            ("segment.member.added", "s0"),
            ("segment.member.added", "s1"),
        ]
    )

    _pump()

    first = Delivery.objects.order_by("position").first()
    assert (first.status, first.attempts, first.last_status_code) == ("PENDING", 1, 500)
    assert first.next_attempt_at > timezone.now()
    assert first.attempt_log[0]["statusCode"] == 500
    # s1 went on; the second event of s0 waits behind the first.
    assert [r.json["resource"]["id"] for r in receiver.received] == ["s0", "s1"]

    _due_now()
    _pump()

    order = [(r.json["resource"]["id"], r.json["sequenceNumber"]) for r in receiver.received]
    assert order == [("s0", 1), ("s1", 1), ("s0", 1), ("s0", 2)]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"SUCCEEDED"}


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap(settings):
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 5
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 3600

    delays = [retry_delay(attempt) for attempt in range(1, 15)]

    for attempt, delay in enumerate(delays[:9], start=1):
        assert 5 * 2 ** (attempt - 1) / 2 <= delay <= 5 * 2 ** (attempt - 1)
    assert all(1800 <= delay <= 3600 for delay in delays[-3:])
    assert len({retry_delay(3) for _ in range(20)}) > 1  # jitter


def test_the_retry_window_covers_a_day_of_attempts(settings):
    """With the defaults, the attempts of a delivery that always fails span at least 24 h."""
    total, attempts = 0.0, 0
    while total < settings.WEBHOOK_RETRY_SECONDS:
        attempts += 1
        total += retry_delay(attempts)
    assert settings.WEBHOOK_RETRY_SECONDS >= 24 * 3600
    assert attempts < 60


def test_out_of_retries_the_delivery_fails_and_the_subscription_is_marked_failing(
    receivers, settings
):
    failing = {"on": True}
    receiver = _receiver(receivers, behaviour=lambda n, b: (503 if failing["on"] else 200, 0))
    subscription = _subscribe(receiver)
    make_events([("segment.created", "s0"), ("segment.updated", "s0")])
    _pump()
    Delivery.objects.update(created_at=timezone.now() - timedelta(hours=27))
    _due_now()

    _pump()

    subscription.refresh_from_db()
    assert subscription.failing_since is not None
    # Both gave up (the second was no longer held back by the first once it had).
    assert set(Delivery.objects.values_list("status", flat=True)) == {"FAILED"}
    assert len(receiver.received) == 3
    failing["on"] = False
    make_events([("segment.created", "s9")])
    _pump()
    subscription.refresh_from_db()
    assert subscription.failing_since is None and subscription.last_success_at is not None


def test_claimed_deliveries_are_not_claimed_again_until_the_claim_lapses(settings):
    make_subscription("https://hooks.example.com/x")
    make_events([("segment.created", "s0"), ("segment.updated", "s0"), ("segment.created", "s1")])
    deliveries_dispatch()

    [batch] = deliveries_claim(subscriptions=4)
    again = deliveries_claim(subscriptions=4)

    assert [d.lane for d in batch.deliveries] == ["segment/s0", "segment/s0", "segment/s1"]
    assert again == []
    Delivery.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    [retaken] = deliveries_claim(subscriptions=4)
    assert len(retaken.deliveries) == 3


def test_a_lane_whose_head_waits_for_a_retry_is_not_claimed_past_it():
    make_subscription("https://hooks.example.com/x")
    make_events([("segment.created", "s0"), ("segment.updated", "s0"), ("segment.created", "s1")])
    deliveries_dispatch()
    head = Delivery.objects.order_by("position").first()
    Delivery.objects.filter(pk=head.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )

    [batch] = deliveries_claim(subscriptions=4)

    assert [d.lane for d in batch.deliveries] == ["segment/s1"]


def test_a_slow_endpoint_does_not_delay_another_subscription(receivers, settings):
    settings.WEBHOOK_SENDER_THREADS = 4
    slow = _receiver(receivers, behaviour=lambda n, b: (200, 1.0))
    fast = _receiver(receivers)
    slow_subscription = _subscribe(slow)
    fast_subscription = _subscribe(fast)
    make_events([("segment.member.added", f"s{i}") for i in range(3)])

    _pump()

    fast_done = max(
        Delivery.objects.filter(subscription=fast_subscription).values_list(
            "delivered_at", flat=True
        )
    )
    slow_times = sorted(
        Delivery.objects.filter(subscription=slow_subscription).values_list(
            "delivered_at", flat=True
        )
    )
    assert len(fast.received) == len(slow.received) == 3
    # The fast subscription was done before the slow one's first answer came back.
    assert fast_done < slow_times[0]


def test_the_next_pump_is_due_at_the_earliest_retry_not_at_a_blocked_deliverys_time():
    make_subscription("https://hooks.example.com/x")
    make_events([("segment.created", "s0"), ("segment.updated", "s0")])
    deliveries_dispatch()
    retry_at = timezone.now() + timedelta(minutes=5)
    head = Delivery.objects.order_by("position").first()
    Delivery.objects.filter(pk=head.pk).update(next_attempt_at=retry_at)

    assert next_work_at() == retry_at
    Delivery.objects.update(status=DeliveryStatus.SUCCEEDED)
    assert next_work_at() is None
