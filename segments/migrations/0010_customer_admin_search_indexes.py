"""The customer admin's indexes at a million customers, on PostgreSQL only.

- `customer_search_trgm`: a GIN index of the trigrams (pg_trgm) of the customer's search
  text (`segments_project.db.search.search_text` of id, email, first and last name and
  company, upper-cased), what the customer list's search, the customer pickers and the
  members page's search compare with `icontains`. Without it each of them reads every
  customer (about 2 s at scale L).
- `customer_name_sort`: the customer list's default order (by name, case-insensitively, then
  id), so that its first page reads 50 index entries instead of sorting every customer.

Both are built from the expressions the admin queries with (`tests/admin/test_scale.py`
compares them and checks the plans). SQLite has no GIN indexes and scans as before.
"""

from __future__ import annotations

from django.db import migrations
from django.db.models import CharField, F, Index, Value
from django.db.models.functions import Concat, Lower, Trim

from segments_project.db.search import (
    TrigramIndex,
    add_postgresql_indexes,
    remove_postgresql_indexes,
)

SEARCH_FIELDS = ("public_id", "email", "first_name", "last_name", "company")
FULL_NAME = Trim(Concat("first_name", Value(" "), "last_name", output_field=CharField()))


def indexes() -> list[Index | TrigramIndex]:
    return [
        TrigramIndex("customer_search_trgm", SEARCH_FIELDS),
        Index(Lower(FULL_NAME), F("id"), name="customer_name_sort"),
    ]


def create_indexes(apps, schema_editor) -> None:
    add_postgresql_indexes(schema_editor, apps.get_model("segments", "Customer"), indexes())


def drop_indexes(apps, schema_editor) -> None:
    remove_postgresql_indexes(schema_editor, apps.get_model("segments", "Customer"), indexes())


class Migration(migrations.Migration):
    dependencies = [("segments", "0009_customer_mixins_path_indexes")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
