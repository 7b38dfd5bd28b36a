"""Webhook subscriptions and their deliveries.

A subscription's `cursor` is the `position` of the last event the dispatcher looked at for
it; every matching event after it becomes one `Delivery` row. Deliveries of one
(subscription, resource) form a lane (`lane`), sent strictly in `position` order: a later
delivery of a lane waits while an earlier one is still pending (see `services.claims`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from segments_project.models import TenantOwnedDocument


class Subscription(TenantOwnedDocument):
    """Where a tenant's events go: an endpoint URL and the event types it wants.

    `secret` signs every delivery (Standard Webhooks, `whsec_<base64>`); after a rotation
    `previous_secret` keeps signing too until `previous_secret_expires_at`.
    """

    url = models.URLField(max_length=2048)
    event_types = models.JSONField(default=list, help_text="Event types or patterns (a.b.*).")
    active = models.BooleanField(default=True)
    description = models.TextField(blank=True)
    secret = models.CharField(max_length=128)
    previous_secret = models.CharField(max_length=128, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    cursor = models.BigIntegerField(default=0, help_text="Position of the last event dispatched.")
    last_success_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="Set when a delivery ran out of retries."
    )

    class Meta:
        ordering = ["tenant_id", "public_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "public_id"], name="subscription_unique_id")
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.public_id} -> {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed (retries exhausted)"


class Delivery(models.Model):
    """One event (or test message) to send to one subscription, with its attempts so far."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    public_id = models.UUIDField(unique=True)
    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The whole message of a test delivery (it has no event); NULL for event deliveries.
    test_payload = models.JSONField(null=True, blank=True)
    lane = models.CharField(max_length=600, help_text="resource type/id: the ordering unit.")
    position = models.BigIntegerField(help_text="The event's position: order within the lane.")
    status = models.CharField(max_length=9, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The last attempts, newest last: [{"at", "statusCode", "latencyMs", "error"}].
    attempt_log = models.JSONField(default=list, blank=True)
    request_excerpt = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["subscription_id", "position", "id"]
        verbose_name_plural = "deliveries"
        indexes = [
            # The claim: a subscription's pending lanes in order.
            models.Index(
                fields=["subscription", "lane", "position", "id"],
                name="delivery_pending_lane",
                condition=Q(status="PENDING"),
            ),
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_pending_due",
                condition=Q(status="PENDING"),
            ),
            # The delivery log of a subscription, newest first.
            models.Index(fields=["subscription", "-id"], name="delivery_log"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.public_id} ({self.status})"
