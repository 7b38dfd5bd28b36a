"""Background jobs: enqueued with the write that causes them, run by a real `db_worker`."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django_tasks_db.models import DBTaskResult
from oauth2_provider.models import get_access_token_model

from segments_project.jobs import enqueue_with_write
from segments_project.tenancy.models import AnonymousSession, Tenant
from segments_project.tenancy.tasks import anonymous_sessions_purge

from ..tenancy.visitors import login, make_storefront_client
from .workers import REPO, WORKER_COMMAND, worker_environment


class _Undone(Exception):
    pass


def _write_and_enqueue(name: str) -> None:
    with transaction.atomic():
        Tenant.objects.create(name=name)
        enqueue_with_write(anonymous_sessions_purge)


@pytest.mark.django_db
def test_a_job_enqueued_with_a_write_exists_if_and_only_if_the_write_committed():
    with pytest.raises(_Undone), transaction.atomic():
        _write_and_enqueue("undone")
        raise _Undone

    assert not Tenant.objects.filter(name="undone").exists()
    assert not DBTaskResult.objects.exists()

    _write_and_enqueue("done")

    assert Tenant.objects.filter(name="done").exists()
    job = DBTaskResult.objects.get()
    assert (job.task_path, job.status) == (anonymous_sessions_purge.module_path, "READY")


@pytest.mark.django_db(transaction=True)
def test_enqueue_with_write_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="outside a transaction"):
        enqueue_with_write(anonymous_sessions_purge)
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_with_a_backend_outside_the_database_the_job_is_enqueued_at_the_commit_only(
    django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("segments_project.jobs._stored_in_the_database", lambda task: False)
    with django_capture_on_commit_callbacks() as callbacks:
        _write_and_enqueue("later")
        assert not DBTaskResult.objects.exists()
    assert len(callbacks) == 1

    with (
        django_capture_on_commit_callbacks() as undone,
        pytest.raises(_Undone),
        transaction.atomic(),
    ):
        _write_and_enqueue("never")
        raise _Undone
    assert undone == []


def _expire_all_sessions_but(kept: str) -> None:
    AnonymousSession.objects.exclude(session_id=kept).update(
        refresh_expires=F("created_at") - timedelta(seconds=1)
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process needs a database it can reach (SQLite's test database is in memory)",
)
def test_a_real_worker_process_runs_the_enqueued_purge(client):
    make_storefront_client()
    login(client)
    kept = login(client).json()["sessionId"]
    _expire_all_sessions_but(kept)
    out = StringIO()
    call_command("purge_anonymous_sessions", "--enqueue", stdout=out)
    job = DBTaskResult.objects.get()
    assert str(job.id) in out.getvalue()

    worker = subprocess.run(
        WORKER_COMMAND,
        cwd=REPO,
        env=worker_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert worker.returncode == 0, worker.stdout + worker.stderr
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL", job.exception_class_path
    assert job.return_value == 1
    assert [str(pk) for pk in AnonymousSession.objects.values_list("session_id", flat=True)] == [
        kept
    ]
    assert get_access_token_model().objects.count() == 1


@pytest.mark.django_db
def test_the_command_purges_at_once_without_enqueue(client):
    make_storefront_client()
    login(client)
    kept = login(client).json()["sessionId"]
    _expire_all_sessions_but(kept)
    out = StringIO()

    call_command("purge_anonymous_sessions", stdout=out)

    assert "Deleted 1 expired anonymous session(s)." in out.getvalue()
    assert AnonymousSession.objects.count() == 1
    assert not DBTaskResult.objects.exists()
