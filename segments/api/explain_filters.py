"""The query parameters of `GET /segments/explain`, as a django-filter filter set."""

from __future__ import annotations

from segments_project.api.filters import IdParameter, QueryFilterSet, StringParameter

from ..documents.items import clean_item_type
from ..models import ItemType, Segment


def _item_type(raw: str, name: str) -> ItemType:
    return clean_item_type(raw, name)


class ExplainFilterSet(QueryFilterSet):
    """Whose view to explain (customer, legal entity, site) and, optionally, which item."""

    customerId = IdParameter(
        help_text="The customer to explain (segment_read callers; a customer token may "
        "name only itself, and defaults to itself)."
    )
    legalEntityId = IdParameter(
        help_text="The legal entity the customer acts for (a customer token's own by default)."
    )
    siteCode = IdParameter(help_text="The site asked about; absent: every site.")
    itemType = StringParameter(
        parse=_item_type, help_text="PRODUCT or CATEGORY: the item to explain (with itemId)."
    )
    itemId = IdParameter(help_text="The id of the item to explain (with itemType).")

    class Meta:
        model = Segment
        fields = ()
