"""`manage.py sync_admin_groups`: creates the ready-made admin groups (Merchandiser, Catalog
manager, Read-only) or resets their permissions (`tenancy.admin_groups`). `migrate` does it
too; run this after changing the definition without a migration."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from segments_project.tenancy.admin_groups import admin_groups_sync


class Command(BaseCommand):
    help = "Create the ready-made admin permission groups, or reset them to their definition."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, count in admin_groups_sync().items():
            self.stdout.write(f"{name}: {count} permissions")
