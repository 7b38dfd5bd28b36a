"""Rule evaluation on every customer or legal-entity write: the written customers' AUTOMATIC
memberships become what the tenant's rule segments select for them, in the write's own
transaction (the caller reads its own write).

A write calls `rule_segments_locked` first, before it locks its customers or legal entities,
and `written_customers_evaluate` (or `legal_entity_customers_evaluate`) after it wrote them.
The evaluation is set-based across all rule segments at once: the matches
(`selectors/written_matches.py`) feed one `INSERT ... SELECT` of the new AUTOMATIC members
and one `DELETE` of those no longer selected, whatever the number of rule segments and
written customers (on PostgreSQL both in one statement, so the matches are planned once).
MANUAL assignments are never removed, a customer who is both stays one MANUAL member, and
excluded customers are neither added nor kept.

Locks. `rule_segments_locked` takes every advisory lock stripe of the tenant's segments
(`segments_project/db/sql.py`: a segment's stripe is its pk modulo 16, so a write holds 16
locks whatever the number of rules), shared, in stripe order, in the one query that also
reads the rules (on PostgreSQL; SQLite serializes writers). Every writer of a rule
segment's members, the full evaluation (`segment_rule_apply`) included, takes the
segment's member lock (`members_segment_lock`), which holds its stripe exclusively: so a
write waits for a running full evaluation and then sees its committed rows (a row the full
evaluation inserted from an older snapshot is removed by the write's DELETE), and a full
evaluation waits for the writes in flight and then sees them.
Writes of different customers share the lock and run side by side. An advisory lock writes
nothing, where `FOR SHARE` on 200 segment rows wrote 200 tuple headers (and their WAL) per
write. The segment locks are taken before the customer and legal-entity rows: a full
evaluation's inserts check their references (`KEY SHARE` on the customer and legal
entity, at the end of the INSERT: migration 0011) while it holds the segment lock, and a
single write locks its customer `FOR UPDATE`, which conflicts with `KEY SHARE`; taking the
segments first keeps one order (segments, then customers and legal entities) and no
deadlock.

Which rules a customer write evaluates: those its changes may flip (`written_changes.py`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from psycopg._queries import PostgresQuery, _query2pg_nocache

from segments_project.audit.models import AuditAction, DocumentType
from segments_project.audit.record import Change, record
from segments_project.checkpoints import Checkpoint, reached
from segments_project.db.sql import SEGMENT_LOCK_STRIPES, one_of, segment_advisory_lock
from segments_project.tenancy.versions import customers_changed

from ..documents.members import MemberKey
from ..models import (
    AssignmentType,
    Customer,
    CustomerLegalEntity,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
    SegmentExclusion,
)
from ..selectors.written_matches import RULE_SET_CACHE_SIZE, RuleSegment, Sql, written_matches
from .automatic_members import SAMPLE_SIZE
from .member_audit import member_document_id
from .written_changes import CustomerChanges, flipped

# The `source` of the audit events, naming the trigger.
CUSTOMER_WRITE = "customerWrite"
LEGAL_ENTITY_WRITE = "legalEntityWrite"

_SEGMENTS = Segment._meta.db_table
_CUSTOMERS = Customer._meta.db_table
_LINKS = CustomerLegalEntity._meta.db_table
_LEGAL_ENTITIES = LegalEntity._meta.db_table
_MEMBERS = SegmentCustomerAssignment._meta.db_table
_EXCLUSIONS = SegmentExclusion._meta.db_table


# What the written customers are already in the evaluated segments: their assignments (any
# kind, a NULL legal entity as 0, which no legal entity's pk is) and their exclusions. As
# sets computed once, PostgreSQL hashes them for the anti-joins below instead of probing the
# tables once per match (a bulk write of 200 customers makes thousands of matches).
_KNOWN = f""",
    x(segment_id, customer_id, legal_entity_id) AS MATERIALIZED (
        SELECT segment_id, customer_id, COALESCE(legal_entity_id, 0) FROM {_MEMBERS}
        WHERE tenant_id = %s AND customer_id IN (SELECT customer_id FROM w) AND {{segments}}),
    y(segment_id, customer_id) AS MATERIALIZED (
        SELECT segment_id, customer_id FROM {_EXCLUSIONS}
        WHERE tenant_id = %s AND customer_id IN (SELECT customer_id FROM w))
"""

# ON CONFLICT DO NOTHING: a concurrent writer evaluating the same customer (two legal
# entities of one customer written at once) may insert the same member first.
_INSERT = f"""
    INSERT INTO {_MEMBERS} (tenant_id, segment_id, customer_id, legal_entity_id, mixins,
        metadata_mixins, assignment_type, version, created_at, modified_at)
    SELECT %s, d.segment_id, d.customer_id, d.legal_entity_id, '{{}}', '{{}}', %s, 1, %s, %s
    FROM (SELECT DISTINCT segment_id, customer_id, legal_entity_id FROM m) AS d
    WHERE NOT EXISTS (
        SELECT 1 FROM y WHERE y.segment_id = d.segment_id AND y.customer_id = d.customer_id)
    AND NOT EXISTS (
        SELECT 1 FROM x
        WHERE x.segment_id = d.segment_id AND x.customer_id = d.customer_id
        AND x.legal_entity_id = COALESCE(d.legal_entity_id, 0))
    ON CONFLICT DO NOTHING
    RETURNING segment_id, customer_id, legal_entity_id
"""

# The written customers' AUTOMATIC rows, found through the customer's index: the segments
# are a filter (`segment_id + 0`), since PostgreSQL otherwise combined the segment index,
# hundreds of thousands of rows per rule segment, with the customer's. The anti-join is on
# equalities only, so that the matches are hashed.
_DELETE = f"""
    DELETE FROM {_MEMBERS}
    WHERE tenant_id = %s AND assignment_type = %s AND {{segments}}
    AND customer_id IN (SELECT customer_id FROM w)
    AND (
        NOT EXISTS (
            SELECT 1 FROM m
            WHERE m.segment_id = {_MEMBERS}.segment_id AND m.customer_id = {_MEMBERS}.customer_id
            AND COALESCE(m.legal_entity_id, 0) = COALESCE({_MEMBERS}.legal_entity_id, 0))
        OR EXISTS (
            SELECT 1 FROM y
            WHERE y.segment_id = {_MEMBERS}.segment_id AND y.customer_id = {_MEMBERS}.customer_id)
    )
    RETURNING segment_id, customer_id, legal_entity_id
"""

# Set for the transaction by `rule_segments_locked` (PostgreSQL), for the evaluation's
# statement: the planner's estimate of its DELETE is far above what it does (a few rows per
# customer), and above it PostgreSQL compiled the statement with JIT (seconds for a bulk
# write); a generic plan, see `_prepared_cursor`.
_STATEMENT_SETTINGS = (("jit", "off"), ("plan_cache_mode", "force_generic_plan"))

Member = tuple[int, int, int | None]  # segment pk, customer pk, legal entity pk or None


def rule_segments_locked(*, tenant: str) -> list[RuleSegment]:
    """The tenant's rule segments (non-null `criteria`), with every lock stripe of the
    tenant's segments held shared (in stripe order) until the transaction ends: taken by
    every customer and legal-entity write before it locks its own rows (see the module
    docstring). One query; a tenant without rule segments takes no lock."""
    condition, params = "", [tenant]
    if connection.vendor == "postgresql":
        lock = segment_advisory_lock("%s", "s", shared=True)
        settings = ", ".join(
            f"set_config('{name}', '{value}', true)" for name, value in _STATEMENT_SETTINGS
        )
        # Uncorrelated subqueries run once, when first needed, and the CASE needs them
        # only for a rule segment's row, whatever the plan: then all stripes are taken in
        # order, and what the evaluation's statement needs is set for the rest of the
        # transaction (see `_evaluate`), a round trip less per write.
        condition = (
            " AND CASE WHEN criteria IS NOT NULL THEN"
            f" (SELECT count({lock}) FROM generate_series(0, {SEGMENT_LOCK_STRIPES - 1}) AS s)"
            f" = {SEGMENT_LOCK_STRIPES} AND (SELECT concat({settings})) IS NOT NULL"
            " ELSE FALSE END"
        )
        params.append(tenant)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, public_id, CAST(criteria AS text) FROM {_SEGMENTS}"
            f" WHERE tenant_id = %s AND criteria IS NOT NULL{condition} ORDER BY id",
            params,
        )
        return [RuleSegment(pk, public_id, criteria) for pk, public_id, criteria in cursor]


def written_customers_evaluate(
    *,
    tenant: str,
    rules: list[RuleSegment],
    customer_ids: Collection[str],
    now: datetime | None = None,
    changes: CustomerChanges | None = None,
) -> None:
    """Evaluates the tenant's customers `customer_ids` (public ids; unknown ones are
    ignored) against the rule segments `rule_segments_locked` returned: those the write's
    `changes` may flip (see `CustomerChanges`), all of them without `changes`."""
    if changes is not None:
        rules = list(flipped(connection.vendor, tenant, tuple(rules), changes.key()))
    if not rules or not customer_ids:
        return
    condition, params = one_of("public_id", customer_ids)
    written = Sql(
        f"SELECT id FROM {_CUSTOMERS} WHERE tenant_id = %s AND {condition}", (tenant, *params)
    )
    _evaluate(tenant=tenant, rules=rules, written=written, now=now, source=CUSTOMER_WRITE)


def legal_entity_customers_evaluate(
    *,
    tenant: str,
    rules: list[RuleSegment],
    legal_entity_ids: Collection[str],
    now: datetime | None = None,
) -> None:
    """Evaluates the customers linked to the tenant's legal entities `legal_entity_ids`
    (public ids) against the rule segments `rule_segments_locked` returned."""
    if not rules or not legal_entity_ids:
        return
    condition, params = one_of("le.public_id", legal_entity_ids)
    written = Sql(
        f"SELECT DISTINCT l.customer_id FROM {_LINKS} AS l"
        f" JOIN {_LEGAL_ENTITIES} AS le ON le.id = l.legal_entity_id"
        f" WHERE le.tenant_id = %s AND {condition}",
        (tenant, *params),
    )
    _evaluate(tenant=tenant, rules=rules, written=written, now=now, source=LEGAL_ENTITY_WRITE)


def _evaluate(
    *, tenant: str, rules: list[RuleSegment], written: Sql, now: datetime | None, source: str
) -> None:
    """The INSERT and the DELETE over the written customers' matches, then one audit event
    per segment that changed."""
    now = now or timezone.now()
    matches = written_matches(tenant=tenant, rules=rules, written=written, now=now)
    segments, segment_params = _evaluated_segments([rule.pk for rule in rules])
    prefix = Sql(
        matches.text + _KNOWN.format(segments=segments),
        (*matches.params, tenant, *segment_params, tenant),
    )
    automatic = AssignmentType.AUTOMATIC.value
    insert = (_INSERT, [tenant, automatic, now, now])
    delete = (_DELETE.format(segments=segments), [tenant, automatic, *segment_params])
    if connection.vendor == "postgresql":
        # `rule_segments_locked` set `_STATEMENT_SETTINGS` for the transaction.
        with _prepared_cursor() as cursor:
            # One statement: the matches are planned and computed once for both. The
            # DELETE does not see the INSERT's rows (one snapshot), which are all matched.
            # The changed members come with their public ids (for the audit), which a
            # query of their own cost a round trip per write that changed anything.
            cursor.execute(
                f"{prefix.text}, added AS ({insert[0]}), removed AS ({delete[0]}),"
                " changed(added, segment_id, customer_id, legal_entity_id) AS ("
                " SELECT TRUE, * FROM added UNION ALL SELECT FALSE, * FROM removed)"
                " SELECT ch.*, c.public_id, le.public_id FROM changed AS ch"
                f" JOIN {_CUSTOMERS} AS c ON c.id = ch.customer_id"
                f" LEFT JOIN {_LEGAL_ENTITIES} AS le ON le.id = ch.legal_entity_id",
                [*prefix.params, *insert[1], *delete[1]],
            )
            rows = cursor.fetchall()
        added: list[Member] = [tuple(row[1:4]) for row in rows if row[0]]
        removed: list[Member] = [tuple(row[1:4]) for row in rows if not row[0]]
        public_ids: dict[tuple[int, int | None], list[str | None]] | None = {
            (row[2], row[3]): [row[4], row[5]] for row in rows
        }
    else:
        with connection.cursor() as cursor:
            cursor.execute(prefix.text + insert[0], [*prefix.params, *insert[1]])
            added = cursor.fetchall()
            cursor.execute(prefix.text + delete[0], [*prefix.params, *delete[1]])
            removed = cursor.fetchall()
        public_ids = None
    reached(Checkpoint.WRITTEN_CUSTOMERS_EVALUATED, added=added, removed=removed)
    if added or removed:
        _record(
            tenant=tenant,
            rules=rules,
            added=added,
            removed=removed,
            source=source,
            public_ids=public_ids,
        )


def _evaluated_segments(pks: list[int]) -> tuple[str, list[Any]]:
    """The condition that an assignment is of one of the segments `pks`, as a filter
    (`segment_id + 0`, not through the segment's index). On PostgreSQL the pks are written
    into the text, an array constant, which PostgreSQL hashes: as a parameter of the
    generic plan, every row was compared with each of the 200 pks in turn. The text
    depends on the rule set only, as the rest of the statement's does."""
    if connection.vendor == "postgresql":
        # Integers read from the database: safe as literals.
        array = ",".join(str(int(pk)) for pk in pks)
        return f"segment_id + 0 = ANY('{{{array}}}'::bigint[])", []
    return one_of("segment_id + 0", pks)


def _prepared_cursor() -> CursorWrapper:
    """PostgreSQL: a cursor whose statements are prepared on the connection (server-side
    binding, psycopg's `prepare=True`), wrapped as `connection.cursor()` is (query logging).

    Why: the statement carries a condition per rule segment, and planning 200 of them cost
    20-60 ms on every write, more than the execution. Its text depends only on the tenant's
    rules (the written customers, segments and relative dates are parameters), so psycopg
    prepares it once per connection and rule set (keyed by text and parameter types, at most
    `prepared_max` per connection, the least recently used dropped), and with
    `plan_cache_mode = force_generic_plan` PostgreSQL plans it once too. A changed rule is a
    new text, hence a new statement; psycopg forgets its statements on a rollback and a new
    connection starts without any, so a statement is never executed where it does not exist."""
    connection.ensure_connection()
    cursor = _PreparingCursor(connection.connection)
    return connection._prepare_cursor(cursor)  # the wrapping of cursor()


@lru_cache(maxsize=RULE_SET_CACHE_SIZE)
def _converted(query: bytes, encoding: str) -> Any:
    return _query2pg_nocache(query, encoding)


class _CachedConversionQuery(PostgresQuery):
    """psycopg's query conversion (finding the `%s` placeholders), cached whatever the
    query's length: psycopg caches it only for queries up to 4 KB, and parsing the 70 KB
    statement of 200 rules again cost 1.6 ms per write. The statement texts are those of
    the rule sets (`written_matches`' cache), so the cache holds as many."""

    def convert(self, query: Any, vars: Any) -> None:
        if vars is None or not isinstance(query, str):
            super().convert(query, vars)
            return
        self.query, self._want_formats, self._order, self._parts = _converted(
            query.encode(self._tx.encoding), self._tx.encoding
        )
        self.dump(vars)


class _PreparingCursor(ServerBindingCursor):
    """psycopg's server-side binding cursor, preparing every statement it executes."""

    _query_cls = _CachedConversionQuery

    def execute(self, query, params=None, *, prepare=None, binary=None):  # type: ignore[no-untyped-def]
        return super().execute(
            query, params, prepare=True if prepare is None else prepare, binary=binary
        )


def _record(
    *,
    tenant: str,
    rules: list[RuleSegment],
    added: list[Member],
    removed: list[Member],
    source: str,
    public_ids: dict[tuple[int, int | None], list[str | None]] | None,
) -> None:
    """One `evaluated` audit event per segment that changed, with counts and samples, and
    every added and removed member for its change events. The members' `public_ids` as the
    statement returned them, or two queries for them (whatever the number of segments)."""
    added_by, removed_by = _by_segment(added), _by_segment(removed)
    changed = {
        segment: (
            sorted(added_by[segment], key=_order),
            sorted(removed_by[segment], key=_order),
        )
        for segment in {*added_by, *removed_by}
    }
    pairs = {pair for a, r in changed.values() for pair in (*a, *r)}
    if public_ids is None:
        names, keys = _member_names(pairs)
    else:
        keys = {pair: public_ids[pair] for pair in pairs}
        names = {pair: member_document_id(MemberKey(*key)) for pair, key in keys.items()}
    # Their storefront answers are stale (the ids read for the audit trail serve here too).
    customers_changed(tenant=tenant, customer_ids={key[0] for key in keys.values()})
    segment_ids = {rule.pk: rule.public_id for rule in rules}
    record(
        tenant,
        [
            Change(
                DocumentType.SEGMENT,
                segment_ids[segment],
                AuditAction.EVALUATED,
                segment_ids[segment],
                {
                    "source": source,
                    "added": len(segment_added),
                    "removed": len(segment_removed),
                    "addedSample": [names[pair] for pair in segment_added[:SAMPLE_SIZE]],
                    "removedSample": [names[pair] for pair in segment_removed[:SAMPLE_SIZE]],
                },
                event_data={
                    "added": [keys[pair] for pair in segment_added],
                    "removed": [keys[pair] for pair in segment_removed],
                },
            )
            for segment, (segment_added, segment_removed) in sorted(changed.items())
        ],
    )


def _by_segment(members: list[Member]) -> defaultdict[int, list[tuple[int, int | None]]]:
    by_segment: defaultdict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for segment, customer, legal_entity in members:
        by_segment[segment].append((customer, legal_entity))
    return by_segment


def _order(pair: tuple[int, int | None]) -> tuple[int, int]:
    return pair[0], pair[1] or 0


def _member_names(
    pairs: set[tuple[int, int | None]],
) -> tuple[dict[tuple[int, int | None], str], dict[tuple[int, int | None], list[str | None]]]:
    """The audit names (`customer`, `customer/legal entity`) of the members, and their
    `[customer id, legal entity id or None]` public ids."""
    customers = dict(
        Customer.objects.filter(pk__in={c for c, _ in pairs}).values_list("pk", "public_id")
    )
    legal_entity_pks = {le for _, le in pairs if le}
    entities = (
        dict(LegalEntity.objects.filter(pk__in=legal_entity_pks).values_list("pk", "public_id"))
        if legal_entity_pks
        else {}
    )
    keys = {(c, le): [customers[c], entities[le] if le else None] for c, le in pairs}
    names = {pair: member_document_id(MemberKey(*key)) for pair, key in keys.items()}
    return names, keys
