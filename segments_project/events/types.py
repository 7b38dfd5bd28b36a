"""The event types the service emits, and how many members or items one batched event
lists at most."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    SEGMENT_CREATED = "segment.created"
    SEGMENT_UPDATED = "segment.updated"
    SEGMENT_DELETED = "segment.deleted"
    SEGMENT_MEMBER_ADDED = "segment.member.added"
    SEGMENT_MEMBER_REMOVED = "segment.member.removed"
    SEGMENT_MEMBER_UPDATED = "segment.member.updated"
    SEGMENT_ITEM_ADDED = "segment.item.added"
    SEGMENT_ITEM_REMOVED = "segment.item.removed"
    SEGMENT_EXCLUSION_ADDED = "segment.exclusion.added"
    SEGMENT_EXCLUSION_REMOVED = "segment.exclusion.removed"
    COUPON_CREATED = "coupon.created"
    COUPON_UPDATED = "coupon.updated"
    COUPON_DELETED = "coupon.deleted"
    COUPON_REDEEMED = "coupon.redeemed"
    COUPON_REDEMPTION_DELETED = "coupon.redemption.deleted"
    CUSTOMER_DELETED = "customer.deleted"


class ResourceType(StrEnum):
    SEGMENT = "segment"
    COUPON = "coupon"
    CUSTOMER = "customer"


# Imports and rule evaluations list many members (or items) of one segment in one event,
# in chunks of at most this many, so that no event grows without bound.
BATCH_SIZE = 1000
