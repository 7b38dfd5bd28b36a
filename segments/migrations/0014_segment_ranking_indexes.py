"""The segment picker's ranking and search at scale L (20,000 segments), on PostgreSQL only.

As the customer, product and category pickers (segments 0013, catalog 0003): btree indexes
of the lower-cased id and name in bytewise order (`COLLATE "C"`, as
`admin_ranking.BytewiseText` compares) answer a picker's exact and prefix ranks, the name's
(with the id) a page of a rank in name order; the name's in the database's collation (with
the id) reads the rest in name order; a GIN index of the trigrams of the search text
(`segment_search_trgm`, `segments_project.db.search`) finds the segments a search names.
Without them each rank read every segment of the tenant (0.1 to 0.2 s per query at L).
SQLite compares text bytewise and scans, as before.
"""

from __future__ import annotations

from django.db import migrations
from django.db.models import F, Index
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Collate, Lower

from segments_project.db.search import (
    TrigramIndex,
    add_postgresql_indexes,
    remove_postgresql_indexes,
)
from segments_project.tenancy.admin_ranking import default_language


def indexes() -> list[Index | TrigramIndex]:
    name = Lower(KeyTextTransform(default_language(), "name"))
    return [
        Index(Collate(Lower("public_id"), "C"), name="segment_id_bytewise"),
        Index(Collate(name, "C"), F("id"), name="segment_name_bytewise"),
        Index(name, F("id"), name="segment_name_sort"),
        TrigramIndex("segment_search_trgm", ("public_id", "name")),
    ]


def create_indexes(apps, schema_editor) -> None:
    add_postgresql_indexes(schema_editor, apps.get_model("segments", "Segment"), indexes())


def drop_indexes(apps, schema_editor) -> None:
    remove_postgresql_indexes(schema_editor, apps.get_model("segments", "Segment"), indexes())


class Migration(migrations.Migration):
    dependencies = [("segments", "0013_customer_ranking_indexes")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
