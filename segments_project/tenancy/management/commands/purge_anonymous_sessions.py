"""`manage.py purge_anonymous_sessions [--enqueue]`: frees the rows of expired visitor
sessions, now or as a background job for a `db_worker` (schedule it, e.g. hourly by cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from segments_project.tenancy.anonymous import anonymous_sessions_purge_expired
from segments_project.tenancy.tasks import anonymous_sessions_purge


class Command(BaseCommand):
    help = (
        "Delete the anonymous visitor sessions whose refresh token has expired, with their "
        "access tokens. With --enqueue, a background job does it (run by manage.py db_worker)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Enqueue the purge as a background job instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            job = anonymous_sessions_purge.enqueue()
            self.stdout.write(f"Enqueued the purge as job {job.id}.")
            return
        deleted = anonymous_sessions_purge_expired()
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} expired anonymous session(s)."))
