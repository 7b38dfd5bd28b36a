"""Enqueuing background jobs so that a job exists if and only if the change that caused it
committed.

Jobs are Django tasks (the `django-tasks` backport of Django's tasks API): `@task`
functions in `<app>/tasks.py` (or `segments_project/<package>/tasks.py`), taking ids, re-reading
their state when they run, and idempotent, since a job may run again after a worker died in
it. Write services enqueue them through `enqueue_with_write` only.

With the configured backend, django-tasks-db (`settings.TASKS`), enqueuing is an INSERT of
the job row through the default database connection: inside the write's transaction it
commits or rolls back with the write, and a worker (`manage.py db_worker`) cannot see it
before the commit. A backend that keeps jobs elsewhere (RQ, Celery: a swap of
`settings.TASKS`) cannot join the transaction; for such a backend the job is enqueued
right after the commit (`transaction.on_commit`), and not at all after a rollback, which
keeps the "only if" (a crash between the commit and the enqueue loses the job: that is the
price of a broker outside the database).
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.base import Task, TaskResult, TaskResultStatus


def _stored_in_the_database(task: Task) -> bool:
    """Whether the task's backend writes its jobs through the default connection."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = task_backends[task.backend]
    return (
        isinstance(backend, DatabaseBackend)
        and router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS
    )


def enqueue_with_write(task: Task, *args: Any, **kwargs: Any) -> TaskResult | None:
    """Enqueues `task(*args, **kwargs)` as part of the open write transaction.

    Must be called inside `transaction.atomic` (a job enqueued outside one would not be tied
    to any write: call `task.enqueue` for that). Returns the job's result handle with the
    database backend; None with a backend that enqueues after the commit.
    """
    if not connections[DEFAULT_DB_ALIAS].in_atomic_block:
        raise RuntimeError(
            f"enqueue_with_write({task.name}) outside a transaction: the job would not be "
            "tied to the write that causes it."
        )
    if _stored_in_the_database(task):
        return task.enqueue(*args, **kwargs)
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
    return None


def job_abandoned(job_id: str) -> None:
    """Marks a job whose worker died in it (killed, out of memory) FAILED, so it no longer
    shows as RUNNING forever. Whoever found it abandoned enqueues the work again. Nothing
    to do for a job kept outside the database (its broker tracks its own jobs)."""
    from django_tasks_db.models import DBTaskResult

    if not job_id:
        return
    DBTaskResult.objects.filter(id=job_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        traceback="The worker running this job died; the work was enqueued again.",
    )
