from __future__ import annotations

from django.db import models


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
