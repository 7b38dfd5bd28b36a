"""Admin of categories: the tree as a list (depth first, siblings by position, in the order
of the stored tree keys), writes through the catalog services; deleting a category deletes
its subtree.

The segments app extends this admin with the segments that give a category.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR, ChangeList
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from segments_project.admin import ServiceWriteAdmin, localized_display
from segments_project.tenancy.admin_ranking import NAME_SORT, BytewiseText
from segments_project.tenancy.admin_scoping import (
    NameSortedChangeList,
    TenantScopedAdminMixin,
    require_tenant,
)

from ..models import CATEGORY_SEARCH_FIELDS, Category, CategoryAssignment
from ..services import categories as category_services
from .forms import CategoryAdminForm, category_document_from_form, category_label


class CategoryTreeChangeList(NameSortedChangeList):
    """Lists categories as a tree (depth first, siblings by position, then id) unless the
    user sorts by a column or searches; then it is the usual flat list (by name unless
    sorted).

    The tree's order is the stored tree key (`Category.tree_key`, kept by the services): a
    page is the next 100 keys of the index `category_tree_order` (catalog migration 0006),
    then those categories with their columns, whatever the size of the forest. A filtered
    tree keeps the full tree's order: a category whose parent is filtered out stays where
    it is in the tree."""

    def tree_mode(self) -> bool:
        return ORDER_VAR not in self.params and not self.params.get(SEARCH_VAR)

    def get_ordering_field_columns(self) -> dict[int, str]:
        # The tree's order is no column's.
        return {} if self.tree_mode() else super().get_ordering_field_columns()

    def get_results(self, request: HttpRequest) -> None:
        if not self.tree_mode():
            super().get_results(request)
            return
        # The keys alone first (no columns computed for rows an offset skips).
        keys = self.queryset.order_by("tenant_id", BytewiseText(F("tree_key"))).values_list(
            "pk", flat=True
        )
        paginator = self.model_admin.get_paginator(request, keys, self.list_per_page)
        result_count = paginator.count
        # Without a filter the two counts are one.
        full_result_count = self.root_queryset.count() if self.has_active_filters else result_count
        can_show_all = result_count <= self.list_max_show_all
        multi_page = result_count > self.list_per_page
        if (self.show_all and can_show_all) or not multi_page:
            page_pks = list(keys[: max(result_count, 1)])  # all of them, a few
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
    # One trigram-indexed text (migration 0002), as products.
    search_text_fields = CATEGORY_SEARCH_FIELDS
    autocomplete_fields = ["parent"]
    ordering = ["tenant_id", "path"]
    sort_by_name = True  # when not shown as the tree
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

    def autocomplete_labels(self, rows: list[Category]) -> dict[int, str]:
        """Each category with its place in the tree ("audio — Electronics > Audio"), the
        ancestors of the whole page read in one query."""
        wanted = {pk for category in rows for pk in category.ancestor_pks}
        ancestors = Category.objects.only("public_id", "name").in_bulk(wanted)
        labels = {}
        for category in rows:
            trail = [ancestors[pk] for pk in category.ancestor_pks if pk in ancestors]
            names = [localized_display(node.name) or node.public_id for node in trail]
            names.append(localized_display(category.name) or category.public_id)
            labels[category.pk] = f"{category.public_id} — {' > '.join(names)}"
        return labels

    @admin.display(description="category", ordering=NAME_SORT)
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
        saved = self.upsert_from_form(
            request,
            obj,
            form,
            change,
            document_from_form=category_document_from_form,
            upsert=lambda document: category_services.category_upsert(
                tenant=obj.tenant_id, category_id=obj.public_id, document=document
            ),
        )
        if saved is not None:
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
