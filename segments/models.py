"""Customer segments."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from segments_project.models import TenantOwnedDocument

from .querysets import SegmentQuerySet


class SegmentStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    INACTIVE = "INACTIVE", "Inactive"


class Segment(TenantOwnedDocument):
    """A group of customers of one site, with the products and categories it gives them."""

    name = models.JSONField(default=dict, help_text="Language code to name.")
    description = models.JSONField(default=dict, blank=True, help_text="Language code to text.")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=SegmentStatus, default=SegmentStatus.INACTIVE)
    site_code = models.CharField(max_length=64)

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ["tenant_id", "public_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "public_id"], name="segment_unique_id"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_from__lte=models.F("valid_to")),
                name="segment_validity_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "site_code", "status"], name="segment_site_status")
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.public_id}"
