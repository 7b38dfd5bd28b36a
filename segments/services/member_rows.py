"""A segment's stored customer-assignment rows as plain values: read, inserted, updated.

Plain slotted rows instead of model instances, and on PostgreSQL one statement per kind
of write whose text never changes: the rows travel as arrays (`unnest`), so neither Django
nor PostgreSQL handles a statement of thousands of parameters. Other databases (SQLite)
take the ORM's `bulk_create` and `bulk_update`.

The insert has no `ON CONFLICT`: its callers hold the segment's lock (see `members.py`),
so a row they read as new cannot appear before they commit; one that did would be a bug,
and fails the statement (IntegrityError) instead of being skipped or overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from segments_project.db.sql import one_of

from ..models import SegmentCustomerAssignment
from ..selectors.member_directory import MemberPair

# Stored fields an upsert may change (besides the version and modification time).
WRITTEN_FIELDS = ("mixins", "metadata_mixins", "assignment_type")

_TABLE = SegmentCustomerAssignment._meta.db_table

_INSERT = f"""
    INSERT INTO {_TABLE} (tenant_id, segment_id, customer_id, legal_entity_id, mixins,
        metadata_mixins, assignment_type, version, created_at, modified_at)
    SELECT %s, %s, u.customer_id, u.legal_entity_id, u.mixins::jsonb, u.metadata_mixins::jsonb,
        u.assignment_type, u.version, %s, %s
    FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::integer[])
        AS u(customer_id, legal_entity_id, mixins, metadata_mixins, assignment_type, version)
"""

_UPDATE = f"""
    UPDATE {_TABLE} AS t
    SET mixins = u.mixins::jsonb, metadata_mixins = u.metadata_mixins::jsonb,
        assignment_type = u.assignment_type, version = u.version, modified_at = %s
    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::integer[])
        AS u(id, mixins, metadata_mixins, assignment_type, version)
    WHERE t.id = u.id AND t.tenant_id = %s AND t.segment_id = %s
"""


@dataclass(slots=True)
class MemberRow:
    """One assignment as stored (or about to be): `pk` is None until it is inserted."""

    pk: int | None
    customer: int
    legal_entity: int | None
    version: int
    mixins: dict[str, Any]
    metadata_mixins: dict[str, Any]
    assignment_type: str

    def values(self, fields: Iterable[str] = WRITTEN_FIELDS) -> dict[str, Any]:
        """The fields (by default all a write may change), by name."""
        return {field: getattr(self, field) for field in fields}

    def apply(self, values: dict[str, Any]) -> dict[str, Any]:
        """Writes the values in and grows the version if any differs; the changed fields'
        old values."""
        old = {
            field: getattr(self, field)
            for field in WRITTEN_FIELDS
            if getattr(self, field) != values[field]
        }
        for field in old:
            setattr(self, field, values[field])
        if old:
            self.version += 1
        return old


_STORED_COLUMNS = (
    "id, customer_id, legal_entity_id, version, mixins, metadata_mixins, assignment_type"
)

# PostgreSQL: one probe per customer into each of the two unique indexes (B2C and B2B rows
# are told apart by the partial indexes' `legal_entity_id IS [NOT] NULL`), so the cost is
# that of the customers asked for, whatever the size of the segment or of the table. With
# `customer_id = ANY(...)` instead, no partial index qualifies, and the planner read either
# every assignment of the segment (`member_added`) or every assignment of the customers in
# all segments (their index, one heap row each): at scale L, thousands of pages per call.
_STORED = f"""
    SELECT s.* FROM unnest(%s::bigint[]) AS w(customer_id), LATERAL (
        SELECT {_STORED_COLUMNS} FROM {_TABLE} t
        WHERE t.tenant_id = %s AND t.segment_id = %s AND t.customer_id = w.customer_id
            AND t.legal_entity_id IS NULL
        UNION ALL
        SELECT {_STORED_COLUMNS} FROM {_TABLE} t
        WHERE t.tenant_id = %s AND t.segment_id = %s AND t.customer_id = w.customer_id
            AND t.legal_entity_id IS NOT NULL
    ) AS s
"""


def stored_members(
    *, tenant: str, segment: int, customers: Collection[int]
) -> dict[MemberPair, MemberRow]:
    """The segment's assignments of these customers (B2C and B2B), by member."""
    if not customers:
        return {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_STORED, [list(customers), tenant, segment, tenant, segment])
        else:
            of_customers, params = one_of("customer_id", customers)
            cursor.execute(
                f"SELECT {_STORED_COLUMNS} FROM {_TABLE} "
                f"WHERE tenant_id = %s AND segment_id = %s AND {of_customers}",
                [tenant, segment, *params],
            )
        rows = cursor.fetchall()
    return {
        (customer, legal_entity): MemberRow(
            pk, customer, legal_entity, version, json.loads(mixins), json.loads(metadata), kind
        )
        # JSON arrives as text: SQLite stores text, and Django has psycopg read jsonb as
        # text (JSONField decodes it).
        for pk, customer, legal_entity, version, mixins, metadata, kind in rows
    }


def _json(values: Sequence[dict[str, Any]]) -> list[str]:
    return [json.dumps(value) for value in values]


def members_insert(*, tenant: str, segment: int, rows: Sequence[MemberRow], now: datetime) -> None:
    """Inserts the new rows, created and modified `now`."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        SegmentCustomerAssignment.objects.bulk_create(
            _instance(tenant, segment, row, created_at=now, modified_at=now) for row in rows
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT,
            [
                tenant,
                segment,
                now,
                now,
                [row.customer for row in rows],
                [row.legal_entity for row in rows],
                _json([row.mixins for row in rows]),
                _json([row.metadata_mixins for row in rows]),
                [str(row.assignment_type) for row in rows],
                [row.version for row in rows],
            ],
        )


def members_update(*, tenant: str, segment: int, rows: Sequence[MemberRow], now: datetime) -> None:
    """Writes the rows' fields and versions over the stored ones, modified `now`."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        SegmentCustomerAssignment.objects.bulk_update(
            [_instance(tenant, segment, row, modified_at=now) for row in rows],
            fields=[*WRITTEN_FIELDS, "version", "modified_at"],
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _UPDATE,
            [
                now,
                [row.pk for row in rows],
                _json([row.mixins for row in rows]),
                _json([row.metadata_mixins for row in rows]),
                [str(row.assignment_type) for row in rows],
                [row.version for row in rows],
                tenant,
                segment,
            ],
        )


def _instance(
    tenant: str, segment: int, row: MemberRow, **stamps: datetime
) -> SegmentCustomerAssignment:
    return SegmentCustomerAssignment(
        pk=row.pk,
        tenant_id=tenant,
        segment_id=segment,
        customer_id=row.customer,
        legal_entity_id=row.legal_entity,
        version=row.version,
        mixins=row.mixins,
        metadata_mixins=row.metadata_mixins,
        assignment_type=row.assignment_type,
        **stamps,
    )
