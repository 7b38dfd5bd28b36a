"""Audit entries of assignments that go with a deleted customer, legal entity, product or
category (database cascades that the assignment services never see).

Each function reads the assignments about to go in one query and records them with one
INSERT, before the caller deletes; the reason says which deletion took them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Model, Q

from segments_project.audit.models import AuditAction, DocumentType
from segments_project.audit.record import Change, record

from ..models import ItemType, SegmentCustomerAssignment, SegmentItemAssignment


def record_members_removed(tenant: str, where: Q, reason: str) -> None:
    """Records the customer assignments matching `where` as unassigned, for `reason`."""
    rows = (
        SegmentCustomerAssignment.objects.filter(where, tenant_id=tenant)
        .order_by()
        .values_list(
            "segment__public_id",
            "customer__public_id",
            "legal_entity__public_id",
            "assignment_type",
        )
    )
    record(
        tenant,
        (
            Change(
                DocumentType.SEGMENT_CUSTOMER_ASSIGNMENT,
                customer_id if legal_entity_id is None else f"{customer_id}/{legal_entity_id}",
                AuditAction.UNASSIGNED,
                segment_id,
                {"assignment_type": assignment_type, "reason": reason},
            )
            for segment_id, customer_id, legal_entity_id, assignment_type in rows
        ),
    )


def record_items_removed(tenant: str, where: Q, reason: str) -> None:
    """Records the item assignments matching `where` as unassigned, for `reason`."""
    rows = (
        SegmentItemAssignment.objects.filter(where, tenant_id=tenant)
        .order_by()
        .values_list("segment__public_id", "item_type", "product__public_id", "category__public_id")
    )
    record(
        tenant,
        (
            Change(
                DocumentType.SEGMENT_ITEM_ASSIGNMENT,
                f"{item_type}/{product_id if item_type == ItemType.PRODUCT else category_id}",
                AuditAction.UNASSIGNED,
                segment_id,
                {"reason": reason},
            )
            for segment_id, item_type, product_id, category_id in rows
        ),
    )


def record_items_of_deleted_catalog_rows(
    *, model: type[Model], tenant: str, pks: Iterable[int]
) -> None:
    """Hook of `catalog.hooks.ROWS_DELETING`: the products' or categories' items."""
    kind = model._meta.model_name
    relation = "product_id__in" if kind == "product" else "category_id__in"
    record_items_removed(tenant, Q(**{relation: pks}), f"{kind} deleted")
