"""Admin for the catalog: the category tree and products with their categories.

Every write goes through the catalog services (validation, versions, tree locks, cache
invalidation); forms check their input with the API's document functions first, so the
admin refuses what the API refuses, with the same messages. Which segments hold a product
or category is shown by the segments app, which extends these admins (the catalog sits
below it and does not know segments).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR, ChangeList
from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from segments_project.admin import (
    DocumentAdminForm,
    LinesField,
    LocalizedTextField,
    ServiceWriteAdmin,
    localized_display,
)
from segments_project.api.documents import format_datetime
from segments_project.errors import ApplicationError
from segments_project.tenancy.admin_scoping import (
    TenantAutocompleteSelectMultiple,
    TenantScopedAdminMixin,
    require_tenant,
)

from ..documents.categories import category_values
from ..documents.products import product_values
from ..models import Category, CategoryAssignment, Product
from ..services import assignments as assignment_services
from ..services import categories as category_services
from ..services import products as product_services

# --- products ---------------------------------------------------------------------------------

_PRODUCT_ERROR_FIELDS = {
    "name": "name",
    "code": "code",
    "published": "published",
    "mixins": "mixins",
    "metadata.mixins": "metadata_mixins",
    "metadata": "metadata_mixins",
}


def product_document(values: dict[str, Any], *, version: int | None = None) -> dict[str, Any]:
    """The API document for a product form's cleaned values."""
    metadata: dict[str, Any] = {"mixins": values.get("metadata_mixins") or {}}
    if version is not None:
        metadata["version"] = version
    return {
        "code": values.get("code") or None,
        "name": values.get("name") or {},
        "published": bool(values.get("published")),
        "mixins": values.get("mixins") or {},
        "metadata": metadata,
    }


class ProductAdminForm(DocumentAdminForm):
    """A product: one name per language, its categories picked by autocomplete."""

    name = LocalizedTextField(label="Name", help_text="One name per language.")
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.none(),
        required=False,
        help_text="The categories the product is placed in.",
    )

    error_fields = _PRODUCT_ERROR_FIELDS

    class Meta:
        model = Product
        fields = ["tenant", "public_id", "code", "name", "published", "mixins", "metadata_mixins"]
        help_texts = {"published": "Unpublished products are hidden from storefronts."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "categories" in self.fields:
            tenant = self.instance.tenant_id if self.instance.pk else None
            field = self.fields["categories"]
            field.queryset = (
                Category.objects.filter(tenant_id=tenant) if tenant else Category.objects.none()
            )
            field.label_from_instance = category_label
            field.widget = TenantAutocompleteSelectMultiple(
                CategoryAssignment._meta.get_field("category"), admin.site, tenant=tenant
            )
            field.widget.choices = field.choices
            if self.instance.pk:
                field.initial = list(
                    CategoryAssignment.objects.filter(
                        tenant_id=tenant, product=self.instance
                    ).values_list("category_id", flat=True)
                )

    def check_document(self, cleaned: dict[str, Any]) -> None:
        product_values(product_document(cleaned), content_language=None)


def category_label(category: Category) -> str:
    name = localized_display(category.name)
    return f"{category.public_id} — {name}" if name else category.public_id


@admin.register(Product)
class ProductAdmin(TenantScopedAdminMixin, ServiceWriteAdmin):
    form = ProductAdminForm
    list_display = ["public_id", "product_name", "code", "published", "category_list"]
    list_display_links = ["public_id", "product_name"]
    list_filter = ["published"]
    search_fields = ["public_id", "code", "name"]
    ordering = ["tenant_id", "public_id"]
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
        return f"{product.public_id} — {name}" if name else product.public_id

    @admin.display(description="name")
    def product_name(self, product: Product) -> str:
        return localized_display(product.name)

    @admin.display(description="categories")
    def category_list(self, product: Product) -> str:
        return ", ".join(
            sorted(placed.category.public_id for placed in product.category_assignments.all())
        )

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        require_tenant(request, obj.tenant_id)
        values = form.cleaned_data
        document = product_document(values, version=values.get("base_version") if change else None)
        try:
            with transaction.atomic():
                saved, _ = product_services.product_upsert(
                    tenant=obj.tenant_id, product_id=obj.public_id, document=document
                )
                if change and "categories" in values:
                    self._place(saved, values["categories"])
        except ApplicationError as exc:
            self.write_failed(request, exc)
            return
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


# --- categories -------------------------------------------------------------------------------

_CATEGORY_ERROR_FIELDS = {
    "localizedName": "name",
    "localizedDescription": "description",
    "localizedSlug": "slug",
    "code": "code",
    "ecn": "ecn",
    "position": "position",
    "published": "published",
    "validity": "valid_to",
    "validity.from": "valid_from",
    "validity.to": "valid_to",
    "parentId": "parent",
    "mixins": "mixins",
    "metadata.mixins": "metadata_mixins",
    "metadata": "metadata_mixins",
}


def category_document(values: dict[str, Any], *, version: int | None = None) -> dict[str, Any]:
    """The API document for a category form's cleaned values."""
    metadata: dict[str, Any] = {"mixins": values.get("metadata_mixins") or {}}
    if version is not None:
        metadata["version"] = version
    parent = values.get("parent")
    return {
        "parentId": parent.public_id if parent is not None else None,
        "localizedName": values.get("name") or {},
        "localizedDescription": values.get("description") or None,
        "localizedSlug": values.get("slug") or None,
        "code": values.get("code") or None,
        "ecn": values.get("ecn") or [],
        "position": values.get("position"),
        "published": bool(values.get("published")),
        "validity": {
            "from": format_datetime(values.get("valid_from")),
            "to": format_datetime(values.get("valid_to")),
        },
        "mixins": values.get("mixins") or {},
        "metadata": metadata,
    }


class CategoryAdminForm(DocumentAdminForm):
    name = LocalizedTextField(label="Name", help_text="One name per language.")
    description = LocalizedTextField(label="Description", required=False, multiline=True)
    slug = LocalizedTextField(label="URL slug", required=False)
    ecn = LinesField(
        label="External category numbers", required=False, help_text="One number per line."
    )
    position = forms.IntegerField(
        required=False,
        min_value=0,
        help_text="Order among its siblings (smallest first). Empty: after the last one.",
    )

    error_fields = _CATEGORY_ERROR_FIELDS

    class Meta:
        model = Category
        fields = [
            "tenant",
            "public_id",
            "parent",
            "name",
            "description",
            "slug",
            "code",
            "ecn",
            "position",
            "published",
            "valid_from",
            "valid_to",
            "mixins",
            "metadata_mixins",
        ]
        labels = {"code": "Code", "valid_to": "Valid until"}
        help_texts = {
            "code": "Optional code of the category in other systems.",
            "valid_from": "Empty: valid from the start. Times are in UTC.",
            "valid_to": "Empty: valid without end.",
            "parent": "Empty for a top-level category. Moving a category moves its subtree.",
            "published": "Unpublished categories, and everything below them, are hidden from "
            "storefronts.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "position" in self.fields and not self.instance.pk:
            self.fields["position"].initial = None
        parent = self.fields.get("parent")
        if parent is not None and self.instance.pk:
            # Only categories of the same tenant can be the parent.
            parent.queryset = parent.queryset.filter(tenant_id=self.instance.tenant_id)
            if hasattr(parent.widget, "tenant"):
                parent.widget.tenant = self.instance.tenant_id

    def check_relations(self, cleaned: dict[str, Any], tenant: Any) -> None:
        parent = cleaned.get("parent")
        if parent is not None and tenant is not None and parent.tenant_id != tenant.pk:
            self.add_error("parent", "The parent must be a category of the same tenant.")
        if parent is not None and self.instance.pk and parent.path.startswith(self.instance.path):
            self.add_error("parent", "A category cannot move under itself or its descendants.")

    def check_document(self, cleaned: dict[str, Any]) -> None:
        category_values(category_document(cleaned), content_language=None)


def tree_order(rows: list[tuple[int, int | None, int, str]]) -> list[int]:
    """The pks of (pk, parent pk, position, public id) rows depth first, siblings by position.

    A row whose parent is not among the rows (filtered out) starts a tree of its own.
    """
    present = {pk for pk, _, _, _ in rows}
    children: dict[int | None, list[tuple[int, str, int]]] = {}
    for pk, parent, position, public_id in rows:
        key = parent if parent in present else None
        children.setdefault(key, []).append((position, public_id, pk))
    ordered: list[int] = []
    stack = sorted(children.get(None, []), reverse=True)
    while stack:
        _, _, pk = stack.pop()
        ordered.append(pk)
        stack.extend(sorted(children.get(pk, []), reverse=True))
    return ordered


class CategoryTreeChangeList(ChangeList):
    """Lists categories as a tree (depth first, siblings by position) unless the user sorts
    by a column or searches; then it is the usual flat list."""

    def tree_mode(self) -> bool:
        return ORDER_VAR not in self.params and not self.params.get(SEARCH_VAR)

    def get_results(self, request: HttpRequest) -> None:
        if not self.tree_mode():
            super().get_results(request)
            return
        rows = list(
            self.queryset.order_by().values_list("pk", "parent_id", "position", "public_id")
        )
        order = tree_order(rows)
        paginator = self.model_admin.get_paginator(request, order, self.list_per_page)
        result_count = paginator.count
        full_result_count = self.root_queryset.count()
        can_show_all = result_count <= self.list_max_show_all
        multi_page = result_count > self.list_per_page
        if (self.show_all and can_show_all) or not multi_page:
            page_pks = order
        else:
            page_pks = list(paginator.page(self.page_num).object_list)
        by_pk = self.queryset.in_bulk(page_pks)
        self.result_count = result_count
        self.show_full_result_count = True
        self.show_admin_actions = bool(full_result_count)
        self.full_result_count = full_result_count
        self.result_list = [by_pk[pk] for pk in page_pks if pk in by_pk]
        self.can_show_all = can_show_all
        self.multi_page = multi_page
        self.paginator = paginator


@admin.register(Category)
class CategoryAdmin(TenantScopedAdminMixin, ServiceWriteAdmin):
    form = CategoryAdminForm
    list_display = ["tree_name", "public_id", "code", "position", "published", "product_count"]
    list_display_links = ["tree_name"]
    list_filter = ["published"]
    search_fields = ["public_id", "code", "name"]
    autocomplete_fields = ["parent"]
    ordering = ["tenant_id", "path"]
    list_per_page = 100
    readonly_fields = ["path_display", "version", "created_at", "modified_at"]

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CategoryTreeChangeList

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        placed = (
            CategoryAssignment.objects.filter(category=OuterRef("pk"))
            .order_by()
            .values("category")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .select_related("parent")
            .annotate(placed_products=Coalesce(Subquery(placed), 0))
        )

    def get_fieldsets(self, request: HttpRequest, obj: Category | None = None) -> list[Any]:
        main = ["tenant", "public_id", "parent", "name", "description", "slug"]
        if obj is not None:
            main = [*main, "base_version"]
        sets: list[Any] = [
            (None, {"fields": main}),
            (
                "Placement and visibility",
                {"fields": ["code", "ecn", "position", "published", ("valid_from", "valid_to")]},
            ),
            ("Custom data", {"classes": ["collapse"], "fields": ["mixins", "metadata_mixins"]}),
        ]
        if obj is not None:
            sets.append(
                ("Metadata", {"fields": ["path_display", "version", "created_at", "modified_at"]})
            )
        return sets

    def get_readonly_fields(self, request: HttpRequest, obj: Category | None = None) -> list[str]:
        fixed = ["tenant", "public_id"] if obj else []
        return [*fixed, *self.readonly_fields]

    def autocomplete_label(self, category: Category) -> str:
        return category_label(category)

    @admin.display(description="category")
    def tree_name(self, category: Category) -> str:
        name = localized_display(category.name) or category.public_id
        if category.depth == 0:
            return format_html("<strong>{}</strong>", name)
        return format_html(
            '<span style="padding-left:{}em" class="tree-indent">└ {}</span>',
            1.5 * category.depth,
            name,
        )

    @admin.display(description="products", ordering="placed_products")
    def product_count(self, category: Category) -> int:
        return category.placed_products

    @admin.display(description="place in the tree")
    def path_display(self, category: Category) -> str:
        ancestors = Category.objects.in_bulk(category.ancestor_pks)
        trail = [ancestors[pk] for pk in category.ancestor_pks if pk in ancestors]
        return format_html_join(
            " \u203a ", "{}", ((category_label(node),) for node in [*trail, category])
        )

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        require_tenant(request, obj.tenant_id)
        values = form.cleaned_data
        document = category_document(values, version=values.get("base_version") if change else None)
        try:
            saved, _ = category_services.category_upsert(
                tenant=obj.tenant_id, category_id=obj.public_id, document=document
            )
        except ApplicationError as exc:
            self.write_failed(request, exc)
            return
        obj.pk, obj.version, obj.path = saved.pk, saved.version, saved.path

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        categories = list(objs)
        subtree = Category.objects.none()
        for category in categories:
            subtree = subtree | Category.objects.filter(
                tenant_id=category.tenant_id, path__startswith=category.path
            )
        below = subtree.count() - len(categories)
        placements = CategoryAssignment.objects.filter(category__in=subtree).count()
        summary = {
            "categories": len(categories),
            "subcategories": below,
            "product placements": placements,
        }
        perms = set() if self.has_delete_permission(request) else {"category"}
        return [str(category) for category in categories], summary, perms, []

    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        require_tenant(request, obj.tenant_id)
        category_services.category_delete(
            tenant=obj.tenant_id, category_id=obj.public_id, with_subcategories=True
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        # Deepest first, so that a subtree deleted with its root is not deleted twice.
        for tenant, category_id in queryset.order_by("-depth").values_list(
            "tenant_id", "public_id"
        ):
            category_services.category_delete(
                tenant=tenant, category_id=category_id, with_subcategories=True
            )
