"""The `product-categories` import kind: products in categories.

Rows name what they link by public ids (`productId`, `categoryId`). Per batch, the
categories and the products are resolved in one query each (unknown ids are rejected
with the API's messages), the stored links in one more, and the new links are inserted
in one statement.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from segments_project.imports.chunks import (
    Accepted,
    Importer,
    not_found,
    require_object,
    required_id,
)
from segments_project.imports.formats import Field, Layout
from segments_project.writes import Counts

from ..models import Category, CategoryAssignment, Product


class ProductCategoryImporter(Importer):
    """`productId`, `categoryId`: the product is in the category. A link has no data of its
    own, so a row is inserted or unchanged."""

    kind = "product-categories"
    label = "category assignment"
    layout = Layout((Field("productId"), Field("categoryId")))

    def accept(self, line: int, document: Any) -> Accepted:
        document = require_object(document, self.label)
        product_id = required_id(document, "productId")
        category_id = required_id(document, "categoryId")
        return Accepted(line, (category_id, product_id), {})

    def write(self, batch: list[Accepted], counts: Counts, now: datetime) -> None:
        categories = dict(
            Category.objects.filter(
                tenant_id=self.tenant, public_id__in={item.key[0] for item in batch}
            )
            .order_by()
            .values_list("public_id", "pk")
        )
        products = dict(
            Product.objects.filter(
                tenant_id=self.tenant, public_id__in={item.key[1] for item in batch}
            )
            .order_by()
            .values_list("public_id", "pk")
        )
        stored = set(
            CategoryAssignment.objects.filter(
                tenant_id=self.tenant,
                category_id__in=categories.values(),
                product_id__in=products.values(),
            )
            .order_by()
            .values_list("category_id", "product_id")
        )
        new = []
        for item in batch:
            category_id, product_id = item.key
            if category_id not in categories:
                error = not_found("category", "categoryId", category_id)
                self.reject(item.line, error, document=item)
            elif product_id not in products:
                self.reject(item.line, not_found("product", "productId", product_id))
            elif (categories[category_id], products[product_id]) in stored:
                counts.unchanged += 1
            else:
                counts.inserted += 1
                new.append(
                    CategoryAssignment(
                        tenant_id=self.tenant,
                        public_id=str(uuid.uuid4()),
                        category_id=categories[category_id],
                        product_id=products[product_id],
                        created_at=now,
                        modified_at=now,
                    )
                )
        # A link a concurrent writer made since the read is the same link: nothing to do.
        CategoryAssignment.objects.bulk_create(new, ignore_conflicts=True)
