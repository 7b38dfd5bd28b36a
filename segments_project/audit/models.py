"""The audit trail: one row per change of a segment, assignment, coupon, redemption or
webhook subscription."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now

from .actor import ActorKind


class AuditAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"
    ASSIGNED = "assigned", "Assigned"
    UNASSIGNED = "unassigned", "Unassigned"
    REDEEMED = "redeemed", "Redeemed"
    # A rule evaluation applied its matches to a segment's AUTOMATIC members.
    EVALUATED = "evaluated", "Evaluated"


class DocumentType(models.TextChoices):
    SEGMENT = "segment", "Segment"
    SEGMENT_ITEM_ASSIGNMENT = "segment_item_assignment", "Segment item assignment"
    SEGMENT_CUSTOMER_ASSIGNMENT = "segment_customer_assignment", "Segment customer assignment"
    SEGMENT_EXCLUSION = "segment_exclusion", "Segment exclusion"
    COUPON = "coupon", "Coupon"
    REDEMPTION = "redemption", "Redemption"
    # Configuration, not content: recorded for the trail, announced by no change event.
    WEBHOOK_SUBSCRIPTION = "webhook_subscription", "Webhook subscription"


class AuditEvent(models.Model):
    """Who changed which document, when, and what changed.

    `document_id` and `segment_id` are public ids, not foreign keys: the trail outlives
    the rows it talks about. `changes` maps a field to `[old, new]` for updates and holds
    the relevant values for creates and deletes.
    """

    # Every index below starts with the tenant: one of the tenant alone would only slow
    # the writes that record here.
    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    occurred_at = models.DateTimeField(db_default=Now())
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    document_type = models.CharField(max_length=32, choices=DocumentType.choices)
    document_id = models.CharField(max_length=512)
    # NULL for a document outside every segment (an unrestricted coupon), as in `Change`.
    segment_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "segment_id", "-occurred_at"], name="audit_segment"),
            models.Index(
                fields=["tenant", "document_type", "document_id", "-occurred_at"],
                name="audit_document",
            ),
            models.Index(fields=["tenant", "-occurred_at"], name="audit_recent"),
            models.Index(fields=["tenant", "actor", "-occurred_at"], name="audit_actor"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.actor_kind} {self.actor} {self.action} {self.document_type} {self.document_id}"
        )
