"""Admin of products: the list with their categories, writes through the catalog services.

Placing a product in categories goes through the assignment services, one placement at a
time; the segments app extends this admin with the segments that give a product.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from segments_project.admin import ServiceWriteAdmin, localized_display
from segments_project.tenancy.admin_ranking import NAME_SORT
from segments_project.tenancy.admin_scoping import TenantScopedAdminMixin, require_tenant

from ..models import PRODUCT_SEARCH_FIELDS, CategoryAssignment, Product
from ..services import assignments as assignment_services
from ..services import products as product_services
from .forms import ProductAdminForm, product_document_from_form


@admin.register(Product)
class ProductAdmin(TenantScopedAdminMixin, ServiceWriteAdmin):
    form = ProductAdminForm
    list_display = ["public_id", "product_name", "code", "published", "category_list"]
    list_display_links = ["public_id", "product_name"]
    list_filter = ["published"]
    search_fields = ["public_id", "code", "name"]
    # One trigram-indexed text (migration 0002): searches stay fast at millions of products.
    search_text_fields = PRODUCT_SEARCH_FIELDS
    # One count of every product per page, not two: "N results" only.
    show_full_result_count = False
    # By name (`TenantScopedAdminMixin.get_ordering`), the name column showing it.
    sort_by_name = True
    list_per_page = 50
    readonly_fields = ["version", "created_at", "modified_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).prefetch_related("category_assignments__category")

    def get_fieldsets(self, request: HttpRequest, obj: Product | None = None) -> list[Any]:
        main = ["tenant", "public_id", "code", "name", "published"]
        sets: list[Any] = [(None, {"fields": main if obj is None else [*main, "base_version"]})]
        if obj is not None:
            sets.append(("Categories", {"fields": ["categories"]}))
        sets.append(
            ("Custom data", {"classes": ["collapse"], "fields": ["mixins", "metadata_mixins"]})
        )
        if obj is not None:
            sets.append(("Metadata", {"fields": ["version", "created_at", "modified_at"]}))
        return sets

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> list[str]:
        fixed = ["tenant", "public_id"] if obj else []
        return [*fixed, *self.readonly_fields]

    def autocomplete_label(self, product: Product) -> str:
        name = localized_display(product.name)
        label = f"{product.public_id} — {name}" if name else product.public_id
        return f"{label} (SKU {product.code})" if product.code else label

    @admin.display(description="name", ordering=NAME_SORT)
    def product_name(self, product: Product) -> str:
        return localized_display(product.name)

    @admin.display(description="categories")
    def category_list(self, product: Product) -> str:
        return ", ".join(
            sorted(placed.category.public_id for placed in product.category_assignments.all())
        )

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        values = form.cleaned_data

        @transaction.atomic
        def upsert(document: dict[str, Any]) -> tuple[Product, bool]:
            """The product, then its categories (on a change), in one transaction."""
            saved, created = product_services.product_upsert(
                tenant=obj.tenant_id, product_id=obj.public_id, document=document
            )
            if change and "categories" in values:
                self._place(saved, values["categories"])
            return saved, created

        saved = self.upsert_from_form(
            request, obj, form, change, document_from_form=product_document_from_form, upsert=upsert
        )
        if saved is not None:
            obj.pk, obj.version = saved.pk, saved.version

    def _place(self, product: Product, categories: Any) -> None:
        """Puts the product in exactly these categories, through the assignment services."""
        tenant = product.tenant_id
        current = set(
            CategoryAssignment.objects.filter(tenant_id=tenant, product=product).values_list(
                "category__public_id", flat=True
            )
        )
        wanted = {category.public_id for category in categories if category.tenant_id == tenant}
        for category_id in sorted(wanted - current):
            assignment_services.category_assignment_upsert(
                tenant=tenant, category_id=category_id, product_id=product.public_id
            )
        for category_id in sorted(current - wanted):
            assignment_services.category_assignment_delete_by_product(
                tenant=tenant, category_id=category_id, product_id=product.public_id
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Categories are written by save_model through the services; nothing else is related.
        return None

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        products = list(objs)
        placements = CategoryAssignment.objects.filter(product__in=products).count()
        summary = {"products": len(products), "category placements": placements}
        perms = set() if self.has_delete_permission(request) else {"product"}
        return [str(product) for product in products], summary, perms, []

    def delete_model(self, request: HttpRequest, obj: Product) -> None:
        require_tenant(request, obj.tenant_id)
        product_services.product_delete(tenant=obj.tenant_id, product_id=obj.public_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        # "Delete selected" goes through the service too, one product at a time.
        for tenant, product_id in queryset.values_list("tenant_id", "public_id"):
            product_services.product_delete(tenant=tenant, product_id=product_id)
