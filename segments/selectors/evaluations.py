"""Reads of segment evaluations: the latest one of a segment, and what the schedule finds
due or stalled. Always scoped to one tenant."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from ..documents.evaluations import criteria_is_relative
from ..models import EvaluationStatus, Segment, SegmentEvaluation


def evaluation_latest(*, tenant: str, segment: Segment) -> SegmentEvaluation | None:
    """The segment's most recent evaluation (the highest id), or None if it never had one."""
    return (
        SegmentEvaluation.objects.filter(tenant_id=tenant, segment=segment).order_by("-id").first()
    )


def rule_segments(*, tenant: str) -> QuerySet[Segment]:
    """The tenant's segments that carry a rule, by id."""
    return Segment.objects.for_tenant(tenant).filter(criteria__isnull=False).order_by("public_id")


def segments_due(*, tenant: str, now: datetime, interval: timedelta) -> list[Segment]:
    """The rule segments the schedule evaluates now: their rule has a relative date (it
    selects a moving set), no evaluation of theirs waits or runs, and their last DONE
    evaluation finished before `now - interval` (or they never had one). One query; the
    rules' texts are read in Python (a tenant has a few hundred rule segments at most)."""
    open_evaluation = SegmentEvaluation.objects.filter(
        tenant_id=tenant,
        segment=OuterRef("pk"),
        status__in=[EvaluationStatus.PENDING, EvaluationStatus.RUNNING],
    )
    candidates = (
        rule_segments(tenant=tenant)
        .annotate(
            last_done=Max("evaluations__finished_at", filter=Q(evaluations__status="DONE")),
            busy=Exists(open_evaluation),
        )
        .filter(busy=False)
        .filter(Q(last_done__isnull=True) | Q(last_done__lt=now - interval))
    )
    return [segment for segment in candidates if criteria_is_relative(segment.criteria)]


def evaluations_stalled(*, tenant: str, now: datetime, timeout: timedelta) -> list[int]:
    """The ids of the tenant's RUNNING evaluations whose worker died. Must run inside a
    transaction: the rows found are locked until it ends.

    On PostgreSQL a running job holds its evaluation row locked (`FOR UPDATE`) for the
    whole work, and the lock dies with its connection: a RUNNING row this `SKIP LOCKED`
    read can lock has no live worker. SQLite has no row locks: a RUNNING evaluation started
    before `now - timeout` counts as stalled there.
    """
    running = SegmentEvaluation.objects.filter(tenant_id=tenant, status=EvaluationStatus.RUNNING)
    if not connection.features.has_select_for_update_skip_locked:
        running = running.filter(started_at__lt=now - timeout)
    return list(
        running.select_for_update(skip_locked=True).order_by("pk").values_list("pk", flat=True)
    )
