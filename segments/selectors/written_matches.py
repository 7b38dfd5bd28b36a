"""What every rule segment of a tenant selects among a few customers, as one SQL query: the
evaluation of a customer or legal-entity write (`services/write_evaluation.py`).

The query yields (segment pk, customer pk, legal entity pk or NULL) rows, as the
`WITH w(customer_id) AS (...), m(segment_id, customer_id, legal_entity_id) AS (...)`
prefix of the statements that apply them: `w` holds the written customers' pks, `m` the
members the rules make of them, the same pairs as `criteria_pairs` (B2C from `q`, B2B from
`legalEntities` through the customer's links).

Why not a UNION ALL of `criteria_pairs` per rule: PostgreSQL plans every arm's joins, and
with 200 rules planning alone took hundreds of milliseconds. Here each rule is a boolean
condition on one customer row (or one legal-entity row), and on PostgreSQL the rules are one
`LATERAL (VALUES (segment pk, condition), ...)` beside the written customers: one scan, 200
expressions to plan. A condition that needs a join (`legalEntityIds`) is an `IN (subquery)`
on the row. SQLite has no LATERAL: there every rule is a small arm of a UNION ALL.

Compiling 200 rules with the ORM also costs milliseconds, so each rule's conditions are
cached as SQL text and parameters, keyed by the database, the tenant and the rule's text.
Only conditions that do not depend on the time are cached: a rule is compiled at two
instants one second apart, and if the two differ (it holds a relative date, which must
resolve at the write's `now`) it is compiled again at every write.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from segments_project.api.query import compile_query

from ..documents.directory import CUSTOMER_QUERY_FIELDS, LEGAL_ENTITY_QUERY_FIELDS
from ..models import Customer, CustomerLegalEntity, LegalEntity

# How many compiled rules the process keeps (tenants x rule texts).
RULE_CACHE_SIZE = 8192

_CUSTOMERS = Customer._meta.db_table
_LINKS = CustomerLegalEntity._meta.db_table
_LEGAL_ENTITIES = LegalEntity._meta.db_table


@dataclass(frozen=True)
class RuleSegment:
    """A rule segment as the write's evaluation read it (under its row lock)."""

    pk: int
    public_id: str
    criteria: str  # the stored JSON text of the rule


@dataclass(frozen=True)
class Sql:
    text: str
    params: tuple[Any, ...] = ()


@dataclass(frozen=True)
class CompiledRule:
    """A rule as conditions on one row: `customer` on a customer row (`q`), `legal_entity`
    on a legal-entity row (`legalEntities`); None for a part that is absent or can match
    nothing."""

    customer: Sql | None
    legal_entity: Sql | None


def _row_condition(queryset: QuerySet) -> Sql | None:
    """The queryset's WHERE as a condition on its model's row (the table named as itself),
    or an `id IN (subquery)` when it needs a join; None when it matches nothing."""
    query = queryset.query
    table = queryset.model._meta.db_table
    compiler = query.get_compiler(connection=connection)
    try:
        if len([alias for alias in query.alias_map if query.alias_refcount[alias]]) > 1:
            # Only the written customers: an uncorrelated subquery is computed once per
            # statement, over these few rows.
            if queryset.model is Customer:
                queryset = queryset.filter(pk__in=RawSQL("SELECT customer_id FROM w", ()))
            text, params = queryset.order_by().values("pk").query.sql_with_params()
            return Sql(f'"{table}"."id" IN ({text})', tuple(params))
        text, params = compiler.compile(query.where)
    except EmptyResultSet:
        return None
    except FullResultSet:
        return Sql("1 = 1")
    return Sql(f"({text})", tuple(params))


def _filtered(model: type[Model], tenant: str, condition: Q) -> QuerySet:
    """The tenant's rows matching the compiled `q`, a filter per condition, as
    `customers_matching` does (each `legalEntityIds` condition its own join)."""
    queryset = model.objects.filter(tenant_id=tenant)  # type: ignore[attr-defined]
    for part in condition.children:
        queryset = queryset.filter(Q(part))
    return queryset


def _compiled(tenant: str, criteria: dict[str, str], now: datetime) -> CompiledRule:
    customer = legal_entity = None
    if "q" in criteria:
        condition = compile_query(criteria["q"], CUSTOMER_QUERY_FIELDS, now=now, param="criteria.q")
        customer = _row_condition(_filtered(Customer, tenant, condition))
    if "legalEntities" in criteria:
        condition = compile_query(
            criteria["legalEntities"],
            LEGAL_ENTITY_QUERY_FIELDS,
            now=now,
            param="criteria.legalEntities",
        )
        legal_entity = _row_condition(_filtered(LegalEntity, tenant, condition))
    return CompiledRule(customer, legal_entity)


@lru_cache(maxsize=RULE_CACHE_SIZE)
def _timeless(vendor: str, tenant: str, criteria_text: str) -> tuple[bool, CompiledRule]:
    """(whether the rule compiles the same at every instant, the rule compiled now).
    `vendor` is part of the key because the SQL is the database's."""
    criteria = json.loads(criteria_text)
    now = timezone.now()
    compiled = _compiled(tenant, criteria, now)
    return compiled == _compiled(tenant, criteria, now - timedelta(seconds=1)), compiled


def compiled_rule(*, tenant: str, rule: RuleSegment, now: datetime) -> CompiledRule:
    """The rule's conditions at `now`: from the cache unless the rule holds a relative date."""
    timeless, compiled = _timeless(connection.vendor, tenant, rule.criteria)
    return compiled if timeless else _compiled(tenant, json.loads(rule.criteria), now)


def _lateral(select: str, source: str, conditions: list[tuple[int, Sql]]) -> Sql:
    """PostgreSQL: one scan of `source`, each row beside every (segment, condition)."""
    values = ", ".join(f"({pk}, {condition.text})" for pk, condition in conditions)
    return Sql(
        f"SELECT s.segment_id, {select} FROM {source}"
        f" CROSS JOIN LATERAL (VALUES {values}) AS s(segment_id, matched) WHERE s.matched",
        tuple(param for _, condition in conditions for param in condition.params),
    )


def _arms(select: str, source: str, conditions: list[tuple[int, Sql]]) -> Sql:
    """Elsewhere: one arm per (segment, condition)."""
    return Sql(
        " UNION ALL ".join(
            f"SELECT {pk}, {select} FROM {source} WHERE {condition.text}"
            for pk, condition in conditions
        ),
        tuple(param for _, condition in conditions for param in condition.params),
    )


def written_matches(
    *, tenant: str, rules: Sequence[RuleSegment], written: Sql, now: datetime | None = None
) -> Sql:
    """The `WITH w(customer_id) AS (written), m(segment_id, customer_id, legal_entity_id)
    AS (...)` prefix of a statement on the written customers' matches. `written` is a query
    of customer pks of the tenant."""
    now = now or timezone.now()
    b2c: list[tuple[int, Sql]] = []
    b2b: list[tuple[int, Sql]] = []
    for rule in rules:
        compiled = compiled_rule(tenant=tenant, rule=rule, now=now)
        # The pk is an integer read from the database: safe as a literal.
        if compiled.customer is not None:
            b2c.append((int(rule.pk), compiled.customer))
        if compiled.legal_entity is not None:
            b2b.append((int(rule.pk), compiled.legal_entity))
    combine = _lateral if connection.vendor == "postgresql" else _arms
    parts = []
    if b2c:
        parts.append(
            combine(
                f'"{_CUSTOMERS}"."id", CAST(NULL AS bigint)',
                f'"{_CUSTOMERS}" JOIN w ON w.customer_id = "{_CUSTOMERS}"."id"',
                b2c,
            )
        )
    if b2b:
        parts.append(
            combine(
                "l.customer_id, l.legal_entity_id",
                f"{_LINKS} AS l JOIN w ON w.customer_id = l.customer_id"
                f' JOIN "{_LEGAL_ENTITIES}" ON "{_LEGAL_ENTITIES}"."id" = l.legal_entity_id',
                b2b,
            )
        )
    if not parts:
        parts.append(
            Sql(
                "SELECT CAST(NULL AS bigint), CAST(NULL AS bigint),"
                " CAST(NULL AS bigint) WHERE 1 = 0"
            )
        )
    return Sql(
        f"WITH w(customer_id) AS ({written.text}),"
        f" m(segment_id, customer_id, legal_entity_id) AS"
        f" ({' UNION ALL '.join(part.text for part in parts)})",
        (*written.params, *(param for part in parts for param in part.params)),
    )
