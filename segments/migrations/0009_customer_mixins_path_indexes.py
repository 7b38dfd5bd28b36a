"""Expression indexes on the customer `mixins` paths rules compare most, on PostgreSQL only.

The `q` compiler compares a JSON member through a typed CASE (the member's value when it
has the compared JSON type, else NULL), and text comparisons in the "C" collation, e.g.
`mixins.orders.totalSpent:>=500` is

    (CASE WHEN jsonb_typeof(mixins #> '{orders,totalSpent}') = 'number'
          THEN (mixins #>> '{orders,totalSpent}')::numeric END) >= 500

A GIN index on `mixins` serves only containment (`@>`), which the compiler never emits for
mixins, so it would cost every write and serve no rule. These btree indexes hold exactly
the compiler's expressions (after the tenant), so a selective condition on the paths the
issue names (`orders.totalSpent`, `orders.lastOrderAt`, `loyalty.points`) is an index
range scan instead of a pass over every customer: at scale M, `lastOrderAt:>="-7d"` (5% of
the customers) 218 -> 68 ms and `totalSpent:>=2000` (1.4%) 204 -> 32 ms (docs/benchmarks.md,
"Rule segments"). Other paths a tenant's rules use a lot get an index of the same shape
(docs/dynamic-segments.md, "Speed"); `tests/segments/selectors/test_criteria_speed.py` fails if
the compiler's expression drifts from these.
"""

from __future__ import annotations

from django.db import migrations

NUMBER = "(CASE WHEN jsonb_typeof(mixins #> '{{{path}}}') = 'number' THEN (mixins #>> '{{{path}}}')::numeric END)"
TEXT = "((CASE WHEN jsonb_typeof(mixins #> '{{{path}}}') = 'string' THEN mixins #>> '{{{path}}}' END) COLLATE \"C\")"

# index name -> the indexed expression
INDEXES = {
    "customer_mixins_total_spent": NUMBER.format(path="orders,totalSpent"),
    "customer_mixins_last_order_at": TEXT.format(path="orders,lastOrderAt"),
    "customer_mixins_loyalty_points": NUMBER.format(path="loyalty,points"),
}


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for name, expression in INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON segments_customer (tenant_id, {expression})"
            )


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("segments", "0008_segment_evaluations")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
