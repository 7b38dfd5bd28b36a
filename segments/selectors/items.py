"""Reads of item assignments, always scoped to one tenant and one segment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import JSONField, QuerySet
from django.db.models.functions import Coalesce

from catalog.models import Category, Product
from segments_project.errors import NotFound
from segments_project.tenancy.principal import Principal

from ..documents.items import ITEM_CODE, ITEM_ID, ITEM_NAME, clean_item_type
from ..models import ItemType, Segment, SegmentItemAssignment
from .membership import segments_of_customer


def _segment_not_found(segment_id: str) -> NotFound:
    return NotFound(f"The segment with id {segment_id} has not been found.", resource_id=segment_id)


def item_segment_get(
    *,
    tenant: str,
    segment_id: str,
    principal: Principal | None = None,
    legal_entity_id: str | None = None,
) -> Segment:
    """The segment whose items are read, or NotFound (missing, other tenant, not visible).

    A customer token sees only the segments its customer is assigned to, acting for
    `legal_entity_id` when given (membership requires the customer to belong to it), else
    for the token's own legal entity. Tenant-wide readers see every segment.
    """
    if principal is not None and principal.is_customer:
        segments = segments_of_customer(
            tenant=tenant,
            customer_id=principal.customer_id,
            legal_entity_id=legal_entity_id or principal.legal_entity_id,
        )
    else:
        segments = Segment.objects.for_tenant(tenant)
    segment = segments.filter(public_id=segment_id).first()
    if segment is None:
        raise _segment_not_found(segment_id)
    return segment


def item_segment_lock(*, tenant: str, segment_id: str) -> Segment:
    """The segment, locked until the transaction ends, or NotFound.

    Every write of a segment's items takes this lock first, so writers of one segment's
    items run one after the other (no duplicate inserts, no lost version checks). The
    lock does not block rows of other tables that reference the segment.
    """
    segment = (
        Segment.objects.for_tenant(tenant)
        .select_for_update(no_key=True)
        .filter(public_id=segment_id)
        .first()
    )
    if segment is None:
        raise _segment_not_found(segment_id)
    return segment


def item_assignments_of(*, segment: Segment) -> QuerySet[SegmentItemAssignment]:
    """The segment's item assignments, ready like `item_assignments_in`'s."""
    return item_assignments_in(tenant=segment.tenant_id, segments=[segment.pk])


def item_assignments_in(*, tenant: str, segments: Any) -> QuerySet[SegmentItemAssignment]:
    """Item assignments of the segments (pks or a Segment queryset) with their segment and
    item joined, ready to filter (see ITEM_ASSIGNMENT_QUERY_FIELDS), sort, page and render
    at a constant query count."""
    return (
        SegmentItemAssignment.objects.filter(tenant_id=tenant, segment__in=segments)
        .select_related("segment", "product", "category")
        .annotate(
            **{
                ITEM_ID: Coalesce("product__public_id", "category__public_id"),
                ITEM_CODE: Coalesce("product__code", "category__code"),
                ITEM_NAME: Coalesce("product__name", "category__name", output_field=JSONField()),
            }
        )
    )


def _item_filter(item_type: ItemType, item_id: str) -> dict[str, str]:
    relation = "product" if item_type == ItemType.PRODUCT else "category"
    return {"item_type": item_type, f"{relation}__public_id": item_id}


def item_assignment_get(*, segment: Segment, item_type: str, item_id: str) -> SegmentItemAssignment:
    """The segment's assignment of the item, or NotFound; a bad `item_type` is a 400."""
    cleaned = clean_item_type(item_type)
    assignment = item_assignments_of(segment=segment).filter(**_item_filter(cleaned, item_id))
    found = assignment.first()
    if found is None:
        raise NotFound(
            f"The {cleaned} {item_id} is not assigned to the segment {segment.public_id}.",
            resource_id=item_id,
        )
    return found


def catalog_item_pks(
    *, tenant: str, item_type: ItemType, item_ids: Iterable[str]
) -> dict[str, int]:
    """Public id -> surrogate id of those of the tenant's products (or categories) that
    exist, looked up in one query whatever the number of ids."""
    wanted = set(item_ids)
    if not wanted:
        return {}
    model = Product if item_type == ItemType.PRODUCT else Category
    return dict(
        model.objects.filter(tenant_id=tenant, public_id__in=wanted)
        .order_by()
        .values_list("public_id", "pk")
    )
