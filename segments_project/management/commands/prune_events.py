"""`manage.py prune_events [--tenant T] [--enqueue] [--every SECONDS]`: deletes the change
events older than EVENTS_RETENTION_DAYS, now or as background jobs for a `db_worker`;
with `--every`, repeatedly (the scheduler of `make run` runs it hourly)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from segments_project.events.retention import events_prune
from segments_project.events.tasks import events_prune_task
from segments_project.management.base import RepeatingTenantsCommand
from segments_project.tenancy.models import Tenant


class Command(RepeatingTenantsCommand):
    help = (
        "Delete the change events older than EVENTS_RETENTION_DAYS, of a tenant or of every "
        "tenant. --enqueue: as background jobs (run by manage.py db_worker); --every: repeat "
        "forever (the scheduler)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Enqueue a job per tenant instead of deleting here.",
        )

    def handle_pass(self, tenants: list[Tenant], **options: Any) -> None:
        for tenant in tenants:
            if options["enqueue"]:
                job = events_prune_task.enqueue(tenant.name)
                self.stdout.write(f"{tenant.name}: enqueued the pruning as job {job.id}.")
            else:
                deleted = events_prune(tenant=tenant.name)
                self.stdout.write(self.style.SUCCESS(f"{tenant.name}: deleted {deleted} event(s)."))
