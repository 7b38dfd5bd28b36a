"""AUTOMATIC members: what a segment's rule (its criteria) makes of its membership.

`automatic_members_apply` takes the members a rule matched, as SQL, and brings the
segment's AUTOMATIC assignments in line with them in two statements, whatever the number
of customers: one `INSERT ... SELECT` of the matched members that are neither excluded nor
members already, and one `DELETE` of the AUTOMATIC assignments no longer matched (or of
customers excluded since). It never touches a MANUAL assignment: a customer who is both
a manual member and matched stays one MANUAL member, and a manual member the rule stops
matching stays a member.

It takes the segment's member lock (`members_segment_lock`) like every other writer of
the segment's members, so it takes turns with the member API, the imports and exclusion
writes: an exclusion committed before it runs is honoured by its statements, and one
waiting for it removes what it inserted (see `exclusions.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import BigIntegerField, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from segments_project.audit.models import AuditAction, DocumentType
from segments_project.audit.record import Change, record
from segments_project.checkpoints import Checkpoint, reached
from segments_project.db.sql import one_of
from segments_project.tenancy.versions import customers_changed

from ..documents.members import MemberKey
from ..models import (
    AssignmentType,
    Customer,
    LegalEntity,
    SegmentCustomerAssignment,
    SegmentExclusion,
)
from .member_audit import member_document_id
from .members import members_segment_lock

SAMPLE_SIZE = 10

_MEMBERS = SegmentCustomerAssignment._meta.db_table
_EXCLUSIONS = SegmentExclusion._meta.db_table


def _same_member(stored: str, matched: str) -> str:
    """The stored assignment is the matched pair's member. A B2C pair has a NULL legal
    entity, and NULL must match NULL (PostgreSQL's IS NOT DISTINCT FROM, SQLite's IS:
    written out for both)."""
    return (
        f"{stored}.customer_id = {matched}.customer_id"
        f" AND ({stored}.legal_entity_id = {matched}.legal_entity_id"
        f" OR ({stored}.legal_entity_id IS NULL AND {matched}.legal_entity_id IS NULL))"
    )


def _same_member_hashable(stored: str, matched: str) -> str:
    """`_same_member` as equalities only (a NULL legal entity as 0, which no legal entity's
    pk is), so that PostgreSQL hashes the matches once for the DELETE's anti-join: with the
    OR it cannot be hashed."""
    return (
        f"{stored}.customer_id = {matched}.customer_id"
        f" AND COALESCE({stored}.legal_entity_id, 0) = COALESCE({matched}.legal_entity_id, 0)"
    )


_MATCHED = "WITH m(customer_id, legal_entity_id) AS ({matched})"

_INSERT = f"""
    INSERT INTO {_MEMBERS} (tenant_id, segment_id, customer_id, legal_entity_id, mixins,
        metadata_mixins, assignment_type, version, created_at, modified_at)
    SELECT %s, %s, d.customer_id, d.legal_entity_id, '{{}}', '{{}}', %s, 1, %s, %s
    FROM (SELECT DISTINCT customer_id, legal_entity_id FROM m) AS d
    WHERE NOT EXISTS (
        SELECT 1 FROM {_EXCLUSIONS} AS e
        WHERE e.tenant_id = %s AND e.segment_id = %s AND e.customer_id = d.customer_id)
    AND NOT EXISTS (
        SELECT 1 FROM {_MEMBERS} AS a
        WHERE a.tenant_id = %s AND a.segment_id = %s
        AND {_same_member("a", "d")})
    RETURNING customer_id, legal_entity_id
"""

# PostgreSQL: the statements above with the members' public ids joined to their RETURNING
# (at scale L a full evaluation adds 300,000 members, whose ids a query of their own read
# back through an array of as many pks).
_WITH_IDS = f"""
    , changed AS ({{statement}})
    SELECT ch.customer_id, ch.legal_entity_id, c.public_id, le.public_id
    FROM changed AS ch JOIN {Customer._meta.db_table} AS c ON c.id = ch.customer_id
    LEFT JOIN {LegalEntity._meta.db_table} AS le ON le.id = ch.legal_entity_id
"""

# Two arms, so that each is a join PostgreSQL can hash: the AUTOMATIC members no longer
# matched (an anti-join with the matches; as one OR with the exclusions' EXISTS it was a
# SubPlan running the rule again per AUTOMATIC member), and those excluded.
_DELETE = f"""
    DELETE FROM {_MEMBERS}
    WHERE id IN (
        SELECT a.id FROM {_MEMBERS} AS a
        WHERE a.tenant_id = %s AND a.segment_id = %s AND a.assignment_type = %s
        AND NOT EXISTS (SELECT 1 FROM m WHERE {_same_member_hashable("a", "m")})
        UNION ALL
        SELECT a.id FROM {_MEMBERS} AS a JOIN {_EXCLUSIONS} AS e
        ON e.tenant_id = a.tenant_id AND e.segment_id = a.segment_id
        AND e.customer_id = a.customer_id
        WHERE a.tenant_id = %s AND a.segment_id = %s AND a.assignment_type = %s
    )
    RETURNING customer_id, legal_entity_id
"""


@dataclass(frozen=True)
class Applied:
    """What an application changed: the members added and removed (public ids)."""

    added: int = 0
    removed: int = 0
    added_sample: list[str] = field(default_factory=list)
    removed_sample: list[str] = field(default_factory=list)


def b2c_matches(customers: QuerySet[Customer]) -> QuerySet:
    """The customers as matched B2C members: the (customer pk, NULL) pairs `apply` takes."""
    # Typed, so that it compares with the stored legal entity column.
    return customers.order_by().values_list("pk", Cast(Value(None), BigIntegerField()))


# What an empty `matched` is as SQL (Django compiles a queryset that can match nothing,
# such as `pk__in=[]`, to no SQL at all).
_NOTHING = "SELECT CAST(NULL AS bigint), CAST(NULL AS bigint) WHERE 1 = 0"


def _matched_sql(matched: QuerySet) -> tuple[str, tuple]:
    try:
        return matched.query.sql_with_params()
    except EmptyResultSet:
        return _NOTHING, ()


def _public_ids(pairs: list[tuple[int, int | None]]) -> list[tuple[str, str | None]]:
    """The members' (customer id, legal entity id or None), in (customer, legal entity) pk
    order: two queries whatever the number (the change events list every member)."""
    ordered = sorted(pairs, key=lambda pair: (pair[0], pair[1] or 0))
    if not ordered:
        return []
    condition, params = one_of("id", {c for c, _ in ordered})
    customers = dict(
        Customer.objects.extra(where=[condition], params=params).values_list("pk", "public_id")
    )
    legal_entity_pks = {le for _, le in ordered if le}
    entities = {}
    if legal_entity_pks:
        condition, params = one_of("id", legal_entity_pks)
        entities = dict(
            LegalEntity.objects.extra(where=[condition], params=params).values_list(
                "pk", "public_id"
            )
        )
    return [(customers[c], entities[le] if le else None) for c, le in ordered]


def _with_ids(matched: str, statement: str) -> str:
    """`statement` (`_INSERT`, `_DELETE`) over the `matched` members; on PostgreSQL
    answering also the members' public ids (`_WITH_IDS`)."""
    prefix = _MATCHED.format(matched=matched)
    if connection.vendor != "postgresql":
        return prefix + statement
    if statement is _DELETE:
        # Computed once and hashed: inlined, the planner (which expects few AUTOMATIC rows,
        # those just inserted being unknown to its statistics) probed the customer index
        # and ran the rule again for every AUTOMATIC member.
        prefix = prefix.replace(" AS (", " AS MATERIALIZED (", 1)
    return prefix + _WITH_IDS.format(statement=statement)


def _returned(
    rows: list[tuple],
) -> tuple[list[tuple[int, int | None]], list[tuple[str, str | None]]]:
    """The (customer pk, legal entity pk) pairs of the returned rows, and the members' public
    ids in pair order (read back with `_public_ids` where the rows do not carry them)."""
    pairs = [(row[0], row[1]) for row in rows]
    if connection.vendor != "postgresql":
        return pairs, _public_ids(pairs)
    ordered = sorted(rows, key=lambda row: (row[0], row[1] or 0))
    return pairs, [(row[2], row[3]) for row in ordered]


def _sample(members: list[tuple[str, str | None]]) -> list[str]:
    """The audit names (`customer`, `customer/legal entity`) of up to SAMPLE_SIZE members."""
    return [member_document_id(MemberKey(c, le)) for c, le in members[:SAMPLE_SIZE]]


@transaction.atomic
def automatic_members_apply(
    *, tenant: str, segment_id: str, matched: QuerySet, source: str = "criteria"
) -> Applied:
    """Makes the segment's AUTOMATIC members exactly the `matched` members that are not
    excluded and not MANUAL members; returns the counts and samples of what changed.

    `matched` is a queryset of two columns, (customer pk, legal entity pk or None), of this
    tenant's customers (e.g. `b2c_matches(customers)`); the rule evaluation that builds it
    is responsible for the tenant and for B2B pairs naming the customer's own legal
    entities. One audit event for the whole application (action `evaluated`, by `source`),
    and the storefront caches go stale if anything changed. 404 for an unknown segment.
    """
    segment = members_segment_lock(tenant=tenant, segment_id=segment_id)
    sql, params = _matched_sql(matched)
    now = timezone.now()
    insert, delete = _with_ids(sql, _INSERT), _with_ids(sql, _DELETE)
    with connection.cursor() as cursor:
        cursor.execute(
            insert,
            [
                *params,
                *(tenant, segment.pk, AssignmentType.AUTOMATIC.value, now, now),
                *(tenant, segment.pk, tenant, segment.pk),
            ],
        )
        added, added_ids = _returned(cursor.fetchall())
        reached(Checkpoint.AUTOMATIC_MEMBERS_INSERTED, added=added)
        member = (tenant, segment.pk, AssignmentType.AUTOMATIC.value)
        cursor.execute(delete, [*params, *member, *member])
        removed, removed_ids = _returned(cursor.fetchall())
    applied = Applied(
        added=len(added),
        removed=len(removed),
        added_sample=_sample(added_ids),
        removed_sample=_sample(removed_ids),
    )
    customers_changed(
        tenant=tenant, customer_ids={customer for customer, _ in [*added_ids, *removed_ids]}
    )
    record(
        tenant,
        [
            Change(
                DocumentType.SEGMENT,
                segment.public_id,
                AuditAction.EVALUATED,
                segment.public_id,
                {
                    "source": source,
                    "added": applied.added,
                    "removed": applied.removed,
                    "addedSample": applied.added_sample,
                    "removedSample": applied.removed_sample,
                },
                event_data={"added": added_ids, "removed": removed_ids},
            )
        ],
    )
    return applied
