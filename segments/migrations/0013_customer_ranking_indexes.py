"""The customer pickers' ranking at a million customers, on PostgreSQL only.

A picker lists the customers whose id, email or name equals the typed term first, then
those where one of them starts with it, each rank by name
(`segments_project.tenancy.admin_ranking`). These btree indexes of the lower-cased texts in
bytewise order (`COLLATE "C"`) answer the equality and `LIKE 'term%'`, and the name's (with
the id) reads every rank in name order, a page at a time: without them ranking a common
last name read each of its 65,000 matches at scale L. SQLite compares text bytewise and
scans, as before.
"""

from __future__ import annotations

from django.db import migrations
from django.db.models import CharField, F, Index, Value
from django.db.models.functions import Collate, Concat, Lower, Trim

from segments_project.db.search import add_postgresql_indexes, remove_postgresql_indexes

FULL_NAME = Trim(Concat("first_name", Value(" "), "last_name", output_field=CharField()))


def indexes() -> list[Index]:
    return [
        Index(Collate(Lower("public_id"), "C"), name="customer_id_bytewise"),
        Index(Collate(Lower("email"), "C"), name="customer_email_bytewise"),
        Index(Collate(Lower(FULL_NAME), "C"), F("id"), name="customer_name_bytewise"),
    ]


def create_indexes(apps, schema_editor) -> None:
    add_postgresql_indexes(schema_editor, apps.get_model("segments", "Customer"), indexes())


def drop_indexes(apps, schema_editor) -> None:
    remove_postgresql_indexes(schema_editor, apps.get_model("segments", "Customer"), indexes())


class Migration(migrations.Migration):
    dependencies = [("segments", "0012_member_added_index")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
