"""A real `db_worker` process killed (SIGKILL) in the middle of a segment evaluation: the
membership stays as it was, the scheduler finds the stalled evaluation, and a retry by
another worker ends DONE with the right members."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from segments.models import Customer, SegmentCustomerAssignment, SegmentEvaluation
from segments.services.evaluation_schedule import evaluations_recover_stalled
from segments.services.segments import segment_patch
from segments_project.checkpoints import PAUSE_VARIABLE, PAUSED_FILE_VARIABLE, Checkpoint

from ..conftest import TENANT
from ..segments.factories import assign_customer, make_customer, make_segment
from .workers import REPO, WORKER_COMMAND, worker_environment

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a worker process needs a database it can reach; row locks tell stalled runs",
    ),
]


def _members() -> dict[str, str]:
    return dict(
        SegmentCustomerAssignment.objects.filter(tenant_id=TENANT).values_list(
            "customer__public_id", "assignment_type"
        )
    )


def _wait_for(marker: Path, worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while not marker.exists():
        assert worker.poll() is None, worker.communicate()
        assert time.monotonic() < deadline, "the worker never reached the checkpoint"
        time.sleep(0.1)


def _recovered_by_the_scheduler_tick() -> str:
    """Runs the scheduler's pass until it finds the stalled evaluation (PostgreSQL ends the
    dead worker's transaction when it notices the closed connection)."""
    deadline = time.monotonic() + 30
    while True:
        out = StringIO()
        call_command("evaluate_segments", "--tenant", TENANT, "--due", "--enqueue", stdout=out)
        if "had stalled" in out.getvalue():
            return out.getvalue()
        assert time.monotonic() < deadline, "the stalled evaluation was never found"
        time.sleep(0.2)


def test_a_worker_killed_mid_evaluation_leaves_the_members_and_the_job_is_retried(tmp_path):
    make_customer(TENANT, "ada")
    bob = make_customer(TENANT, "bob")
    Customer.objects.filter(public_id="ada").update(preferred_language="de")
    segment = make_segment(TENANT, "gold")
    # bob was matched by the old rule: the new one adds ada and removes him.
    SegmentCustomerAssignment.objects.filter(pk=assign_customer(segment, bob).pk).update(
        assignment_type="AUTOMATIC"
    )
    segment_patch(
        tenant=TENANT, segment_id="gold", patch={"criteria": {"q": "preferredLanguage:de"}}
    )
    evaluation = SegmentEvaluation.objects.get()
    first_job = evaluation.job_id
    marker = tmp_path / "paused"

    worker = subprocess.Popen(
        WORKER_COMMAND,
        cwd=REPO,
        env=worker_environment(
            **{
                PAUSE_VARIABLE: Checkpoint.AUTOMATIC_MEMBERS_INSERTED.value,
                PAUSED_FILE_VARIABLE: str(marker),
            }
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(marker, worker)
        # Mid-evaluation: RUNNING is committed and visible, the insert of ada is not.
        evaluation.refresh_from_db()
        assert (evaluation.status, evaluation.attempts) == ("RUNNING", 1)
        assert _members() == {"bob": "AUTOMATIC"}
        # The live worker holds its evaluation row: nothing is stalled.
        assert evaluations_recover_stalled(tenant=TENANT) == []
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=30)

    out = _recovered_by_the_scheduler_tick()

    assert f"evaluation {evaluation.pk} had stalled" in out
    assert _members() == {"bob": "AUTOMATIC"}  # the dead worker's transaction rolled back
    evaluation.refresh_from_db()
    assert evaluation.status == "RUNNING" and evaluation.job_id != first_job
    assert DBTaskResult.objects.get(id=first_job).status == "FAILED"

    retry = subprocess.run(
        WORKER_COMMAND,
        cwd=REPO,
        env=worker_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert retry.returncode == 0, retry.stdout + retry.stderr
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.attempts) == ("DONE", 2)
    assert (evaluation.added, evaluation.removed, evaluation.members) == (1, 1, 1)
    assert _members() == {"ada": "AUTOMATIC"}
    assert DBTaskResult.objects.get(id=evaluation.job_id).status == "SUCCESSFUL"
