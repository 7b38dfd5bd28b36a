"""Background jobs of the segments app (see `segments_project/jobs.py`)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .services.evaluation_run import segment_evaluation_run


@task()
def segment_evaluate(tenant: str, evaluation_id: int) -> dict[str, Any] | None:
    """Runs the segment evaluation `evaluation_id` (`segment_evaluation_run`): the segment's
    AUTOMATIC members follow its rule, and the evaluation records DONE with the counts or
    FAILED with the error. Idempotent: a second run of a finished evaluation does nothing.
    Returns the outcome, or None when there was nothing to do."""
    evaluation = segment_evaluation_run(tenant=tenant, evaluation_id=evaluation_id)
    if evaluation is None:
        return None
    return {
        "status": evaluation.status,
        "added": evaluation.added,
        "removed": evaluation.removed,
        "members": evaluation.members,
    }
