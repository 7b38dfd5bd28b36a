"""Running one evaluation of a segment's rule (the job `segments.tasks.segment_evaluate`,
or inline from `manage.py evaluate_segments`).

1. Start: in its own committed transaction, PENDING becomes RUNNING (`startedAt`,
   attempt + 1), so `GET .../evaluation` shows it while it runs.
2. Apply: one transaction locks the evaluation row (`FOR UPDATE`), runs
   `segment_rule_apply` (the segment's member lock, two set-based statements) and records
   DONE with the counts. The row stays locked for the whole work: that lock, released only
   by the commit or by the death of the worker's connection, is how the schedule tells a
   running evaluation from a stalled one (`selectors.evaluations.evaluations_stalled`).
3. A failure rolls the apply transaction back (the membership stays as it was) and records
   FAILED with the error in a new one.

Idempotent: a run that finds its evaluation DONE or FAILED, deleted with its segment, or
held by a live run, does nothing; a retried run of a stalled evaluation (still RUNNING)
starts it again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import (
    EvaluationStatus,
    EvaluationTrigger,
    Segment,
    SegmentCustomerAssignment,
    SegmentEvaluation,
)
from .rule_evaluation import segment_rule_apply

logger = logging.getLogger(__name__)

_FINISHED = (EvaluationStatus.DONE, EvaluationStatus.FAILED)


def segment_evaluation_run(
    *, tenant: str, evaluation_id: int, now: datetime | None = None
) -> SegmentEvaluation | None:
    """Runs the evaluation (the job's body); the evaluation as it ended, or None when this
    run had nothing to do (see the module docstring). `now` resolves relative dates."""
    if not _started(tenant, evaluation_id):
        return None
    return _applied(tenant, evaluation_id, now)


def segment_evaluation_inline(
    *, tenant: str, segment: Segment, trigger: EvaluationTrigger, now: datetime | None = None
) -> SegmentEvaluation:
    """Evaluates the segment here and now (the command without `--enqueue`), recorded like a
    job's run: the row is created RUNNING, so a PENDING one keeps its own job."""
    evaluation = SegmentEvaluation.objects.create(
        tenant_id=tenant,
        segment=segment,
        trigger=trigger,
        status=EvaluationStatus.RUNNING,
        requested_at=timezone.now(),
        started_at=timezone.now(),
        attempts=1,
    )
    ended = _applied(tenant, evaluation.pk, now)
    assert ended is not None
    return ended


@transaction.atomic
def _started(tenant: str, evaluation_id: int) -> bool:
    evaluation = (
        SegmentEvaluation.objects.select_for_update(skip_locked=True)
        .filter(tenant_id=tenant, pk=evaluation_id)
        .first()
    )
    if evaluation is None or evaluation.status in _FINISHED:
        return False
    evaluation.status = EvaluationStatus.RUNNING
    evaluation.started_at = timezone.now()
    evaluation.attempts += 1
    evaluation.save(update_fields=["status", "started_at", "attempts"])
    return True


def _applied(tenant: str, evaluation_id: int, now: datetime | None) -> SegmentEvaluation | None:
    try:
        with transaction.atomic():
            evaluation = (
                SegmentEvaluation.objects.select_for_update()
                .filter(tenant_id=tenant, pk=evaluation_id)
                .first()
            )
            if evaluation is None or evaluation.status != EvaluationStatus.RUNNING:
                return None  # another run finished it while this one waited for the lock
            segment_id = (
                Segment.objects.filter(pk=evaluation.segment_id)
                .values_list("public_id", flat=True)
                .get()
            )
            applied = segment_rule_apply(
                tenant=tenant,
                segment_id=segment_id,
                now=now,
                source=f"evaluation:{evaluation.trigger.lower()}",
            )
            evaluation.status = EvaluationStatus.DONE
            evaluation.finished_at = timezone.now()
            evaluation.added, evaluation.removed = applied.added, applied.removed
            evaluation.members = SegmentCustomerAssignment.objects.filter(
                tenant_id=tenant, segment_id=evaluation.segment_id
            ).count()
            evaluation.save(update_fields=["status", "finished_at", "added", "removed", "members"])
            return evaluation
    except Exception as exc:
        logger.exception("Evaluation %s of tenant %s failed", evaluation_id, tenant)
        return _failed(tenant, evaluation_id, exc)


def _failed(tenant: str, evaluation_id: int, exc: Exception) -> SegmentEvaluation | None:
    evaluation = SegmentEvaluation.objects.filter(
        tenant_id=tenant, pk=evaluation_id, status=EvaluationStatus.RUNNING
    ).first()
    if evaluation is None:
        return None
    evaluation.status = EvaluationStatus.FAILED
    evaluation.finished_at = timezone.now()
    evaluation.error = f"{type(exc).__name__}: {exc}"[:2000]
    evaluation.save(update_fields=["status", "finished_at", "error"])
    return evaluation
