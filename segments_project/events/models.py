"""The outbox: one row per write (`OutboxEntry`), written in the transaction of the change,
and the change events the sequencer makes of it (`Event`, one row per event)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Now


class OutboxEntry(models.Model):
    """What one write appended to the outbox, in its own transaction: its events (or what
    they are made of) in one row, so a write of 200 member changes inserts one row and one
    index entry, not 200 (issue 18: the outbox adds at most 10% to writes).
    `sequencing.events_sequence()` expands committed entries into numbered `Event` rows
    and deletes them. `id` is the insert order; `kind` names the expander of `payload`
    (`sequencing.EXPANDERS`): "drafts" (the events themselves) or "audit" (the audit
    trail's rows of the write, whose events `audit.change_events` derives)."""

    tenant = models.ForeignKey(
        "tenancy.Tenant",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(max_length=16)
    payload = models.TextField()
    # JSON, what the expander needs beyond the payload ("" for most writes).
    extra = models.TextField(default="", blank=True)
    # The write's time: its events' `created_at`.
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.id}"


class Event(models.Model):
    """A change event, written numbered by `sequencing.events_sequence()` from a committed
    `OutboxEntry`: `position` is the commit order (the feed's), `sequence_number` increases
    per resource (`EventStream`); `id` follows `position`. (`position` and `public_id` are
    NULL only in rows an older version appended directly.)"""

    # Random (version 4, 122 random bits: unique without an index), and never looked up:
    # consumers de-duplicate by it. Drawn by the sequencer, off the writes' path.
    public_id = models.UUIDField(default=uuid.uuid4, editable=False, null=True)
    # No database constraint: the appending write names its own tenant, and the deferred
    # check cost one lookup per event at every commit. Deleting a tenant still deletes its
    # events (Django's cascade).
    tenant = models.ForeignKey(
        "tenancy.Tenant",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    type = models.CharField(max_length=64)
    resource_type = models.CharField(max_length=32)
    resource_id = models.CharField(max_length=512)
    sequence_number = models.BigIntegerField()
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_default=Now())
    position = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        # The feed and retention indexes hold numbered events only (every event since
        # the outbox holds `OutboxEntry` rows). Their queries say `position > x` or
        # `position IS NOT NULL`.
        indexes = [
            models.Index(
                fields=["tenant", "position"],
                name="event_feed",
                condition=models.Q(position__isnull=False),
            ),
            models.Index(
                fields=["tenant", "created_at"],
                name="event_retention",
                condition=models.Q(position__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.resource_type} {self.resource_id} #{self.sequence_number}"


class EventStream(models.Model):
    """The last `sequence_number` given to an event of one resource (by the sequencer)."""

    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    resource_type = models.CharField(max_length=32)
    resource_id = models.CharField(max_length=512)
    last_sequence_number = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["tenant", "resource_type", "resource_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "resource_type", "resource_id"], name="event_stream_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_type} {self.resource_id}: {self.last_sequence_number}"


class EventSequencer(models.Model):
    """One row: the last `position` given. A counter rather than MAX(position), so that
    positions never go back when retention deletes the newest-but-pruned events."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_position = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"position {self.last_position}"


class EventPruning(models.Model):
    """Per tenant, the highest `position` retention has deleted: a feed cursor below it
    may have missed events (410)."""

    tenant = models.OneToOneField(
        "tenancy.Tenant", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    pruned_through = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["tenant"]

    def __str__(self) -> str:
        return f"{self.tenant_id}: pruned through {self.pruned_through}"
