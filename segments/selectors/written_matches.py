"""What every rule segment of a tenant selects among a few customers, as one SQL query: the
evaluation of a customer or legal-entity write (`services/write_evaluation.py`).

The query yields (segment pk, customer pk, legal entity pk or NULL) rows. It is one
`WITH` statement: `w` holds the written customers' pks, and `m` is the UNION ALL of one
arm per rule segment, each `criteria_pairs` of the segment's rule restricted to the
customers in `w`, with the segment's pk as a literal column. The number of statements is
therefore fixed whatever the number of rule segments.

Compiling 200 rules to SQL costs more than running them against one customer, so each
rule's arm is cached as SQL text and parameters, keyed by the tenant and the rule's text.
Only arms that do not depend on the time are cached: an arm is compiled at two instants one
second apart, and if the two differ (the rule holds a relative date, resolved at the write's
`now`) it is compiled again at every write.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils import timezone

from ..models import Customer
from .criteria import criteria_pairs

# How many compiled arms the process keeps (tenants x rule texts).
ARM_CACHE_SIZE = 8192


@dataclass(frozen=True)
class RuleSegment:
    """A rule segment as the write's evaluation read it (under its row lock)."""

    pk: int
    public_id: str
    criteria: str  # the stored JSON text of the rule


@dataclass(frozen=True)
class Sql:
    text: str
    params: tuple[Any, ...]


def _written_customers() -> Any:
    """The customers of `w` as a queryset restriction. The pks come from the statement's
    own `w` CTE, so the compiled arm does not depend on which customers were written."""
    return Customer.objects.filter(pk__in=RawSQL("SELECT customer_id FROM w", ()))


def _compiled_arm(tenant: str, criteria: dict[str, str], now: datetime) -> Sql | None:
    """The rule's (customer, legal entity) pairs among the customers of `w`; None when the
    rule can match nobody (Django compiles such a query to no SQL at all)."""
    pairs = criteria_pairs(
        tenant=tenant, criteria=criteria, now=now, customers=_written_customers()
    )
    try:
        text, params = pairs.query.sql_with_params()
    except EmptyResultSet:
        return None
    return Sql(text, tuple(params))


@lru_cache(maxsize=ARM_CACHE_SIZE)
def _timeless_arm(vendor: str, tenant: str, criteria_text: str) -> tuple[bool, Sql | None]:
    """(whether the rule's arm is the same at every instant, that arm). `vendor` is part of
    the key because the SQL is the database's."""
    criteria = json.loads(criteria_text)
    now = timezone.now()
    arm = _compiled_arm(tenant, criteria, now)
    earlier = _compiled_arm(tenant, criteria, now - timedelta(seconds=1))
    return arm == earlier, arm


def rule_arm(*, tenant: str, rule: RuleSegment, now: datetime) -> Sql | None:
    """The rule's arm at `now`: from the cache unless the rule holds a relative date."""
    timeless, arm = _timeless_arm(connection.vendor, tenant, rule.criteria)
    if timeless:
        return arm
    return _compiled_arm(tenant, json.loads(rule.criteria), now)


def written_matches(
    *, tenant: str, rules: Sequence[RuleSegment], written: Sql, now: datetime | None = None
) -> Sql | None:
    """The `WITH w(customer_id) AS (written), m(segment_id, customer_id, legal_entity_id)
    AS (...)` prefix that a statement on the written customers' matches starts with, or
    None when no rule can match anyone. `written` is a query of customer pks of the tenant.
    """
    now = now or timezone.now()
    arms, params = [], list(written.params)
    for rule in rules:
        arm = rule_arm(tenant=tenant, rule=rule, now=now)
        if arm is None:
            continue
        # The pk is an integer read from the database: safe as a literal, and a literal
        # keeps the statement's parameters to those of the rules.
        arms.append(f"SELECT {int(rule.pk)}, p.* FROM ({arm.text}) AS p")
        params += arm.params
    if not arms:
        return None
    union = "\n UNION ALL ".join(arms)
    return Sql(
        f"WITH w(customer_id) AS ({written.text}),"
        f" m(segment_id, customer_id, legal_entity_id) AS ({union})",
        tuple(params),
    )
