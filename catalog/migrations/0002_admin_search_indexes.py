"""The product and category admins' indexes at scale L (2,000,000 products, 200,000
categories), on PostgreSQL only.

- `product_search_trgm`, `category_search_trgm`: GIN indexes of the trigrams (pg_trgm) of
  the search text (`segments_project.db.search.search_text` of id, code and the localized
  name's JSON, upper-cased) that the lists' searches and the pickers compare with
  `icontains`; without them each reads every row.
- `product_name_sort`: the product list's default order (the name in the default language,
  case-insensitively, then id), so that its first page reads 50 index entries instead of
  sorting every product.

SQLite has no GIN indexes and scans as before.
"""

from __future__ import annotations

from django.db import migrations
from django.db.models import F, Index
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Lower

from segments_project.db.search import (
    TrigramIndex,
    add_postgresql_indexes,
    remove_postgresql_indexes,
)
from segments_project.tenancy.admin_ranking import default_language

SEARCH_FIELDS = ("public_id", "code", "name")


def product_indexes() -> list[Index | TrigramIndex]:
    name = Lower(KeyTextTransform(default_language(), "name"))
    return [
        TrigramIndex("product_search_trgm", SEARCH_FIELDS),
        Index(name, F("id"), name="product_name_sort"),
    ]


def category_indexes() -> list[Index | TrigramIndex]:
    return [TrigramIndex("category_search_trgm", SEARCH_FIELDS)]


def create_indexes(apps, schema_editor) -> None:
    add_postgresql_indexes(schema_editor, apps.get_model("catalog", "Product"), product_indexes())
    add_postgresql_indexes(schema_editor, apps.get_model("catalog", "Category"), category_indexes())


def drop_indexes(apps, schema_editor) -> None:
    remove_postgresql_indexes(
        schema_editor, apps.get_model("catalog", "Product"), product_indexes()
    )
    remove_postgresql_indexes(
        schema_editor, apps.get_model("catalog", "Category"), category_indexes()
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
