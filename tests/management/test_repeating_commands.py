"""The schedulers' `--every SECONDS` loop, shared by `prune_events` and
`evaluate_segments` (`management.base.RepeatingTenantsCommand`): a pass, a wait, the
tenants read again, until stopped. evaluate_segments' own wait (the webhook tick):
test_evaluate_segments.py."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from segments_project.tenancy.models import Tenant

from ..conftest import TENANT

pytestmark = pytest.mark.django_db

SLEEP = "segments_project.management.base.time.sleep"


def test_every_repeats_passes_and_follows_new_tenants(db):
    Tenant.objects.get_or_create(name=TENANT)
    out = StringIO()

    def a_tenant_is_created(seconds: float) -> None:
        Tenant.objects.get_or_create(name="zz-later")

    with (
        mock.patch(SLEEP, side_effect=_then_stop(a_tenant_is_created)) as sleep,
        pytest.raises(KeyboardInterrupt),
    ):
        call_command("prune_events", "--enqueue", "--every", "3600", stdout=out)

    assert [call.args for call in sleep.call_args_list] == [(3600,), (3600,)]
    jobs = DBTaskResult.objects.filter(task_path__endswith="events_prune_task")
    pruned = sorted(job.args_kwargs["args"][0] for job in jobs)
    everyone = sorted(Tenant.objects.values_list("name", flat=True))
    # The first pass pruned the tenants of its start, the second those of then.
    assert pruned == sorted([*everyone, *(name for name in everyone if name != "zz-later")])


def _then_stop(first: Callable[[float], None]) -> Callable[[float], None]:
    """A sleep that runs `first`, then stops the loop."""
    calls = iter([first])

    def sleep(seconds: float) -> None:
        step = next(calls, None)
        if step is None:
            raise KeyboardInterrupt
        step(seconds)

    return sleep


def test_without_every_one_pass(db):
    Tenant.objects.get_or_create(name=TENANT)
    with mock.patch(SLEEP) as sleep:
        call_command("prune_events", "--tenant", TENANT, stdout=StringIO())
    sleep.assert_not_called()


@pytest.mark.parametrize("command", ["prune_events", "evaluate_segments"])
def test_every_needs_a_positive_number(command, db):
    with pytest.raises(CommandError, match="at least 1"):
        call_command(command, "--every", "0", stdout=StringIO())
