"""The schedule of full evaluations (`manage.py evaluate_segments`, its `--every` loop is
the scheduler process): rules with relative dates select a moving set, so they are evaluated
again when their last DONE evaluation is older than `SEGMENT_EVALUATION_INTERVAL_SECONDS`;
and evaluations whose worker died are found and enqueued again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from segments_project.jobs import enqueue_with_write, job_abandoned

from ..models import EvaluationTrigger, Segment, SegmentEvaluation
from ..selectors.evaluations import evaluations_stalled, rule_segments, segments_due
from ..tasks import segment_evaluate
from .evaluation_run import segment_evaluation_inline
from .evaluations import segment_evaluation_request


@dataclass(frozen=True)
class Evaluated:
    """A segment the schedule or the command evaluated (inline) or requested (enqueued)."""

    segment_id: str
    evaluation: SegmentEvaluation


def evaluation_interval() -> timedelta:
    return timedelta(seconds=settings.SEGMENT_EVALUATION_INTERVAL_SECONDS)


def evaluation_stall_timeout() -> timedelta:
    return timedelta(seconds=settings.SEGMENT_EVALUATION_STALLED_SECONDS)


def segments_evaluate(
    *, tenant: str, due_only: bool, enqueue: bool, now: datetime | None = None
) -> list[Evaluated]:
    """Evaluates the tenant's rule segments (with `due_only`, only those the schedule finds
    due: trigger SCHEDULE, else COMMAND), each inline through `segment_evaluation_run`'s
    path or, with `enqueue`, as a job (coalesced with a PENDING one). Inline, each segment
    is its own transaction: one failing is recorded FAILED and the others go on."""
    now = now or timezone.now()
    trigger = EvaluationTrigger.SCHEDULE if due_only else EvaluationTrigger.COMMAND
    segments: list[Segment] = (
        segments_due(tenant=tenant, now=now, interval=evaluation_interval())
        if due_only
        else list(rule_segments(tenant=tenant))
    )
    done = []
    for segment in segments:
        if enqueue:
            with transaction.atomic():
                evaluation = segment_evaluation_request(
                    tenant=tenant, segment=segment, trigger=trigger
                )
        else:
            evaluation = segment_evaluation_inline(
                tenant=tenant, segment=segment, trigger=trigger, now=now
            )
        done.append(Evaluated(segment.public_id, evaluation))
    return done


@transaction.atomic
def evaluations_recover_stalled(*, tenant: str, now: datetime | None = None) -> list[int]:
    """Enqueues again every evaluation of the tenant whose worker died in it (see
    `evaluations_stalled`); the dead job is marked FAILED. The new job starts the same
    evaluation again (attempt + 1). Returns the evaluations' ids."""
    stalled = evaluations_stalled(
        tenant=tenant, now=now or timezone.now(), timeout=evaluation_stall_timeout()
    )
    for evaluation in SegmentEvaluation.objects.filter(pk__in=stalled).order_by("pk"):
        job_abandoned(evaluation.job_id)
        job = enqueue_with_write(segment_evaluate, tenant, evaluation.pk)
        evaluation.job_id = str(job.id) if job is not None else ""
        evaluation.save(update_fields=["job_id"])
    return stalled
