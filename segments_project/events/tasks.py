"""Background jobs of the outbox (see `segments_project/jobs.py`)."""

from __future__ import annotations

from django_tasks import task

from .retention import events_prune


@task()
def events_prune_task(tenant: str) -> int:
    """Deletes the tenant's events older than the retention; returns how many. Idempotent."""
    return events_prune(tenant=tenant)
