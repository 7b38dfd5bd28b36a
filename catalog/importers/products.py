"""The `products` import kind: product documents, upserted by id as a `PUT
/products/{id}` would, written by `products_upsert_many` (see
`segments_project.imports.documents`)."""

from __future__ import annotations

from segments_project.imports.documents import DocumentImporter
from segments_project.imports.formats import MIXINS, Field, FieldType, Layout

from ..documents.products import product_values
from ..services.products import products_upsert_many


class ProductImporter(DocumentImporter):
    kind = "products"
    label = "product"
    layout = Layout(
        (
            Field("id"),
            Field("code"),
            Field("name", FieldType.LOCALIZED),
            Field("published", FieldType.BOOL),
            *MIXINS,
        )
    )
    values = staticmethod(product_values)
    upsert_many = staticmethod(products_upsert_many)
