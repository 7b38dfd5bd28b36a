"""The catalog's products and categories in the admin, with the segments that give them.

The catalog registers its admins; this module re-registers them with a segments column:
the catalog sits below the segments app and cannot know them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from catalog.admin.categories import CategoryAdmin
from catalog.admin.products import ProductAdmin
from catalog.models import Category, Product
from segments_project.admin import localized_display

from ..models import ItemType, Segment, SegmentItemAssignment
from ..selectors.storefront_match import match_products
from .columns import count_of


def _segment_links(segments: QuerySet, note: dict[str, str]) -> str:
    rows = [
        (
            reverse("admin:segments_segment_change", args=[segment.pk]),
            segment.public_id,
            localized_display(segment.name),
            note.get(segment.public_id, ""),
        )
        for segment in segments.order_by("public_id")
    ]
    if not rows:
        return "none"
    return format_html(
        '<ul class="seg-memberships">{}</ul>',
        format_html_join(
            "", '<li><a href="{}">{}</a> {} <span class="seg-muted">{}</span></li>', rows
        ),
    )


class ProductWithSegmentsAdmin(ProductAdmin):
    """The catalog's product admin with the segments that give each product."""

    list_display = [*ProductAdmin.list_display, "segment_count"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        direct = count_of(SegmentItemAssignment, "product")
        return super().get_queryset(request).annotate(direct_segments=direct)

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "segments"]

    def get_fieldsets(self, request: HttpRequest, obj: Product | None = None) -> list[Any]:
        sets = super().get_fieldsets(request, obj)
        if obj is not None:
            sets.insert(2, ("Segments", {"fields": ["segments"]}))
        return sets

    @admin.display(description="segments (direct)", ordering="direct_segments")
    def segment_count(self, product: Product) -> int:
        return product.direct_segments

    @admin.display(description="given by the segments")
    def segments(self, product: Product) -> str:
        """Directly or through an assigned category, as the storefront's matcher decides."""
        tenant_segments = Segment.objects.for_tenant(product.tenant_id)
        matched = match_products(
            tenant=product.tenant_id, product_ids=[product.public_id], segments=tenant_segments
        ).get(product.public_id, [])
        direct = set(
            SegmentItemAssignment.objects.filter(product=product).values_list(
                "segment__public_id", flat=True
            )
        )
        note = {
            segment_id: "(directly)" if segment_id in direct else "(through a category)"
            for segment_id in matched
        }
        return _segment_links(tenant_segments.filter(public_id__in=matched), note)


class CategoryWithSegmentsAdmin(CategoryAdmin):
    """The catalog's category admin with the segments that give each category."""

    def get_readonly_fields(self, request: HttpRequest, obj: Category | None = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "segments"]

    def get_fieldsets(self, request: HttpRequest, obj: Category | None = None) -> list[Any]:
        sets = super().get_fieldsets(request, obj)
        if obj is not None:
            sets.insert(2, ("Segments", {"fields": ["segments"]}))
        return sets

    @admin.display(description="given by the segments")
    def segments(self, category: Category) -> str:
        """Segments holding the category itself or one of its ancestors (whose subtree it is)."""
        lineage = [*category.ancestor_pks, category.pk]
        rows = SegmentItemAssignment.objects.filter(
            tenant_id=category.tenant_id, item_type=ItemType.CATEGORY, category_id__in=lineage
        ).values_list("segment__public_id", "category_id", "category__public_id")
        note: dict[str, str] = {}
        for segment_id, category_pk, category_id in rows:
            if category_pk == category.pk:
                note[segment_id] = "(directly)"
            else:
                note.setdefault(segment_id, f"(through {category_id})")
        segments = Segment.objects.for_tenant(category.tenant_id).filter(public_id__in=note)
        return _segment_links(segments, note)


for _model, _admin_class in (
    (Product, ProductWithSegmentsAdmin),
    (Category, CategoryWithSegmentsAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)
