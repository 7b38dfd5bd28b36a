"""The outbox: one row per change event, written in the transaction of the change."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Now


class Event(models.Model):
    """A change event. `id` is the insert order (internal); `position` is the commit
    order, set by `sequencing.events_sequence()` once the row is visible (NULL until then);
    `sequence_number` increases per resource (`EventStream`)."""

    # Random (version 4, 122 random bits: unique without an index), and never looked up:
    # consumers de-duplicate by it. A unique index was a random-order B-tree insert per
    # event on every write (issue 18: the outbox adds at most 10% to writes). On PostgreSQL
    # a write leaves it NULL and the sequencer draws it when it numbers the event (its
    # UPDATE rewrites the row anyway): nothing shows an event before it has a position,
    # and drawing 200 UUIDs was a sixth of a bulk write's events statement.
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
        # The feed and retention indexes hold numbered events only: a write inserts its
        # events with no position and the sequencer's UPDATE (which sets it) adds the rows
        # to every index anyway, so entries made at the insert were only dead weight on
        # every write. Their queries say `position > x` or `position IS NOT NULL`.
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
            # Small at all times: only the events the sequencer has not numbered yet.
            models.Index(
                fields=["id"], name="event_unsequenced", condition=models.Q(position__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.resource_type} {self.resource_id} #{self.sequence_number}"


class EventStream(models.Model):
    """The last `sequence_number` given to an event of one resource."""

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
