"""The tenant's content version: one counter that every storefront-relevant write bumps."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F

from .models import Tenant


def content_changed(*, tenant: str) -> None:
    """Marks the tenant's storefront answers stale once the current transaction commits.

    Bumping after commit keeps the tenant row out of every writer's transaction (no lock
    contention between concurrent writers); a reader that raced the commit stored its
    answer under the old version, which no later request asks for.
    """
    transaction.on_commit(
        lambda: Tenant.objects.filter(name=tenant).update(content_version=F("content_version") + 1)
    )


def content_changed_with_commit(*, tenant: str) -> None:
    """Marks the tenant's storefront answers stale as the last statement of the current
    transaction (a bulk load's chunk): it commits with one WAL flush where
    `content_changed` (a transaction of its own after the commit) takes two. The deferred
    foreign-key checks run first, so that the tenant row, which every writer's
    `content_changed` updates, is locked only while the commit is flushed. Only for a
    transaction about to commit (`SET CONSTRAINTS` holds until its end)."""
    if connection.vendor != "postgresql":
        Tenant.objects.filter(name=tenant).update(content_version=F("content_version") + 1)
        return
    with connection.cursor() as cursor:
        # One round trip for both statements (the client-side binding cursor allows it).
        cursor.execute(
            f"SET CONSTRAINTS ALL IMMEDIATE; UPDATE {Tenant._meta.db_table} "
            "SET content_version = content_version + 1 WHERE name = %s",
            [tenant],
        )
