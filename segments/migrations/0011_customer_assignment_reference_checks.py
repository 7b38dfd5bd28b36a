"""The references of customer assignments checked once per statement, on PostgreSQL only.

A customer assignment references its tenant, segment, customer and legal entity. As
foreign keys, PostgreSQL checks each inserted row with a row trigger per key, at commit
(Django's keys are deferred): four trigger calls and three one-row lookups per row, each
locking the referenced row `FOR KEY SHARE`. A full evaluation that adds 330,000 members at
scale L spent 9 to 13 s of its commit in them (at M, 33,333 rows: customer 410 ms, tenant
230-290, segment 175-230, the NULL legal entity 40; docs/benchmarks.md, "Rule segments").

Here the four keys of this one table are replaced by the same checks, set-based, once per
statement, with the same locks:

- after every INSERT, and every UPDATE that changes a reference, of assignments: the
  referenced customers, segments, legal entities and tenants are locked `FOR KEY SHARE` in
  one query each (as the foreign keys' checks lock them, so a concurrent delete of one waits
  for the transaction), and a reference whose row is missing (or deleted while the lock
  waited) is a foreign-key violation (SQLSTATE 23503, Django's IntegrityError);
- after every DELETE of customers, segments, legal entities or tenants, and every change
  of their key, an assignment still referencing a removed row is the same violation (the
  query runs after any lock wait, so it sees an assignment committed meanwhile).

The checks run at the end of the statement instead of at commit: every writer inserts
assignments after the rows they reference exist, and deletes them before those rows
(Django's deletion collector deletes dependants first). SQLite keeps its foreign keys.
`tests/segments/test_assignment_references.py` proves each check, and that a customer
deleted during an evaluation leaves no assignment behind in either order.
"""

from __future__ import annotations

from django.db import migrations

ASSIGNMENTS = "segments_segmentcustomerassignment"

# column -> (referenced table, its key)
REFERENCES = {
    "tenant_id": ("tenancy_tenant", "name"),
    "segment_id": ("segments_segment", "id"),
    "customer_id": ("segments_customer", "id"),
    "legal_entity_id": ("segments_legalentity", "id"),
}

# The foreign keys Django made (0001), re-created when the migration is reversed.
FOREIGN_KEYS = {
    "tenant_id": "segments_segmentcust_tenant_id_a074a60e_fk_tenancy_t",
    "segment_id": "segments_segmentcust_segment_id_e785bc13_fk_segments_",
    "customer_id": "segments_segmentcust_customer_id_d3a0b7a5_fk_segments_",
    "legal_entity_id": "segments_segmentcust_legal_entity_id_4dd60db2_fk_segments_",
}


def _lock_and_check(rows: str) -> str:
    """plpgsql: lock what the assignments of `rows` (a query) reference, and raise if a
    referenced row is missing. A statement trigger fires for no rows too (a customer
    write's evaluation that adds no member): then one query and nothing else."""
    checks = [
        f"""
  IF NOT EXISTS ({rows}) THEN
    RETURN NULL;
  END IF;"""
    ]
    # One pass over the distinct references: each referenced row locked (a row deleted by
    # a transaction the lock waited for is skipped, so it counts as missing), in key order
    # so that the locks walk the referenced table's index and pages in order.
    for column, (table, key) in REFERENCES.items():
        checks.append(
            f"""
  IF EXISTS (SELECT 1 FROM (SELECT count(*) AS wanted, count(r.{key}) AS found
        FROM (SELECT DISTINCT {column} AS v FROM ({rows}) AS n WHERE {column} IS NOT NULL
              ORDER BY 1) AS d
        LEFT JOIN LATERAL (SELECT {key} FROM {table} WHERE {key} = d.v FOR KEY SHARE) AS r
        ON TRUE) AS c WHERE c.found <> c.wanted) THEN
    RAISE foreign_key_violation USING MESSAGE = format(
      'insert or update on table "{ASSIGNMENTS}" violates its reference'
      ' of {column} to "{table}"'),
      DETAIL = 'A referenced row is not present in table "{table}".';
  END IF;"""
        )
    return "".join(checks)


_CHANGED = (
    "SELECT n.* FROM new_rows AS n JOIN old_rows AS o ON o.id = n.id"
    " WHERE (n.tenant_id, n.segment_id, n.customer_id, n.legal_entity_id)"
    " IS DISTINCT FROM (o.tenant_id, o.segment_id, o.customer_id, o.legal_entity_id)"
)


def _referenced_check(column: str, table: str, key: str) -> str:
    """plpgsql: raise if an assignment references a row `old_rows` removed from `table`."""
    return f"""
CREATE FUNCTION {table}_assignments_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM {ASSIGNMENTS} AS a JOIN old_rows AS o ON a.{column} = o.{key}
    WHERE NOT EXISTS (SELECT 1 FROM {table} AS r WHERE r.{key} = o.{key})
  ) THEN
    RAISE foreign_key_violation USING MESSAGE = format(
      'update or delete on table "{table}" violates the reference of "{ASSIGNMENTS}"'),
      DETAIL = 'A removed row is still referenced from table "{ASSIGNMENTS}".';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER {table}_assignments_delete AFTER DELETE ON {table}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
  EXECUTE FUNCTION {table}_assignments_check();
CREATE TRIGGER {table}_assignments_key AFTER UPDATE OF {key} ON {table}
  FOR EACH ROW WHEN (OLD.{key} IS DISTINCT FROM NEW.{key})
  EXECUTE FUNCTION {table}_assignments_key_check();
"""


def _key_check(column: str, table: str, key: str) -> str:
    """plpgsql, per row whose key changed (never done by the service): the same check."""
    return f"""
CREATE FUNCTION {table}_assignments_key_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM {ASSIGNMENTS} AS a WHERE a.{column} = OLD.{key}) THEN
    RAISE foreign_key_violation USING MESSAGE = format(
      'update or delete on table "{table}" violates the reference of "{ASSIGNMENTS}"'),
      DETAIL = 'A changed key is still referenced from table "{ASSIGNMENTS}".';
  END IF;
  RETURN NULL;
END $$;
"""


FORWARD = f"""
CREATE FUNCTION {ASSIGNMENTS}_inserted_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{_lock_and_check("SELECT * FROM new_rows")}
  RETURN NULL;
END $$;
CREATE FUNCTION {ASSIGNMENTS}_updated_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN{_lock_and_check(_CHANGED)}
  RETURN NULL;
END $$;
CREATE TRIGGER {ASSIGNMENTS}_references_insert AFTER INSERT ON {ASSIGNMENTS}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION {ASSIGNMENTS}_inserted_check();
CREATE TRIGGER {ASSIGNMENTS}_references_update AFTER UPDATE ON {ASSIGNMENTS}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION {ASSIGNMENTS}_updated_check();
""" + "".join(
    _key_check(column, table, key) + _referenced_check(column, table, key)
    for column, (table, key) in REFERENCES.items()
)

BACKWARD = (
    "".join(
        f"DROP TRIGGER {table}_assignments_delete ON {table};"
        f" DROP TRIGGER {table}_assignments_key ON {table};"
        f" DROP FUNCTION {table}_assignments_check();"
        f" DROP FUNCTION {table}_assignments_key_check();"
        for table, _ in REFERENCES.values()
    )
    + f"DROP TRIGGER {ASSIGNMENTS}_references_insert ON {ASSIGNMENTS};"
    + f" DROP TRIGGER {ASSIGNMENTS}_references_update ON {ASSIGNMENTS};"
    + f" DROP FUNCTION {ASSIGNMENTS}_inserted_check();"
    + f" DROP FUNCTION {ASSIGNMENTS}_updated_check();"
    + "".join(
        f" ALTER TABLE {ASSIGNMENTS} ADD CONSTRAINT {FOREIGN_KEYS[column]}"
        f" FOREIGN KEY ({column}) REFERENCES {table} ({key}) DEFERRABLE INITIALLY DEFERRED;"
        for column, (table, key) in REFERENCES.items()
    )
)


def _foreign_keys(schema_editor) -> list[str]:
    """The names of the assignment table's foreign keys (as Django named them)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [ASSIGNMENTS],
        )
        return [name for (name,) in cursor.fetchall()]


def forward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in _foreign_keys(schema_editor):
        schema_editor.execute(f"ALTER TABLE {ASSIGNMENTS} DROP CONSTRAINT {name}")
    schema_editor.execute(FORWARD)


def backward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("segments", "0010_customer_admin_search_indexes")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
