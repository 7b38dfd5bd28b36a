"""Chainable filters of catalog rows, among them who may see what (the published rule)."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, F, OuterRef
from django.db.models.lookups import StartsWith


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

    def hiding(self, path: str) -> Exists:
        """True for outer rows whose materialized path (the outer field `path`) lies at or
        below an unpublished category of this queryset: its path is a prefix of theirs."""
        return Exists(self.filter(published=False).filter(StartsWith(OuterRef(path), F("path"))))

    def visible(self, *, show_unpublished: bool) -> CategoryQuerySet:
        """The categories a reader sees.

        Without `show_unpublished`, a category is visible when it and every ancestor are
        published: one under an unpublished category is hidden with it, as in the trees, so
        no answer names (as a parent, or by a path) a category the reader may not see.
        """
        if show_unpublished:
            return self
        tenant_categories = self.model.objects.filter(tenant_id=OuterRef("tenant_id"))
        return self.filter(published=True).filter(~tenant_categories.hiding("path"))
