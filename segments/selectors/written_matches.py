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
A relative date must resolve at the write's `now`: the rule is compiled at three instants,
and the parameters that move with the instant are kept as offsets from it (`-30d` is the
instant 30 days before), to be written out at each write's `now`. The cache is used only
where the offsets predict the third compilation exactly; otherwise the rule is compiled
again at every write. The statement of a whole rule set is cached the same way, so that
a write of a tenant with 200 rules only writes out its relative dates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from segments_project.api.documents import format_datetime
from segments_project.api.query import compile_query, condition_texts
from segments_project.api.query.fields import resolve_field

from ..documents.directory import CUSTOMER_QUERY_FIELDS, LEGAL_ENTITY_QUERY_FIELDS
from ..models import Customer, CustomerLegalEntity, LegalEntity
from .directory import filtered_per_condition

# How many compiled rules the process keeps (tenants x rule texts), and how many compiled
# rule sets (a tenant's rule segments, or those a write evaluates).
RULE_CACHE_SIZE = 8192
RULE_SET_CACHE_SIZE = 256

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
    """The tenant's rows matching the compiled `q`, as `customers_matching` filters them."""
    return filtered_per_condition(model.objects.filter(tenant_id=tenant), condition)  # type: ignore[attr-defined]


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


_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _offset(value: Any, at: datetime) -> timedelta | None:
    """How far the instant `value` (as a relative date compiles: text or datetime) is from
    `at`; None for a value that is no instant."""
    if isinstance(value, datetime):
        return value - at
    if isinstance(value, str) and _INSTANT.fullmatch(value):
        return datetime.strptime(value, _INSTANT_FORMAT).replace(tzinfo=UTC) - at
    return None


def _shifted(value: Any, offset: timedelta, now: datetime) -> Any:
    """`value`, a compiled instant, written out for `now + offset` in its own type."""
    instant = now + offset
    if isinstance(value, datetime):  # to the millisecond, as the compiler reads it back
        return instant.replace(microsecond=instant.microsecond // 1000 * 1000)
    return format_datetime(instant)


@dataclass(frozen=True)
class _Template:
    """A compiled part and, per parameter, its offset from the instant it was compiled at
    (None for parameters that do not move)."""

    sql: Sql
    offsets: tuple[timedelta | None, ...]

    def at(self, now: datetime) -> Sql:
        if all(offset is None for offset in self.offsets):
            return self.sql
        shifted: dict[tuple[type, timedelta], Any] = {}  # rules share their relative dates
        params = []
        for value, offset in zip(self.sql.params, self.offsets, strict=True):
            if offset is not None:
                key = (type(value), offset)
                if key not in shifted:
                    shifted[key] = _shifted(value, offset, now)
                value = shifted[key]
            params.append(value)
        return Sql(self.sql.text, tuple(params))


def _template(first: Sql | None, second: Sql | None, at: datetime) -> _Template | None:
    """The part as a template, from two compilations one second apart (at `at` and before)."""
    if first is None or second is None or first.text != second.text:
        return None
    offsets = []
    for value, other in zip(first.params, second.params, strict=True):
        offset = None if value == other else _offset(value, at)
        if value != other and offset is None:
            return None
        offsets.append(offset)
    return _Template(first, tuple(offsets))


@dataclass(frozen=True)
class _RuleTemplate:
    customer: _Template | None
    legal_entity: _Template | None

    def at(self, now: datetime) -> CompiledRule:
        return CompiledRule(
            self.customer.at(now) if self.customer else None,
            self.legal_entity.at(now) if self.legal_entity else None,
        )


@lru_cache(maxsize=RULE_CACHE_SIZE)
def _cached(vendor: str, tenant: str, criteria_text: str) -> _RuleTemplate | None:
    """The rule as a template for any instant, or None when the compilations at three
    instants do not agree with one (`vendor` is in the key because the SQL is the
    database's). Whole seconds, so that an offset is exactly the relative date's amount."""
    criteria = json.loads(criteria_text)
    at = timezone.now().replace(microsecond=0)
    first = _compiled(tenant, criteria, at)
    second = _compiled(tenant, criteria, at - timedelta(seconds=1))
    template = _RuleTemplate(
        _template(first.customer, second.customer, at),
        _template(first.legal_entity, second.legal_entity, at),
    )
    if (template.customer is None) != (first.customer is None) or (
        template.legal_entity is None
    ) != (first.legal_entity is None):
        return None
    check = at - timedelta(days=9, hours=3, seconds=7, microseconds=123_456)
    if template.at(check) != _compiled(tenant, criteria, check):
        return None
    return _RuleTemplate(_bound(template.customer), _bound(template.legal_entity))


_PLACEHOLDER = re.compile(r"%%|%s")


def _bound(template: _Template | None) -> _Template | None:
    """On PostgreSQL, the part with its parameters that never move written into its text,
    as the client-side binding cursor would send them (only a relative date's instants stay
    parameters): a statement of 200 rules then carries a few dozen parameters instead of a
    thousand, which psycopg would otherwise convert and quote again at every write."""
    if template is None or connection.vendor != "postgresql":
        return template
    values = iter(zip(template.sql.params, template.offsets, strict=True))
    kept: list[tuple[Any, timedelta | None]] = []

    def written_out(placeholder: re.Match[str]) -> str:
        if placeholder.group() == "%%":
            return "%%"
        value, offset = next(values)
        if offset is not None:
            kept.append((value, offset))
            return "%s"
        return connection.ops.compose_sql("%s", [value]).replace("%", "%%")

    text = _PLACEHOLDER.sub(written_out, template.sql.text)
    return _Template(
        Sql(text, tuple(value for value, _ in kept)), tuple(offset for _, offset in kept)
    )


# A rule's read: a customer column (or `LINKS`) and a JSON key path inside it (empty for
# the whole column).
Read = tuple[str, tuple[str, ...]]
LINKS = "links"  # the customer's links to legal entities (`legalEntityIds`, `legalEntities`)


@dataclass(frozen=True)
class RuleReads:
    """What a rule's answer for a customer depends on: `reads` of the customer's row and
    links, and, when `moving`, the time too (a relative date; also a rule whose
    compilation could not be told apart from the instant)."""

    reads: frozenset[Read]
    moving: bool


@lru_cache(maxsize=RULE_CACHE_SIZE)
def rule_reads(vendor: str, tenant: str, criteria_text: str) -> RuleReads:
    """The reads of the rule (`criteria_text` as stored), cached like its compilation."""
    template = _cached(vendor, tenant, criteria_text)
    moving = template is None or any(
        offset is not None
        for part in (template.customer, template.legal_entity)
        if part is not None
        for offset in part.offsets
    )
    criteria = json.loads(criteria_text)
    reads: set[Read] = set()
    for name, _ in condition_texts(criteria.get("q", "")):
        field = resolve_field(name, CUSTOMER_QUERY_FIELDS, 1, param="criteria.q")
        column = LINKS if "__" in field.spec.path else field.spec.path
        reads.add((column, field.keys))
    if "legalEntities" in criteria:
        reads.add((LINKS, ()))
    return RuleReads(frozenset(reads), moving)


def compiled_rule(*, tenant: str, rule: RuleSegment, now: datetime) -> CompiledRule:
    """The rule's conditions at `now`, from the cache where it can be."""
    template = _cached(connection.vendor, tenant, rule.criteria)
    if template is None:
        return _compiled(tenant, json.loads(rule.criteria), now)
    return template.at(now)


def _fixed(sql: Sql) -> _Template:
    """A part compiled for one instant, as a template that does not move."""
    return _Template(sql, (None,) * len(sql.params))


def _joined(texts: list[str], parts: list[_Template]) -> _Template:
    return _Template(
        Sql(
            "".join(texts),
            tuple(param for part in parts for param in part.sql.params),
        ),
        tuple(offset for part in parts for offset in part.offsets),
    )


def _lateral(
    select: str, source: str, table: str, conditions: list[tuple[int, _Template]]
) -> _Template:
    """PostgreSQL: one scan of `source`, each row beside every (segment, condition).

    The typed JSON values the conditions read from the row of `table` (the compiler's
    `CASE WHEN jsonb_typeof(<column> #> '{path}') = ... END`, written the same in every
    rule that reads the path) are computed once per row, in a LATERAL subquery that
    `OFFSET 0` keeps PostgreSQL from folding back into each condition: a tenant's 200 rules
    read a handful of mixin paths, and extracting them again in every rule was about half
    of the statement's time. A value whose text holds a parameter stays in its condition."""
    shared: dict[str, str] = {}

    def value(match: re.Match[str]) -> str:
        return shared.setdefault(match.group(), f"v.p{len(shared)}")

    typed_value = _typed_json_value(table)
    values = ", ".join(
        f"({pk}, {typed_value.sub(value, condition.sql.text)})" for pk, condition in conditions
    )
    computed = ""
    if shared:
        columns = ", ".join(f"{text} AS {name[2:]}" for text, name in shared.items())
        computed = f" CROSS JOIN LATERAL (SELECT {columns} OFFSET 0) AS v"
    return _joined(
        [
            f"SELECT s.segment_id, {select} FROM {source}{computed}"
            f" CROSS JOIN LATERAL (VALUES {values}) AS s(segment_id, matched) WHERE s.matched"
        ],
        [condition for _, condition in conditions],
    )


@lru_cache(maxsize=8)
def _typed_json_value(table: str) -> re.Pattern[str]:
    """A typed JSON value of a column of `table` at a literal key path, as the query
    compiler writes it, without a parameter (`%`) or a quote in its path."""
    column = re.escape(f'"{table}".') + r'"[a-z_]+"'
    return re.compile(
        rf"\(CASE WHEN jsonb_typeof\({column} #> '\{{[^}}'%]*\}}'\) = '[a-z]+'"
        r" THEN (?:[^%;']|'[^'%]*')*? END\)"
    )


def _arms(
    select: str, source: str, table: str, conditions: list[tuple[int, _Template]]
) -> _Template:
    """Elsewhere: one arm per (segment, condition) (`table` as for `_lateral`, unused)."""
    return _joined(
        [
            " UNION ALL ".join(
                f"SELECT {pk}, {select} FROM {source} WHERE {condition.sql.text}"
                for pk, condition in conditions
            )
        ],
        [condition for _, condition in conditions],
    )


_NO_MATCHES = _fixed(
    Sql("SELECT CAST(NULL AS bigint), CAST(NULL AS bigint), CAST(NULL AS bigint) WHERE 1 = 0")
)


def _matches(
    vendor: str, b2c: list[tuple[int, _Template]], b2b: list[tuple[int, _Template]]
) -> _Template:
    """The body of `m`: the B2C matches on the written customers' rows, the B2B ones on
    their links' legal entities."""
    combine = _lateral if vendor == "postgresql" else _arms
    parts = []
    if b2c:
        parts.append(
            combine(
                f'"{_CUSTOMERS}"."id", CAST(NULL AS bigint)',
                f'"{_CUSTOMERS}" JOIN w ON w.customer_id = "{_CUSTOMERS}"."id"',
                _CUSTOMERS,
                b2c,
            )
        )
    if b2b:
        parts.append(
            combine(
                "l.customer_id, l.legal_entity_id",
                f"{_LINKS} AS l JOIN w ON w.customer_id = l.customer_id"
                f' JOIN "{_LEGAL_ENTITIES}" ON "{_LEGAL_ENTITIES}"."id" = l.legal_entity_id',
                _LEGAL_ENTITIES,
                b2b,
            )
        )
    if not parts:
        return _NO_MATCHES
    return _joined([" UNION ALL ".join(part.sql.text for part in parts)], parts)


@lru_cache(maxsize=RULE_SET_CACHE_SIZE)
def _rule_set(vendor: str, tenant: str, rules: tuple[RuleSegment, ...]) -> _Template | None:
    """The body of `m` for these rules as one template for any instant, or None when one
    of the rules has none (see `_cached`): building it from 200 cached rules at every
    write cost milliseconds of Python."""
    b2c: list[tuple[int, _Template]] = []
    b2b: list[tuple[int, _Template]] = []
    for rule in rules:
        template = _cached(vendor, tenant, rule.criteria)
        if template is None:
            return None
        # The pk is an integer read from the database: safe as a literal.
        if template.customer is not None:
            b2c.append((int(rule.pk), template.customer))
        if template.legal_entity is not None:
            b2b.append((int(rule.pk), template.legal_entity))
    return _matches(vendor, b2c, b2b)


def _compiled_at(tenant: str, rules: Sequence[RuleSegment], now: datetime) -> _Template:
    """The body of `m`, compiled rule by rule for `now` (from the rule cache where it can)."""
    b2c: list[tuple[int, _Template]] = []
    b2b: list[tuple[int, _Template]] = []
    for rule in rules:
        compiled = compiled_rule(tenant=tenant, rule=rule, now=now)
        if compiled.customer is not None:
            b2c.append((int(rule.pk), _fixed(compiled.customer)))
        if compiled.legal_entity is not None:
            b2b.append((int(rule.pk), _fixed(compiled.legal_entity)))
    return _matches(connection.vendor, b2c, b2b)


def written_matches(
    *, tenant: str, rules: Sequence[RuleSegment], written: Sql, now: datetime | None = None
) -> Sql:
    """The `WITH w(customer_id) AS (written), m(segment_id, customer_id, legal_entity_id)
    AS (...)` prefix of a statement on the written customers' matches. `written` is a query
    of customer pks of the tenant."""
    now = now or timezone.now()
    body = _rule_set(connection.vendor, tenant, tuple(rules)) or _compiled_at(tenant, rules, now)
    matches = body.at(now)
    return Sql(
        f"WITH w(customer_id) AS ({written.text}),"
        f" m(segment_id, customer_id, legal_entity_id) AS ({matches.text})",
        (*written.params, *matches.params),
    )
