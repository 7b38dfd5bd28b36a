"""Sending deliveries: claims, attempts, retries, and the pump that drives them.

Order. Deliveries of one (subscription, resource) form a lane, sent in `position` order: a
delivery is claimable only when every earlier pending delivery of its lane is claimable
too (none is waiting for a retry nor claimed by another worker), and a claim takes a lane's
deliveries from its head. A batch stops a lane at its first failure.

Claims. A worker claims a subscription's deliveries while holding that subscription's row
(`SELECT ... FOR UPDATE SKIP LOCKED`, so parallel workers take different subscriptions
and never the same lane), marks them `claimed_until` a lease, and commits before sending:
no transaction stays open across HTTP. A worker that dies leaves its claims to lapse; the
deliveries are then sent again (at least once). A batch stops sending at half the lease.

Isolation. Each batch is sent by a thread of its own, at most BATCHES_PER_SUBSCRIPTION per
subscription at once; the pump claims more for the other subscriptions as soon as threads
are free, so a slow or dead endpoint holds at most that many threads, never the others.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from segments_project.events.envelope import event_envelope

from ..models import Delivery, DeliveryStatus, Subscription
from .sending import Outcome, Sender
from .signing import signed_headers
from .subscriptions import locked_unless_held, signing_secrets

# Deliveries per claim. The pump's one thread claims and records every batch (about the
# same work per batch whatever its size) while the sending threads wait; with one
# subscription that thread was the limit: 100 -> 250 took one worker from 346 to 866-943
# deliveries/s to one subscription (bench/webhooks.py, docs/benchmarks.md).
CLAIM_BATCH = 250
# Batches of one subscription in flight at once (their lanes are disjoint: a claimed delivery
# holds its lane): a subscription's next batches are claimed and sent while one is recorded; a
# slow endpoint holds at most this many sending threads.
BATCHES_PER_SUBSCRIPTION = 4
# The attempts a delivery's log keeps (the counters keep the total).
ATTEMPT_LOG_LENGTH = 10
DISPATCH_INTERVAL_SECONDS = 0.2

_DELIVERY = Delivery._meta.db_table
# The deliveries of one subscription that may be sent now, lanes from their heads: a pending
# row qualifies when it is due, unclaimed, and before the first row of its lane that waits
# for a retry or is claimed. `blocking` is found once (MATERIALIZED: on stale statistics the
# planner ran it again per row, and a correlated NOT EXISTS scanned the subscription's whole
# backlog per row: 300 ms a claim at 2,000 pending).
_CLAIMABLE = f"""
WITH blocking AS MATERIALIZED (
    SELECT lane, min(position) AS position FROM "{_DELIVERY}"
    WHERE subscription_id = %(subscription)s AND status = 'PENDING'
      AND (next_attempt_at > %(now)s OR claimed_until > %(now)s)
    GROUP BY lane
)
SELECT d.id FROM "{_DELIVERY}" d LEFT JOIN blocking b ON b.lane = d.lane
WHERE d.subscription_id = %(subscription)s AND d.status = 'PENDING'
  AND (b.lane IS NULL OR d.position < b.position)
  AND d.next_attempt_at <= %(now)s AND (d.claimed_until IS NULL OR d.claimed_until <= %(now)s)
ORDER BY d.lane, d.position, d.id
LIMIT %(limit)s
"""


@dataclass
class Batch:
    """One subscription's claimed deliveries, in lane order, and what to sign them with."""

    subscription_id: int
    url: str
    secrets: list[str]
    deliveries: list[Delivery]
    bodies: dict[int, bytes] = field(default_factory=dict)


def message_body(delivery: Delivery) -> bytes:
    payload = delivery.test_payload if delivery.event_id is None else event_envelope(delivery.event)
    return json.dumps(payload, separators=(",", ":")).encode()


def message_id(delivery: Delivery) -> str:
    """`webhook-id`: the event's id, the same on every attempt and replay (consumers
    de-duplicate by it); a test message's own id."""
    if delivery.event_id is None:
        return str(delivery.test_payload["id"])
    return str(delivery.event.public_id)


def _ready_subscriptions(now: datetime, exclude: set[int], limit: int) -> list[int]:
    due = Delivery.objects.filter(
        subscription=OuterRef("pk"), status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
    return list(
        Subscription.objects.filter(Exists(due))
        .exclude(pk__in=exclude)
        .order_by("?")
        .values_list("pk", flat=True)[:limit]
    )


def _claim_one(subscription_pk: int, now: datetime, limit: int) -> Batch | None:
    with transaction.atomic():
        subscription = locked_unless_held(subscription_pk)
        if subscription is None:
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                _CLAIMABLE, {"subscription": subscription_pk, "now": now, "limit": limit}
            )
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return None
        lease = now + timedelta(seconds=settings.WEBHOOK_CLAIM_SECONDS)
        Delivery.objects.filter(pk__in=ids).update(claimed_until=lease)
        deliveries = list(
            Delivery.objects.filter(pk__in=ids)
            .select_related("event")
            .order_by("lane", "position", "id")
        )
    batch = Batch(
        subscription.pk, subscription.url, signing_secrets(subscription, at=now), deliveries
    )
    batch.bodies = {delivery.pk: message_body(delivery) for delivery in deliveries}
    return batch


def deliveries_claim(
    *, exclude: set[int] | frozenset[int] = frozenset(), subscriptions: int
) -> list[Batch]:
    """Claims ready deliveries of up to `subscriptions` subscriptions not in `exclude`."""
    now = timezone.now()
    batches = []
    for subscription_pk in _ready_subscriptions(now, set(exclude), subscriptions):
        batch = _claim_one(subscription_pk, now, CLAIM_BATCH)
        if batch is not None:
            batches.append(batch)
    return batches


def send_batch(batch: Batch, sender: Sender) -> dict[int, Outcome]:
    """Sends the batch lane by lane (no database access: runs in a sending thread). A lane
    stops at its first failure; nothing more is sent once half the lease has passed. The
    deliveries without an outcome were not attempted."""
    stop_at = time.monotonic() + settings.WEBHOOK_CLAIM_SECONDS / 2
    outcomes: dict[int, Outcome] = {}
    for _, lane in groupby(batch.deliveries, key=lambda delivery: delivery.lane):
        for delivery in lane:
            if time.monotonic() >= stop_at:
                return outcomes
            body = batch.bodies[delivery.pk]
            headers = signed_headers(
                batch.secrets,
                message_id=message_id(delivery),
                timestamp=int(time.time()),
                body=body,
            )
            outcome = sender.post(batch.url, body, headers)
            outcomes[delivery.pk] = outcome
            if not outcome.succeeded:
                break
    return outcomes


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: exponential, capped,
    with jitter (between half and all of it) so that retries of many deliveries spread."""
    base = settings.WEBHOOK_BACKOFF_BASE_SECONDS * 2 ** min(attempts - 1, 30)
    return min(settings.WEBHOOK_BACKOFF_MAX_SECONDS, base) * random.uniform(0.5, 1.0)


def _apply(delivery: Delivery, outcome: Outcome, body: bytes, now: datetime) -> bool:
    """Writes the attempt into the delivery; True when it ran out of retries."""
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.last_latency_ms = outcome.latency_ms
    delivery.last_error = outcome.error[:1000]
    delivery.response_excerpt = outcome.response_excerpt
    delivery.request_excerpt = body[: settings.WEBHOOK_EXCERPT_BYTES].decode("utf-8", "replace")
    entry = {
        "at": now.isoformat().replace("+00:00", "Z"),
        "statusCode": outcome.status_code,
        "latencyMs": outcome.latency_ms,
        "error": delivery.last_error,
    }
    delivery.attempt_log = [*delivery.attempt_log, entry][-ATTEMPT_LOG_LENGTH:]
    delivery.claimed_until = None
    if outcome.succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        return False
    if (now - delivery.created_at).total_seconds() >= settings.WEBHOOK_RETRY_SECONDS:
        delivery.status = DeliveryStatus.FAILED
        return True
    delivery.next_attempt_at = now + timedelta(seconds=retry_delay(delivery.attempts))
    return False


_DELIVERY_COLUMNS = (
    "attempts",
    "last_status_code",
    "last_latency_ms",
    "last_error",
    "response_excerpt",
    "request_excerpt",
    "attempt_log",
    "status",
    "delivered_at",
    "next_attempt_at",
)
# The outcomes of a batch in one statement (bulk_update's CASE per field and row cost
# milliseconds per delivery in the ORM alone).
_RECORD = f"""
UPDATE "{_DELIVERY}" AS d SET attempts = u.attempts, last_attempt_at = %s,
    last_status_code = u.last_status_code, last_latency_ms = u.last_latency_ms,
    last_error = u.last_error, response_excerpt = u.response_excerpt,
    request_excerpt = u.request_excerpt, attempt_log = u.attempt_log::jsonb, claimed_until = NULL,
    status = u.status, delivered_at = u.delivered_at, next_attempt_at = u.next_attempt_at
FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::integer[], %s::text[], %s::text[],
            %s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[])
    AS u(id, {", ".join(_DELIVERY_COLUMNS)})
WHERE d.id = u.id
"""


def _write_attempts(attempted: list[Delivery], now: datetime) -> None:
    if connection.vendor != "postgresql":
        Delivery.objects.bulk_update(
            attempted, ["last_attempt_at", "claimed_until", *_DELIVERY_COLUMNS]
        )
        return
    columns: list[list[Any]] = [[d.pk for d in attempted]]
    for name in _DELIVERY_COLUMNS:
        values = [getattr(d, name) for d in attempted]
        columns.append([json.dumps(v) for v in values] if name == "attempt_log" else values)
    with connection.cursor() as cursor:
        cursor.execute(_RECORD, [now, *columns])


@transaction.atomic
def deliveries_record(batch: Batch, outcomes: dict[int, Outcome]) -> tuple[int, int]:
    """Writes the batch's outcomes (one UPDATE for all), releases what was not attempted,
    and the subscription's health. Returns (succeeded, failed attempts)."""
    now = timezone.now()
    gave_up = False
    succeeded = 0
    attempted = []
    for delivery in batch.deliveries:
        outcome = outcomes.get(delivery.pk)
        if outcome is None:
            continue
        gave_up |= _apply(delivery, outcome, batch.bodies[delivery.pk], now)
        succeeded += outcome.succeeded
        attempted.append(delivery)
    if attempted:
        _write_attempts(attempted, now)
    unattempted = [d.pk for d in batch.deliveries if d.pk not in outcomes]
    if unattempted:
        Delivery.objects.filter(pk__in=unattempted).update(claimed_until=None)
    if succeeded:
        Subscription.objects.filter(pk=batch.subscription_id).update(
            last_success_at=now, failing_since=None
        )
    if gave_up:
        Subscription.objects.filter(pk=batch.subscription_id, failing_since__isnull=True).update(
            failing_since=now
        )
    return succeeded, len(attempted) - succeeded


@dataclass
class PumpSummary:
    dispatched: int = 0
    succeeded: int = 0
    failed_attempts: int = 0
    # Stopped by `max_seconds` rather than for want of ready work.
    timed_out: bool = False


def deliveries_pump(*, max_seconds: float, sender: Sender | None = None) -> PumpSummary:
    """Dispatches new events and sends ready deliveries until there is nothing ready or
    `max_seconds` have passed (then the batches in flight are finished)."""
    from .dispatch import deliveries_dispatch

    sender = sender or Sender()
    threads = settings.WEBHOOK_SENDER_THREADS
    summary = PumpSummary()
    deadline = time.monotonic() + max_seconds
    in_flight: dict[Future[dict[int, Outcome]], Batch] = {}
    last_dispatch = float("-inf")
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook") as executor:
        while True:
            claimed = False
            if time.monotonic() < deadline:
                idle = not in_flight
                if idle or time.monotonic() - last_dispatch >= DISPATCH_INTERVAL_SECONDS:
                    summary.dispatched += deliveries_dispatch()
                    last_dispatch = time.monotonic()
                free = threads - len(in_flight)
                if free > 0:
                    batches = Counter(batch.subscription_id for batch in in_flight.values())
                    busy = {pk for pk, n in batches.items() if n >= BATCHES_PER_SUBSCRIPTION}
                    for batch in deliveries_claim(exclude=busy, subscriptions=free):
                        in_flight[executor.submit(send_batch, batch, sender)] = batch
                        claimed = True
                if idle and not claimed:
                    break
            elif not in_flight:
                summary.timed_out = True
                break
            if not in_flight:
                continue
            done, _ = wait(
                in_flight, timeout=DISPATCH_INTERVAL_SECONDS, return_when=FIRST_COMPLETED
            )
            for future in done:
                batch = in_flight.pop(future)
                succeeded, failed = deliveries_record(batch, future.result())
                summary.succeeded += succeeded
                summary.failed_attempts += failed
    return summary


def next_work_at() -> datetime | None:
    """When a pending delivery that cannot be sent now may become sendable: the earliest
    retry time or lapsing claim still ahead. (A due delivery behind a waiting head is not
    sendable before that head: taking its own, past, time would queue pumps that find
    nothing, one after another, for as long as an endpoint is down.)"""
    now = timezone.now()
    pending = Delivery.objects.filter(status=DeliveryStatus.PENDING)
    retry = (
        pending.filter(next_attempt_at__gt=now)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    claimed = (
        pending.filter(claimed_until__gt=now)
        .order_by("claimed_until")
        .values_list("claimed_until", flat=True)
        .first()
    )
    moments = [moment for moment in (retry, claimed) if moment is not None]
    return min(moments) if moments else None
