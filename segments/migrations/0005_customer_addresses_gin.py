"""A GIN index (jsonb_path_ops) on customers' addresses, on PostgreSQL only.

The `q` compiler turns `addresses.<member>:<value>` (and `(a,b)`) into jsonb containment
(`addresses @> '[{"country": "DE"}]'`), which this index serves; SQLite has no GIN
indexes and filters through `json_each`. Not declared in the model's `Meta.indexes`, where
a GinIndex would be created on SQLite too.
"""

from __future__ import annotations

from django.db import migrations

INDEX = "customer_addresses_gin"


def create_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON segments_customer "
            "USING gin (addresses jsonb_path_ops)"
        )


def drop_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("segments", "0004_customer_profile")]

    operations = [migrations.RunPython(create_index, drop_index)]
