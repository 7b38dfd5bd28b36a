"""What the catalog needs from the apps above it (which it cannot import).

- `SEGMENT_CATEGORIES(tenant, segment_ids)`: the Category rows assigned to any of those
  segments (the `segmentsIds` filter of category assignments). Provided by segments.
- `ROWS_DELETING`: called inside the deleting transaction, before products or categories
  are deleted, with `model` (Product or Category), `tenant` and `pks` (the rows about to go;
  for a category deletion the whole subtree). Whatever references them and goes with them
  by cascade can record it. Connected by segments (the audit of its item assignments).
- `STOREFRONT_CHANGED(tenant, categories=pks, products=pks, product_categories=pks)`:
  inside a catalog write's transaction, marks the cached storefront answers that show these
  categories or products, or the categories of `product_categories` (their links changed),
  stale (for a deletion, before the rows go; for a move, with the old parent). Provided by
  segments.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from django.db.models import Model, QuerySet

from segments_project.registry import Hooks, Slot


class RowsDeleting(Protocol):
    def __call__(self, *, model: type[Model], tenant: str, pks: Iterable[int]) -> None: ...


SEGMENT_CATEGORIES: Slot[[str, list[str]], QuerySet] = Slot(
    "catalog.segment_categories", provided_by=("segments",)
)
STOREFRONT_CHANGED: Slot[..., None] = Slot("catalog.storefront_changed", provided_by=("segments",))
ROWS_DELETING: Hooks[RowsDeleting] = Hooks("catalog.rows_deleting", provided_by=("segments",))
