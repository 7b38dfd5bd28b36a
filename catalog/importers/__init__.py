"""The import kinds the catalog owns, registered in `segments_project.imports.kinds` by
`CatalogConfig.ready()`: `categories`, `products`, `product-categories`."""

from __future__ import annotations

from segments_project.imports.chunks import Importer

from .assignments import ProductCategoryImporter
from .categories import CategoryImporter
from .products import ProductImporter

KINDS: tuple[type[Importer], ...] = (CategoryImporter, ProductImporter, ProductCategoryImporter)
