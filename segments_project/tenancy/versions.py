"""The tenant's content version: one counter that every storefront-relevant write bumps."""

from __future__ import annotations

from django.db import transaction
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
