"""The export kinds the segments app owns (`legal-entities`, `customers`, `segments`,
`segment-items`, `segment-customers`), registered in `segments_project.imports.kinds` by
`SegmentsConfig.ready()`. Each writes the rows its import reads (see
`segments_project.imports.exporters`)."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce

from segments_project.imports.exporters import Exporter, with_mixins, write_shape

from .documents.directory import customer_document, legal_entity_document
from .documents.segments import segment_document
from .models import (
    Customer,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
)


def _item(row: tuple) -> dict[str, Any]:
    segment_id, item_type, item_id, mixins, schemas = row
    document = {"segmentId": segment_id, "type": item_type, "itemId": item_id}
    return with_mixins(document, mixins, schemas)


def _member(row: tuple) -> dict[str, Any]:
    segment_id, customer_id, legal_entity_id, mixins, schemas = row
    document = {"segmentId": segment_id, "customerId": customer_id}
    if legal_entity_id is not None:
        document["legalEntityId"] = legal_entity_id
    return with_mixins(document, mixins, schemas)


KINDS: tuple[Exporter, ...] = (
    Exporter(
        kind="legal-entities",
        rows=lambda tenant: LegalEntity.objects.filter(tenant_id=tenant).order_by("public_id"),
        render=lambda legal_entity: write_shape(legal_entity_document(legal_entity)),
    ),
    Exporter(
        kind="customers",
        # iterator(chunk_size=...) prefetches the links chunk by chunk.
        rows=lambda tenant: (
            Customer.objects.filter(tenant_id=tenant)
            .prefetch_related("legal_entities")
            .order_by("public_id")
        ),
        render=lambda customer: write_shape(customer_document(customer)),
    ),
    Exporter(
        kind="segments",
        rows=lambda tenant: Segment.objects.filter(tenant_id=tenant).order_by("public_id"),
        render=lambda segment: write_shape(segment_document(segment)),
        localized=(("name", "name"), ("description", "description")),
    ),
    Exporter(
        kind="segment-items",
        rows=lambda tenant: (
            SegmentItemAssignment.objects.filter(tenant_id=tenant)
            .annotate(item_public_id=Coalesce("product__public_id", "category__public_id"))
            .order_by("segment__public_id", "item_type", "item_public_id")
            .values_list(
                "segment__public_id", "item_type", "item_public_id", "mixins", "metadata_mixins"
            )
        ),
        render=_item,
    ),
    Exporter(
        kind="segment-customers",
        rows=lambda tenant: (
            SegmentCustomerAssignment.objects.filter(tenant_id=tenant)
            .order_by(
                "segment__public_id",
                "customer__public_id",
                F("legal_entity__public_id").asc(nulls_first=True),
            )
            .values_list(
                "segment__public_id",
                "customer__public_id",
                "legal_entity__public_id",
                "mixins",
                "metadata_mixins",
            )
        ),
        render=_member,
    ),
)
