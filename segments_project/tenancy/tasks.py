"""Background jobs of the tenancy package (see `segments_project/jobs.py`)."""

from __future__ import annotations

from django_tasks import task

from .anonymous import anonymous_sessions_purge_expired


@task()
def anonymous_sessions_purge() -> int:
    """Deletes the anonymous sessions whose refresh token has expired, with their access
    tokens; returns how many. Idempotent: a second run finds nothing left to delete."""
    return anonymous_sessions_purge_expired()
