"""Exports of a tenant's data in the formats `import_data` reads, streamed.

Each row is what an import of the same kind expects: the API's document without the
stored metadata (version and timestamps belong to the database the row lands in; mixin
schemas are kept). Rows come in a stable order (by public ids; categories parents
first), read with `.iterator()` so memory stays flat, so an export imported into another
tenant and exported again gives the same file.

CSV needs its header first: one column per language of each localized member, so the
languages in use are collected in a first pass over those columns only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce

from catalog.documents.categories import category_document
from catalog.documents.products import product_document
from catalog.models import Category, CategoryAssignment, Product
from segments.documents.directory import customer_document, legal_entity_document
from segments.documents.segments import segment_document
from segments.models import (
    Customer,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
)

from .formats import Format, Layout, Sink
from .importers import IMPORTERS
from .progress import Progress


def _write_shape(document: dict[str, Any]) -> dict[str, Any]:
    """The document as a write sends it: stored metadata dropped, mixin schemas kept."""
    metadata = document.pop("metadata", None) or {}
    if metadata.get("mixins"):
        document["metadata"] = {"mixins": metadata["mixins"]}
    return document


def _with_mixins(document: dict[str, Any], mixins: dict, schemas: dict) -> dict[str, Any]:
    if mixins:
        document["mixins"] = mixins
    if schemas:
        document["metadata"] = {"mixins": schemas}
    return document


def _category(category: Category) -> dict[str, Any]:
    document = category_document(category, parent_public_id=category.parent_public_id)
    document.pop("media", None)
    if not document.get("validity"):
        document.pop("validity", None)
    return _write_shape(document)


def _item(row: tuple) -> dict[str, Any]:
    segment_id, item_type, item_id, mixins, schemas = row
    document = {"segmentId": segment_id, "type": item_type, "itemId": item_id}
    return _with_mixins(document, mixins, schemas)


def _member(row: tuple) -> dict[str, Any]:
    segment_id, customer_id, legal_entity_id, mixins, schemas = row
    document = {"segmentId": segment_id, "customerId": customer_id}
    if legal_entity_id is not None:
        document["legalEntityId"] = legal_entity_id
    return _with_mixins(document, mixins, schemas)


@dataclass(frozen=True)
class Exporter:
    """What one kind exports: its rows in a stable order and how each is rendered."""

    kind: str
    rows: Callable[[str], QuerySet]
    render: Callable[[Any], dict[str, Any]]
    # (CSV member, model field) of the localized members, for the header's languages.
    localized: tuple[tuple[str, str], ...] = ()

    @property
    def layout(self) -> Layout:
        return IMPORTERS[self.kind].layout

    def languages(self, tenant: str, chunk_size: int) -> dict[str, list[str]]:
        found: dict[str, set[str]] = {member: set() for member, _ in self.localized}
        for member, field in self.localized:
            values = self.rows(tenant).values_list(field, flat=True).order_by()
            for value in values.iterator(chunk_size=chunk_size):
                found[member].update(value or {})
        return {member: sorted(languages) for member, languages in found.items()}

    def export(
        self, tenant: str, open_sink: Callable[..., Sink], fmt: Format, *, chunk_size: int,
        progress: Progress | None = None,
    ) -> int:  # fmt: skip
        """Writes every row of the kind to the sink `open_sink(languages=...)` opens."""
        languages = self.languages(tenant, chunk_size) if fmt is Format.CSV else {}
        sink = open_sink(languages=languages)
        try:
            self._write(sink, self.rows(tenant).iterator(chunk_size=chunk_size), progress)
        finally:
            sink.close()
        return sink.rows

    def _write(self, sink: Sink, rows: Iterable[Any], progress: Progress | None) -> None:
        pending = 0
        for row in rows:
            sink.write(self.render(row))
            pending += 1
            if progress is not None and pending >= 1000:
                progress.update(pending)
                pending = 0
        if progress is not None and pending:
            progress.update(pending)


EXPORTERS: dict[str, Exporter] = {
    exporter.kind: exporter
    for exporter in (
        Exporter(
            kind="categories",
            rows=lambda tenant: (
                Category.objects.filter(tenant_id=tenant)
                .annotate(parent_public_id=F("parent__public_id"))
                .order_by("depth", "public_id")
            ),
            render=_category,
            localized=(
                ("localizedName", "name"),
                ("localizedDescription", "description"),
                ("localizedSlug", "slug"),
            ),
        ),
        Exporter(
            kind="products",
            rows=lambda tenant: Product.objects.filter(tenant_id=tenant).order_by("public_id"),
            render=lambda product: _write_shape(product_document(product)),
            localized=(("name", "name"),),
        ),
        Exporter(
            kind="product-categories",
            rows=lambda tenant: (
                CategoryAssignment.objects.filter(tenant_id=tenant)
                .order_by("category__public_id", "product__public_id")
                .values_list("product__public_id", "category__public_id")
            ),
            render=lambda row: {"productId": row[0], "categoryId": row[1]},
        ),
        Exporter(
            kind="legal-entities",
            rows=lambda tenant: LegalEntity.objects.filter(tenant_id=tenant).order_by("public_id"),
            render=lambda legal_entity: _write_shape(legal_entity_document(legal_entity)),
        ),
        Exporter(
            kind="customers",
            # iterator(chunk_size=...) prefetches the links chunk by chunk.
            rows=lambda tenant: (
                Customer.objects.filter(tenant_id=tenant)
                .prefetch_related("legal_entities")
                .order_by("public_id")
            ),
            render=lambda customer: _write_shape(customer_document(customer)),
        ),
        Exporter(
            kind="segments",
            rows=lambda tenant: Segment.objects.filter(tenant_id=tenant).order_by("public_id"),
            render=lambda segment: _write_shape(segment_document(segment)),
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
}
