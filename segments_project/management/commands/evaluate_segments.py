"""`manage.py evaluate_segments [--tenant T] [--due] [--enqueue] [--every SECONDS]`: full
evaluations of rule segments, and the scheduler process (`--due --enqueue --every 60`).

Each pass first enqueues again the evaluations whose worker died (stalled), then evaluates
the rule segments of the tenant (or of every tenant): all of them, or with `--due` those
whose rule has a relative date and whose last evaluation is older than
`SEGMENT_EVALUATION_INTERVAL_SECONDS`. Inline by default (a SegmentEvaluation row per
segment, counts printed), or with `--enqueue` as jobs for the `db_worker` processes.

With `--every`, the scheduler also ticks the webhook pump every `--webhook-tick` seconds
(default 2): a pump job is queued when events wait for dispatch or deliveries are due and
none is queued (writes queue one themselves; the tick catches the rest and the retries).
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from segments.services.evaluation_schedule import evaluations_recover_stalled, segments_evaluate
from segments_project.management.base import RepeatingTenantsCommand
from segments_project.tenancy.models import Tenant
from webhooks.services.triggers import pump_request_if_waiting


class Command(RepeatingTenantsCommand):
    help = (
        "Evaluate the rules of the segments of a tenant (or of every tenant), and enqueue "
        "again the evaluations whose worker died. --due: only rules with relative dates whose "
        "last evaluation is older than SEGMENT_EVALUATION_INTERVAL_SECONDS; --enqueue: as "
        "background jobs; --every: repeat forever (the scheduler)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--due", action="store_true", help="Only the segments the schedule finds due."
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Enqueue the evaluations as jobs for manage.py db_worker instead of running "
            "them here.",
        )
        parser.add_argument(
            "--webhook-tick",
            type=float,
            default=2.0,
            metavar="SECONDS",
            help="With --every: how often to queue the webhook pump when work waits (0: never).",
        )

    def handle_pass(self, tenants: list[Tenant], **options: Any) -> None:
        for tenant in tenants:
            self._pass(tenant.name, due=options["due"], enqueue=options["enqueue"])

    def wait(self, seconds: float, **options: Any) -> None:
        """Sleeps until the next pass, ticking the webhook pump meanwhile."""
        webhook_tick = options["webhook_tick"]
        if webhook_tick <= 0:
            time.sleep(seconds)
            return
        next_pass = time.monotonic() + seconds
        while (left := next_pass - time.monotonic()) > 0:
            pump_request_if_waiting()
            time.sleep(min(webhook_tick, left))

    def _pass(self, tenant: str, *, due: bool, enqueue: bool) -> None:
        for evaluation_id in evaluations_recover_stalled(tenant=tenant):
            self.stdout.write(
                self.style.WARNING(
                    f"{tenant}: evaluation {evaluation_id} had stalled; enqueued again."
                )
            )
        for evaluated in segments_evaluate(tenant=tenant, due_only=due, enqueue=enqueue):
            evaluation = evaluated.evaluation
            if enqueue:
                self.stdout.write(
                    f"{tenant}/{evaluated.segment_id}: {evaluation.status} "
                    f"(evaluation {evaluation.pk}, job {evaluation.job_id or '-'})"
                )
            else:
                self.stdout.write(
                    f"{tenant}/{evaluated.segment_id}: {evaluation.status} added="
                    f"{evaluation.added} removed={evaluation.removed} members={evaluation.members}"
                    + (f" error={evaluation.error}" if evaluation.error else "")
                )
