"""Reads of segments, always scoped to one tenant."""

from __future__ import annotations

from segments_project.errors import NotFound
from segments_project.tenancy.principal import Principal

from ..models import Segment
from ..querysets import SegmentQuerySet
from .membership import segments_of_customer


def segment_get(*, tenant: str, segment_id: str, principal: Principal | None = None) -> Segment:
    """The segment, or NotFound whether it is missing, of another tenant or not visible.

    With a principal, only segments visible to that caller count (see `segments_visible_to`).
    """
    queryset = (
        segments_visible_to(tenant=tenant, principal=principal)
        if principal is not None
        else Segment.objects.for_tenant(tenant)
    )
    segment = queryset.filter(public_id=segment_id).first()
    if segment is None:
        raise NotFound(
            f"The segment with id {segment_id} has not been found.", resource_id=segment_id
        )
    return segment


def segments_visible_to(*, tenant: str, principal: Principal) -> SegmentQuerySet:
    """Every segment for tenant-wide readers; a customer token sees only its own segments."""
    if principal.is_customer:
        return segments_of_customer(
            tenant=tenant,
            customer_id=principal.customer_id,
            legal_entity_id=principal.legal_entity_id,
        )
    return Segment.objects.for_tenant(tenant)
