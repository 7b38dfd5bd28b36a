"""Abstract bases shared by every tenant-owned resource."""

from __future__ import annotations

from django.db import models


class TenantOwnedDocument(models.Model):
    """A resource of one tenant addressed by a client-visible id, versioned for optimistic locking.

    `id` is the database's surrogate key; `public_id` is what the API calls `id`, unique
    within the tenant.
    """

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField("id", max_length=128)
    mixins = models.JSONField(default=dict, blank=True)
    metadata_mixins = models.JSONField(
        "mixin schemas", default=dict, blank=True, help_text="Mixin name to the URL of its schema."
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        abstract = True
