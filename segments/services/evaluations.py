"""Requesting full evaluations of a segment's rule as background jobs.

A request is a PENDING `SegmentEvaluation` row plus a job (`segments.tasks.segment_evaluate`)
enqueued with `enqueue_with_write` in the caller's transaction, so the job exists if and only
if the change that asked for it committed. Requests coalesce: while an evaluation of the
segment is PENDING (no worker took it yet), a second request answers that one, since the job
will read the rule as it is when it runs. A RUNNING evaluation may have read the rule before
the change, so a change made meanwhile gets its own PENDING evaluation.

Who asks: every segment write whose `criteria` changed (the `on_changes` hook of the segment
kind: create with a rule, PUT, PATCH, bulk, import, admin form, rule removed), the API's and
the admin's "evaluate now", and the schedule (`evaluation_schedule.py`).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from segments_project.audit.models import AuditAction
from segments_project.audit.record import Change
from segments_project.errors import StateConflict
from segments_project.jobs import enqueue_with_write

from ..models import EvaluationStatus, EvaluationTrigger, Segment, SegmentEvaluation
from ..selectors.segments import segment_get
from ..tasks import segment_evaluate


def segment_evaluation_request(
    *, tenant: str, segment: Segment, trigger: EvaluationTrigger
) -> SegmentEvaluation:
    """The segment's PENDING evaluation, requested now with its job unless one is waiting
    already. Must run inside the transaction of the write that asks for it."""
    pending = _pending(tenant, segment)
    if pending is not None:
        return pending
    try:
        with transaction.atomic():
            evaluation = SegmentEvaluation.objects.create(
                tenant_id=tenant, segment=segment, trigger=trigger, requested_at=timezone.now()
            )
    except IntegrityError:
        # Another request made the PENDING one since our read (one PENDING per segment).
        return _pending(tenant, segment) or segment_evaluation_request(
            tenant=tenant, segment=segment, trigger=trigger
        )
    job = enqueue_with_write(segment_evaluate, tenant, evaluation.pk)
    if job is not None:
        evaluation.job_id = str(job.id)
        evaluation.save(update_fields=["job_id"])
    return evaluation


def _pending(tenant: str, segment: Segment) -> SegmentEvaluation | None:
    return SegmentEvaluation.objects.filter(
        tenant_id=tenant, segment=segment, status=EvaluationStatus.PENDING
    ).first()


@transaction.atomic
def segment_evaluation_start(*, tenant: str, segment_id: str) -> SegmentEvaluation:
    """Evaluates the segment's rule now, as a background job (API POST, admin button):
    its PENDING evaluation. 404 for an unknown segment (or another tenant's); 409 for a
    segment without a rule, which has nothing to evaluate."""
    segment = segment_get(tenant=tenant, segment_id=segment_id)
    if not segment.criteria:
        raise StateConflict(
            f"The segment {segment_id} has no rule (criteria), so there is nothing to "
            "evaluate: its members are all MANUAL. Give it criteria first; that starts an "
            "evaluation by itself.",
            resource_id=segment_id,
        )
    return segment_evaluation_request(
        tenant=tenant, segment=segment, trigger=EvaluationTrigger.ON_DEMAND
    )


def _criteria_changed(change: Change) -> bool:
    """The audit change of a segment write changed its rule: created with one, or
    `criteria` among an update's changed fields (a rule set, replaced or removed)."""
    if change.action == AuditAction.CREATED:
        return change.changes.get("criteria") is not None
    return change.action == AuditAction.UPDATED and "criteria" in change.changes


def evaluations_for_criteria_changes(tenant: str, changes: list[Change]) -> None:
    """The segment kind's `on_changes` hook: every written segment whose rule changed gets
    an evaluation (coalesced), in the write's transaction. One read of those segments; a
    write that changed no rule costs nothing."""
    changed = [change.document_id for change in changes if _criteria_changed(change)]
    if not changed:
        return
    for segment in Segment.objects.for_tenant(tenant).filter(public_id__in=changed).order_by("pk"):
        segment_evaluation_request(
            tenant=tenant, segment=segment, trigger=EvaluationTrigger.CRITERIA_CHANGED
        )
