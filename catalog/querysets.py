"""Chainable filters of catalog rows, among them who may see what (the published rule)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Lookup


class PathThrough(Lookup):
    """`PathThrough(path, ids)`: the materialized path (`/12/40/57/`) passes through one of
    the categories whose surrogate ids the subquery `ids` selects (12, 40 or 57).

    The subquery is not correlated, so it runs once per statement. On PostgreSQL each row
    then costs one array overlap (`&&`) of its path's ids with that id array, however
    many categories the tenant has; elsewhere a text search of the path per selected id.
    """

    lookup_name = "path_through"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        found = f"instr({lhs}, '/' || through.through_id || '/') > 0"
        sql = f"EXISTS (SELECT 1 FROM {rhs} AS through WHERE {found})"
        return sql, [*rhs_params, *lhs_params]

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"string_to_array(btrim({lhs}, '/'), '/')::bigint[] && ARRAY{rhs}", [
            *lhs_params,
            *rhs_params,
        ]


class ProductQuerySet(models.QuerySet):
    def for_tenant(self, tenant: str) -> ProductQuerySet:
        return self.filter(tenant_id=tenant)

    def visible(self, *, show_unpublished: bool) -> ProductQuerySet:
        """The products a reader sees: unpublished ones only with `show_unpublished`."""
        return self if show_unpublished else self.filter(published=True)


class CategoryQuerySet(models.QuerySet):
    def for_tenant(self, tenant: str) -> CategoryQuerySet:
        return self.filter(tenant_id=tenant)

    def published(self) -> CategoryQuerySet:
        return self.filter(published=True)

    def subtree_of(self, path: str) -> CategoryQuerySet:
        """The category with this path and all its descendants (one prefix range scan)."""
        return self.filter(path__startswith=path)

    def descendants_of(self, path: str) -> CategoryQuerySet:
        return self.subtree_of(path).exclude(path=path)

    def hidden_by_unpublished(self, tenant: str, path: str = "path") -> PathThrough:
        """A condition on rows with a materialized path (the field `path`, of the category
        or through a relation): it is at or below an unpublished category of the tenant."""
        unpublished = (
            self.model.objects.filter(tenant_id=tenant, published=False)
            .order_by()
            .values(through_id=F("pk"))  # PathThrough names the column
        )
        return PathThrough(F(path), unpublished)

    def visible(self, *, tenant: str, show_unpublished: bool) -> CategoryQuerySet:
        """The tenant's categories a reader sees.

        Without `show_unpublished`, a category is visible when it and every ancestor are
        published: one under an unpublished category is hidden with it, as in the trees, so
        no answer names (as a parent, or by a path) a category the reader may not see.
        """
        categories = self.for_tenant(tenant)
        if show_unpublished:
            return categories
        return categories.filter(published=True).exclude(self.hidden_by_unpublished(tenant))
