"""When the pump runs: on the scheduler's tick (`manage.py evaluate_segments --every`, every
`--webhook-tick` seconds, calls `pump_request_if_waiting`: a pump when events wait or
deliveries are due), at a pending retry's time, and after a retry, replay or test message
commits. At most one pump is queued at a time (coalesced; never a job per event).

Writes do not ask for a pump themselves: that would add statements after every write's
commit (and to the pinned statement counts of the write paths) for a gain of at most one
tick."""

from __future__ import annotations

import time
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks.base import TaskResultStatus

from segments_project.events.models import Event, OutboxEntry

from ..models import Delivery, DeliveryStatus, Subscription
from ..tasks import webhooks_pump
from .delivery import next_work_at


def pump_request(*, at: datetime | None = None) -> bool:
    """Enqueues the pump to run at `at` (now when None) unless a queued pump runs by then.
    Returns whether it enqueued one."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    by = at or timezone.now()
    queued = DBTaskResult.objects.filter(
        task_path=webhooks_pump.module_path, status=TaskResultStatus.READY
    ).filter(Q(run_after=get_date_max()) | Q(run_after__lte=by))
    if queued.exists():
        return False
    (webhooks_pump.using(run_after=at) if at is not None else webhooks_pump).enqueue()
    return True


# A process asks at most this often after its retries, replays and test messages (the
# scheduler's tick catches any that a pump ending at that moment missed).
_REQUEST_INTERVAL_SECONDS = 1.0
_last_request = -_REQUEST_INTERVAL_SECONDS


def _request_after_commit() -> None:
    global _last_request
    now = time.monotonic()
    if now - _last_request < _REQUEST_INTERVAL_SECONDS:
        return
    _last_request = now
    pump_request()


def pump_soon() -> None:
    """After the current transaction commits, make sure a pump is queued (what the
    transaction queued is visible to it then)."""
    transaction.on_commit(_request_after_commit)


def pump_follow_up(*, timed_out: bool) -> None:
    """At the end of a pump: the next one at once when it ran out of time with work left,
    else when the earliest retry (or lapsing claim) is due."""
    if timed_out:
        pump_request()
        return
    at = next_work_at()
    if at is not None:
        pump_request(at=at)


def work_waiting() -> bool:
    """Whether a pump has anything to do now: events not numbered or not dispatched to an
    active subscription, or due deliveries."""
    now = timezone.now()
    behind = Subscription.objects.filter(
        Exists(
            Event.objects.filter(tenant_id=OuterRef("tenant_id"), position__gt=OuterRef("cursor"))
        )
    )
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )
    return OutboxEntry.objects.exists() or behind.exists() or due.exists()


def pump_request_if_waiting() -> bool:
    """The scheduler's tick: a pump when there is work and none is queued."""
    return work_waiting() and pump_request()
