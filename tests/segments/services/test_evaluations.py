"""Full evaluations of a segment's rule as background jobs: which writes request one (and
only when the rule changed and the write committed), coalescing, the run (DONE, FAILED,
idempotent), the schedule of rules with relative dates and the stalled-run recovery."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from segments.models import (
    Customer,
    EvaluationStatus,
    EvaluationTrigger,
    Segment,
    SegmentCustomerAssignment,
    SegmentEvaluation,
)
from segments.services.evaluation_run import segment_evaluation_run
from segments.services.evaluation_schedule import evaluations_recover_stalled, segments_evaluate
from segments.services.evaluations import segment_evaluation_request
from segments.services.segments import segment_create, segment_patch
from segments.tasks import segment_evaluate
from segments_project.checkpoints import Checkpoint

from ...conftest import OTHER_TENANT, TENANT
from ...imports import run_import, write_jsonl
from ..factories import make_customer, make_segment

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
RULE = {"q": "preferredLanguage:de"}
RECENT = {"q": 'mixins.orders.lastOrderAt:>="-30d"'}


class _Undone(Exception):
    pass


def _segment(**extra: Any) -> dict[str, Any]:
    return {"name": {"en": "Gold"}, "siteCode": "main", **extra}


def _jobs() -> list[tuple[str, int]]:
    """The evaluation jobs enqueued: (tenant, evaluation id) of each."""
    return [
        tuple(job.args_kwargs["args"])
        for job in DBTaskResult.objects.filter(task_path=segment_evaluate.module_path).order_by(
            "enqueued_at"
        )
    ]


def _evaluations(segment_id: str = "gold") -> list[tuple[str, str]]:
    return list(
        SegmentEvaluation.objects.filter(tenant_id=TENANT, segment__public_id=segment_id)
        .order_by("id")
        .values_list("status", "trigger")
    )


def _run_jobs() -> None:
    """Runs the enqueued evaluation jobs here, as a worker would (in their order)."""
    for tenant, evaluation_id in _jobs():
        segment_evaluation_run(tenant=tenant, evaluation_id=evaluation_id)


@pytest.fixture
def germans(db) -> None:
    make_customer(TENANT, "ada")
    make_customer(TENANT, "bob")
    Customer.objects.filter(tenant_id=TENANT, public_id="ada").update(preferred_language="de")
    make_customer(OTHER_TENANT, "ada")
    Customer.objects.filter(tenant_id=OTHER_TENANT).update(preferred_language="de")


# -- the triggers --


def test_each_api_write_that_changes_the_rule_enqueues_exactly_one_job(manager):
    assert manager.post(SEGMENTS, _segment(id="gold", criteria=RULE)).status_code == 201
    assert _evaluations() == [("PENDING", "CRITERIA_CHANGED")]
    job = DBTaskResult.objects.get()
    evaluation = SegmentEvaluation.objects.get()
    assert (job.args_kwargs["args"], evaluation.job_id) == ([TENANT, evaluation.pk], str(job.id))
    _run_jobs()  # the job ran: the next change needs its own

    assert manager.put(f"{SEGMENTS}/gold", _segment(criteria={"q": "active:true"})).status_code
    assert manager.patch(f"{SEGMENTS}/gold", {"criteria": {"q": "id:exists"}}).status_code == 204
    # Not run yet: the PATCH coalesced with the PUT's PENDING evaluation.
    assert _evaluations() == [("DONE", "CRITERIA_CHANGED"), ("PENDING", "CRITERIA_CHANGED")]
    _run_jobs()
    assert manager.patch(f"{SEGMENTS}/gold", {"criteria": None}).status_code == 204  # removed
    assert len(_jobs()) == 3


def test_writes_that_leave_the_rule_alone_enqueue_nothing(manager):
    assert manager.post(SEGMENTS, _segment(id="plain")).status_code == 201
    assert manager.post(SEGMENTS, _segment(id="gold", criteria=RULE)).status_code == 201
    _run_jobs()
    DBTaskResult.objects.all().delete()

    assert manager.put(f"{SEGMENTS}/gold", _segment(criteria=RULE, status="ACTIVE")).status_code
    assert manager.patch(f"{SEGMENTS}/gold", {"name": {"en": "Golden"}}).status_code == 204
    assert manager.patch(f"{SEGMENTS}/plain", {"status": "ACTIVE"}).status_code == 204

    assert _jobs() == []


def test_bulk_and_import_enqueue_one_job_per_segment_whose_rule_changed(manager, tmp_path):
    assert manager.post(SEGMENTS, _segment(id="same", criteria=RULE)).status_code == 201
    _run_jobs()
    DBTaskResult.objects.all().delete()
    bulk = [
        _segment(id="a", criteria=RULE),
        _segment(id="b"),
        _segment(id="same", criteria=RULE),
    ]
    assert manager.put(f"{SEGMENTS}/bulk", bulk).status_code == 207
    rows = [{**_segment(id=f"i{n}"), "criteria": RULE if n else None} for n in range(3)]

    run = run_import("segments", write_jsonl(tmp_path / "in.jsonl", rows))

    assert run.ok, run.out
    requested = SegmentEvaluation.objects.filter(status="PENDING").values_list(
        "segment__public_id", flat=True
    )
    assert sorted(requested) == ["a", "i1", "i2"]
    assert len(_jobs()) == 3


def test_no_job_unless_the_write_committed(germans):
    with pytest.raises(_Undone), transaction.atomic():
        segment_create(tenant=TENANT, document={"id": "gold", **_segment(criteria=RULE)})
        assert len(_jobs()) == 1
        raise _Undone

    assert (_jobs(), list(SegmentEvaluation.objects.all())) == ([], [])


def test_a_pending_evaluation_absorbs_further_requests(germans):
    segment = make_segment(TENANT, "gold", criteria=RULE)
    with transaction.atomic():
        first = segment_evaluation_request(
            tenant=TENANT, segment=segment, trigger=EvaluationTrigger.ON_DEMAND
        )
    with transaction.atomic():
        second = segment_evaluation_request(
            tenant=TENANT, segment=segment, trigger=EvaluationTrigger.SCHEDULE
        )
    segment_patch(tenant=TENANT, segment_id="gold", patch={"criteria": {"q": "active:true"}})

    assert first.pk == second.pk
    assert _evaluations() == [("PENDING", "ON_DEMAND")]
    assert len(_jobs()) == 1


# -- the run --


def test_the_job_evaluates_the_rule_and_records_done_with_the_counts(germans):
    segment_create(tenant=TENANT, document={"id": "gold", **_segment(criteria=RULE)})
    [(tenant, evaluation_id)] = _jobs()

    outcome = segment_evaluate.call(tenant, evaluation_id)

    evaluation = SegmentEvaluation.objects.get()
    assert outcome == {"status": "DONE", "added": 1, "removed": 0, "members": 1}
    assert (evaluation.status, evaluation.attempts, evaluation.error) == ("DONE", 1, "")
    assert evaluation.requested_at <= evaluation.started_at <= evaluation.finished_at
    members = SegmentCustomerAssignment.objects.filter(segment__public_id="gold")
    assert list(members.values_list("customer__public_id", "assignment_type")) == [
        ("ada", "AUTOMATIC")
    ]
    # Idempotent: a second run of the same job changes nothing.
    assert segment_evaluate.call(tenant, evaluation_id) is None
    assert SegmentEvaluation.objects.get().attempts == 1


def test_a_failing_run_records_failed_and_leaves_the_members_as_they_were(germans, on_checkpoint):
    segment_create(tenant=TENANT, document={"id": "gold", **_segment(criteria=RULE)})
    [(tenant, evaluation_id)] = _jobs()

    def fail(**context: Any) -> None:
        raise RuntimeError("disk on fire")

    on_checkpoint(Checkpoint.AUTOMATIC_MEMBERS_INSERTED, fail)
    evaluation = segment_evaluation_run(tenant=tenant, evaluation_id=evaluation_id)

    assert evaluation is not None
    assert (evaluation.status, evaluation.error) == ("FAILED", "RuntimeError: disk on fire")
    assert evaluation.finished_at is not None and evaluation.added is None
    assert not SegmentCustomerAssignment.objects.exists()  # the insert rolled back


def test_a_run_of_a_deleted_segment_does_nothing(germans, manager):
    assert manager.post(SEGMENTS, _segment(id="gold", criteria=RULE)).status_code == 201
    [(tenant, evaluation_id)] = _jobs()
    assert manager.delete(f"{SEGMENTS}/gold").status_code == 204

    assert segment_evaluate.call(tenant, evaluation_id) is None


# -- the schedule and the command --


def _ordered(customer_id: str, when) -> None:
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    Customer.objects.filter(tenant_id=TENANT, public_id=customer_id).update(
        mixins={"orders": {"lastOrderAt": stamp}}
    )


def test_rules_with_relative_dates_are_due_after_the_interval_and_follow_time(germans, settings):
    settings.SEGMENT_EVALUATION_INTERVAL_SECONDS = 3600
    now = timezone.now()
    make_segment(TENANT, "recent", criteria=RECENT)
    make_segment(TENANT, "fixed", criteria=RULE)
    _ordered("ada", now - timedelta(days=30) + timedelta(minutes=30))
    _ordered("bob", now - timedelta(days=40))

    first = segments_evaluate(tenant=TENANT, due_only=True, enqueue=False, now=now)

    assert [(e.segment_id, e.evaluation.status, e.evaluation.added) for e in first] == [
        ("recent", "DONE", 1)
    ]
    assert first[0].evaluation.trigger == "SCHEDULE"
    # Not due again before the interval has passed.
    later = now + timedelta(minutes=59)
    assert segments_evaluate(tenant=TENANT, due_only=True, enqueue=False, now=later) == []
    # Two hours on, ada's last order is more than 30 days old: the schedule removes her.
    SegmentEvaluation.objects.update(finished_at=now)
    hours_later = now + timedelta(hours=2)
    second = segments_evaluate(tenant=TENANT, due_only=True, enqueue=False, now=hours_later)
    assert [(e.segment_id, e.evaluation.added, e.evaluation.removed) for e in second] == [
        ("recent", 0, 1)
    ]
    assert not SegmentCustomerAssignment.objects.exists()


def test_a_due_segment_with_an_evaluation_waiting_is_not_enqueued_twice(germans):
    make_segment(TENANT, "recent", criteria=RECENT)

    first = segments_evaluate(tenant=TENANT, due_only=True, enqueue=True)
    again = segments_evaluate(tenant=TENANT, due_only=True, enqueue=True)

    assert [e.evaluation.status for e in first] == ["PENDING"]
    assert again == []
    assert len(_jobs()) == 1


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL tells stalled runs by their row lock"
)
def test_on_sqlite_a_running_evaluation_older_than_the_timeout_is_enqueued_again(germans, settings):
    settings.SEGMENT_EVALUATION_STALLED_SECONDS = 600
    segment = make_segment(TENANT, "gold", criteria=RULE)
    now = timezone.now()
    stalled = SegmentEvaluation.objects.create(
        tenant_id=TENANT,
        segment=segment,
        trigger="SCHEDULE",
        status="RUNNING",
        requested_at=now,
        started_at=now - timedelta(minutes=11),
        attempts=1,
    )
    SegmentEvaluation.objects.create(
        tenant_id=TENANT,
        segment=segment,
        trigger="SCHEDULE",
        status="RUNNING",
        requested_at=now,
        started_at=now - timedelta(minutes=9),
        attempts=1,
    )

    assert evaluations_recover_stalled(tenant=TENANT, now=now) == [stalled.pk]
    assert _jobs() == [(TENANT, stalled.pk)]
    _run_jobs()
    stalled.refresh_from_db()
    assert (stalled.status, stalled.attempts, stalled.added) == ("DONE", 2, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_on_postgresql_a_running_evaluation_no_worker_holds_is_enqueued_again(germans):
    segment = make_segment(TENANT, "gold", criteria=RULE)
    now = timezone.now()
    stalled = SegmentEvaluation.objects.create(
        tenant_id=TENANT,
        segment=segment,
        trigger="COMMAND",
        status="RUNNING",
        requested_at=now,
        started_at=now,  # just started, yet nobody holds it: its worker is gone
        attempts=1,
    )

    assert evaluations_recover_stalled(tenant=TENANT, now=now) == [stalled.pk]
    assert evaluations_recover_stalled(tenant=OTHER_TENANT, now=now) == []
    _run_jobs()
    stalled.refresh_from_db()
    assert (stalled.status, stalled.attempts) == ("DONE", 2)


def test_segments_of_other_tenants_are_not_evaluated(germans):
    make_segment(TENANT, "gold", criteria=RULE)
    make_segment(OTHER_TENANT, "gold", criteria=RULE)

    done = segments_evaluate(tenant=TENANT, due_only=False, enqueue=False)

    assert [(e.segment_id, e.evaluation.trigger) for e in done] == [("gold", "COMMAND")]
    assert SegmentEvaluation.objects.filter(tenant_id=OTHER_TENANT).count() == 0
    assert not SegmentCustomerAssignment.objects.filter(tenant_id=OTHER_TENANT).exists()
    assert Segment.objects.filter(tenant_id=OTHER_TENANT).count() == 1
    assert done[0].evaluation.status == EvaluationStatus.DONE
