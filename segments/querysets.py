from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q


class SegmentQuerySet(models.QuerySet):
    def for_tenant(self, tenant: str) -> SegmentQuerySet:
        return self.filter(tenant_id=tenant)

    def valid_at(self, moment: datetime) -> SegmentQuerySet:
        """Segments whose validity window (open ends allowed) contains `moment`."""
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=moment),
            Q(valid_to__isnull=True) | Q(valid_to__gte=moment),
        )

    def active_at(self, moment: datetime) -> SegmentQuerySet:
        return self.filter(status="ACTIVE").valid_at(moment)
