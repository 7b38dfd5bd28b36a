"""Reads of a segment's exclusions, always scoped to one tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from segments_project.errors import NotFound

from ..models import Segment, SegmentExclusion
from .segments import segment_get


def exclusions_of(*, tenant: str, segment: Segment) -> QuerySet[SegmentExclusion]:
    """The segment's exclusions with their customers joined (a page renders in one query)."""
    return SegmentExclusion.objects.filter(tenant_id=tenant, segment=segment).select_related(
        "customer"
    )


def exclusion_get(*, tenant: str, segment_id: str, customer_id: str) -> SegmentExclusion:
    """The customer's exclusion from the segment; NotFound for a missing segment or
    exclusion (the same for another tenant's)."""
    segment = segment_get(tenant=tenant, segment_id=segment_id)
    exclusion = (
        exclusions_of(tenant=tenant, segment=segment)
        .filter(customer__public_id=customer_id)
        .first()
    )
    if exclusion is None:
        raise NotFound(
            f"The customer {customer_id} is not excluded from the segment {segment_id}.",
            resource_id=customer_id,
        )
    return exclusion
