"""Exclusions as the API speaks them: query fields and rendering."""

from __future__ import annotations

from typing import Any

from segments_project.api.documents import format_datetime
from segments_project.api.query import FieldKind, FieldSpec

from ..models import SegmentExclusion

EXCLUSION_QUERY_FIELDS: dict[str, FieldSpec] = {
    "customerId": FieldSpec("customer__public_id", FieldKind.STRING),
    "customer.id": FieldSpec("customer__public_id", FieldKind.STRING),
    "customer.firstName": FieldSpec("customer__first_name", FieldKind.STRING),
    "customer.lastName": FieldSpec("customer__last_name", FieldKind.STRING),
    "customer.email": FieldSpec("customer__email", FieldKind.STRING),
    "metadata.createdAt": FieldSpec("created_at", FieldKind.DATETIME),
}


def exclusion_document(exclusion: SegmentExclusion) -> dict[str, Any]:
    """The exclusion as the API returns it. Needs `customer` loaded with it (the selector
    joins it)."""
    customer = exclusion.customer
    return {
        "customerId": customer.public_id,
        "customer": {
            "id": customer.public_id,
            "firstName": customer.first_name,
            "lastName": customer.last_name,
            "email": customer.email,
        },
        "metadata": {"createdAt": format_datetime(exclusion.created_at)},
    }
