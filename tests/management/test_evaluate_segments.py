"""`manage.py evaluate_segments`: every rule segment of a tenant or of every tenant, inline
(counts per segment) or enqueued, `--due` for the schedule, the tenant resolution of the
base command, and `--every` repeating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from segments.models import Customer, SegmentCustomerAssignment, SegmentEvaluation
from tests.segments.factories import make_customer, make_segment

from ..conftest import OTHER_TENANT, TENANT

pytestmark = pytest.mark.django_db

RECENT = {"q": 'mixins.orders.lastOrderAt:>="-30d"'}


def _run(*args: str) -> str:
    out = StringIO()
    call_command("evaluate_segments", *args, stdout=out)
    return out.getvalue()


def _ordered(customer_id: str, when: datetime) -> None:
    Customer.objects.filter(tenant_id=TENANT, public_id=customer_id).update(
        mixins={"orders": {"lastOrderAt": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")}}
    )


@pytest.fixture
def rules(db) -> None:
    make_customer(TENANT, "ada")
    make_customer(TENANT, "bob")
    make_customer(OTHER_TENANT, "cy")
    make_segment(TENANT, "everyone", criteria={"q": "id:exists"})
    make_segment(TENANT, "recent", criteria=RECENT)
    make_segment(TENANT, "manual")
    make_segment(OTHER_TENANT, "everyone", criteria={"q": "id:exists"})


def test_evaluates_every_rule_segment_of_the_tenant_inline_and_prints_counts(rules):
    out = _run("--tenant", TENANT)

    assert out.splitlines() == [
        f"{TENANT}/everyone: DONE added=2 removed=0 members=2",
        f"{TENANT}/recent: DONE added=0 removed=0 members=0",
    ]
    assert set(SegmentEvaluation.objects.values_list("tenant_id", "trigger", "status")) == {
        (TENANT, "COMMAND", "DONE")
    }
    assert not DBTaskResult.objects.exists()


def test_without_tenant_every_tenant(rules):
    out = _run()

    assert f"{OTHER_TENANT}/everyone: DONE added=1" in out
    assert f"{TENANT}/everyone: DONE added=2" in out


def test_an_unknown_tenant_is_an_error(rules):
    with pytest.raises(CommandError, match="does not exist"):
        _run("--tenant", "nosuch")


def test_enqueue_hands_them_to_workers(rules):
    out = _run("--tenant", TENANT, "--enqueue")

    assert f"{TENANT}/everyone: PENDING (evaluation" in out
    assert DBTaskResult.objects.count() == 2
    assert not SegmentCustomerAssignment.objects.exists()


def test_due_follows_relative_dates_as_time_passes(rules, settings):
    settings.SEGMENT_EVALUATION_INTERVAL_SECONDS = 3600
    now = timezone.now()
    _ordered("ada", now - timedelta(days=30) + timedelta(minutes=30))

    first = _run("--tenant", TENANT, "--due")

    assert first.splitlines() == [f"{TENANT}/recent: DONE added=1 removed=0 members=1"]
    assert _run("--tenant", TENANT, "--due") == ""  # not due within the interval
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(hours=2)):
        later = _run("--tenant", TENANT, "--due")
    assert later.splitlines() == [f"{TENANT}/recent: DONE added=0 removed=1 members=0"]
    assert list(
        SegmentEvaluation.objects.filter(segment__public_id="recent").values_list(
            "trigger", flat=True
        )
    ) == ["SCHEDULE", "SCHEDULE"]


def test_every_repeats_until_stopped(rules):
    with (
        mock.patch(
            "segments_project.management.commands.evaluate_segments.time.sleep",
            side_effect=[None, KeyboardInterrupt],
        ) as sleep,
        pytest.raises(KeyboardInterrupt),
    ):
        _run("--tenant", TENANT, "--due", "--enqueue", "--every", "30", "--webhook-tick", "0")

    assert [call.args for call in sleep.call_args_list] == [(30,), (30,)]
    # Two passes, one job: the PENDING evaluation absorbs the second pass.
    assert DBTaskResult.objects.count() == 1


def test_between_passes_the_scheduler_ticks_the_webhook_pump(rules):
    """Every tick asks for a pump (queued only when work waits and none is queued)."""
    with (
        mock.patch(
            "segments_project.management.commands.evaluate_segments.pump_request_if_waiting"
        ) as tick,
        mock.patch(
            "segments_project.management.commands.evaluate_segments.time.sleep",
            side_effect=[None, None, KeyboardInterrupt],
        ) as sleep,
        mock.patch(
            "segments_project.management.commands.evaluate_segments.time.monotonic",
            side_effect=[0.0, 0.0, 2.0, 4.0, 9.0],
        ),
        pytest.raises(KeyboardInterrupt),
    ):
        _run("--tenant", TENANT, "--due", "--enqueue", "--every", "5", "--webhook-tick", "2")

    assert [call.args for call in sleep.call_args_list] == [(2,), (2,), (1.0,)]
    assert tick.call_count == 3
