"""The query parameters of the segment list and search, as a django-filter filter set."""

from __future__ import annotations

from segments_project.api.filters import QueryFilterSet, StringParameter

from ..models import Segment


def _given(raw: str, name: str) -> str | None:
    """The value as sent; empty is absent. The view checks it only where it applies."""
    return raw or None


class SegmentListFilterSet(QueryFilterSet):
    # customerId is ignored for customer tokens (they read their own segments), so it is
    # checked by the view, only where it is used.
    customerId = StringParameter(
        parse=_given, help_text="Only this customer's segments (segment_read)."
    )
    legalEntityId = StringParameter(
        parse=_given, help_text="The legal entity the customer acts for."
    )

    class Meta:
        model = Segment
        fields = ()
