"""The customer pickers' word rank at a million customers, on PostgreSQL only.

A picker lists the customers whose last name equals or starts with the typed term after
the exact and prefix matches, by last name then by name
(`segments_project.tenancy.admin_ranking`). This btree index of the lower-cased last name,
then the lower-cased name, in bytewise order (`COLLATE "C"`), then the id, reads a page of
that rank in its order: without it a common last name ("Weber", 65,000 customers at scale
L) was found by walking the name index past every customer whose first name sorts before
the first match (32,500). SQLite compares text bytewise and scans, as before.
"""

from __future__ import annotations

from django.db import migrations
from django.db.models import CharField, F, Index, Value
from django.db.models.functions import Collate, Concat, Lower, Trim

from segments_project.db.search import add_postgresql_indexes, remove_postgresql_indexes

FULL_NAME = Trim(Concat("first_name", Value(" "), "last_name", output_field=CharField()))


def indexes() -> list[Index]:
    return [
        Index(
            Collate(Lower("last_name"), "C"),
            Collate(Lower(FULL_NAME), "C"),
            F("id"),
            name="customer_last_name_bytewise",
        ),
    ]


def create_indexes(apps, schema_editor) -> None:
    add_postgresql_indexes(schema_editor, apps.get_model("segments", "Customer"), indexes())


def drop_indexes(apps, schema_editor) -> None:
    remove_postgresql_indexes(schema_editor, apps.get_model("segments", "Customer"), indexes())


class Migration(migrations.Migration):
    dependencies = [("segments", "0014_segment_ranking_indexes")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
