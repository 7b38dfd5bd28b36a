"""The query parameters of the storefront reads, as django-filter filter sets."""

from __future__ import annotations

from segments_project.api.filters import BooleanParameter, IdParameter, QueryFilterSet

from ..models import Segment


class StorefrontFilterSet(QueryFilterSet):
    """Whose view a storefront read computes: customer, legal entity, site, activity."""

    siteCode = IdParameter(help_text="Only segments of this site.")
    legalEntityId = IdParameter(
        help_text="The legal entity the customer acts for (must be one of theirs)."
    )
    customerId = IdParameter(
        help_text="The customer whose view to compute (segment_read callers only)."
    )
    onlyActive = BooleanParameter(
        help_text="Only active, valid segments (always true for customers)."
    )

    class Meta:
        model = Segment
        fields = ()


class StorefrontTreeFilterSet(StorefrontFilterSet):
    includeProductCategories = BooleanParameter(
        help_text="Also graft the categories of directly assigned products as labels."
    )
