"""The product and category pickers' ranking at millions of rows, on PostgreSQL only.

A picker lists the rows whose id, code or name equals the typed term first, then those where
one of them starts with it, each rank by name (`segments_project.tenancy.admin_ranking`).
These btree indexes of the lower-cased texts in bytewise order (`COLLATE "C"`, as `admin_ranking.BytewiseText` compares) answer the
equality and `LIKE 'term%'`, and the name's (with the id) reads a rank in name order, a
page at a time: without them ranking "Audio product 1" read each of its 79,000 matches at
scale L. SQLite compares text bytewise and scans, as before.
"""

from __future__ import annotations

from django.db import migrations
from django.db.models import F, Index
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Collate, Lower

from segments_project.db.search import add_postgresql_indexes, remove_postgresql_indexes
from segments_project.tenancy.admin_ranking import default_language


def _indexes(model: str) -> list[Index]:
    name = Lower(KeyTextTransform(default_language(), "name"))
    return [
        Index(Collate(Lower("public_id"), "C"), name=f"{model}_id_bytewise"),
        Index(Collate(Lower("code"), "C"), name=f"{model}_code_bytewise"),
        Index(Collate(name, "C"), F("id"), name=f"{model}_name_bytewise"),
    ]


def create_indexes(apps, schema_editor) -> None:
    for model in ("product", "category"):
        add_postgresql_indexes(schema_editor, apps.get_model("catalog", model), _indexes(model))


def drop_indexes(apps, schema_editor) -> None:
    for model in ("product", "category"):
        remove_postgresql_indexes(schema_editor, apps.get_model("catalog", model), _indexes(model))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_admin_search_indexes")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
