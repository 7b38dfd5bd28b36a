"""Background jobs of webhooks: the pump (dispatch and delivery), run by `manage.py db_worker`.

One pump job at a time is queued (`services.triggers.pump_request` coalesces); several
may run at once in several workers (they claim different subscriptions). A job that dies
leaves its claims to lapse; the next pump sends them.
"""

from __future__ import annotations

from dataclasses import asdict

from django.conf import settings
from django_tasks import task


@task()
def webhooks_pump() -> dict[str, int]:
    from .services.delivery import deliveries_pump
    from .services.triggers import pump_follow_up

    summary = deliveries_pump(max_seconds=settings.WEBHOOK_PUMP_SECONDS)
    pump_follow_up(timed_out=summary.timed_out)
    return asdict(summary)
