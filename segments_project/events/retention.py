"""Retention of the outbox: events older than `EVENTS_RETENTION_DAYS` are deleted."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import Event, EventPruning
from .sequencing import events_sequence


def events_prune(*, tenant: str, now: datetime | None = None) -> int:
    """Deletes the tenant's events older than the retention; returns how many.

    What goes is a prefix in commit order: every event up to the highest position among
    the expired ones (an event a long transaction wrote before the cut but committed after
    a kept one goes too), so a feed cursor is either entirely kept or gone (410), never
    quietly short of an event. Idempotent."""
    events_sequence()
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENTS_RETENTION_DAYS)
    with transaction.atomic():
        return _prune(tenant, cutoff)


def _prune(tenant: str, cutoff: datetime) -> int:
    # `position` not NULL: the retention index holds numbered events only (see the model).
    through = Event.objects.filter(
        tenant_id=tenant, created_at__lt=cutoff, position__isnull=False
    ).aggregate(through=Max("position"))["through"]
    if through is None:
        return 0
    deleted, _ = Event.objects.filter(tenant_id=tenant, position__lte=through).delete()
    pruning, _ = EventPruning.objects.select_for_update().get_or_create(tenant_id=tenant)
    if through > pruning.pruned_through:
        pruning.pruned_through = through
        pruning.save(update_fields=["pruned_through"])
    return deleted
