"""Which customers a segment's rule (`criteria`) selects: the live preview of a rule.

Set-based: the matches are one SQL condition over the tenant's customers, so a preview
costs a fixed number of queries whatever the number of customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import BigIntegerField, Count, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from segments_project.api.query import FieldKind, compile_query, condition_texts
from segments_project.api.query.fields import resolve_field

from ..documents.directory import CUSTOMER_QUERY_FIELDS, LEGAL_ENTITY_QUERY_FIELDS
from ..models import Customer, CustomerLegalEntity, LegalEntity
from .directory import customers_matching, with_legal_entity_ids

PREVIEW_SAMPLE_SIZE = 10


@dataclass(frozen=True)
class CriteriaPreview:
    """How many of the tenant's customers the rule selects, of how many, and the first few
    (by id) with their legal entity ids loaded."""

    count: int
    total_customers: int
    sample: list[Customer]


def legal_entities_matching(
    *, tenant: str, criteria: dict[str, str], now: datetime
) -> QuerySet[LegalEntity]:
    """The tenant's legal entities `criteria.legalEntities` selects (which must be there)."""
    return LegalEntity.objects.filter(tenant_id=tenant).filter(
        compile_query(
            criteria["legalEntities"],
            LEGAL_ENTITY_QUERY_FIELDS,
            now=now,
            param="criteria.legalEntities",
        )
    )


def _customer_rule(*, tenant: str, text: str, now: datetime) -> Q:
    """The condition `criteria.q` puts on a row of the tenant's customers.

    Most rules name only the customer's own columns (profile fields, `mixins` paths): then
    the compiled condition stands as it is, and PostgreSQL answers in one pass over the
    customers (or an index scan), as the bare SQL would. Only a rule that joins the link
    table (`legalEntityIds`) can make several rows of one customer, and is taken through
    the subquery of `customers_matching` (the preview measured 4x slower at scale M with
    that subquery on every rule: docs/benchmarks.md, "Rule segments")."""
    condition = compile_query(text, CUSTOMER_QUERY_FIELDS, now=now, param="criteria.q")
    if len(Customer.objects.filter(condition).query.alias_map) <= 1:
        return _cheapest_first(text, condition)
    matching = customers_matching(tenant=tenant, q=text, now=now, param="criteria.q")
    return Q(pk__in=matching.values("pk"))


# How costly a condition on a field of this kind is per row, in the order PostgreSQL
# evaluates an aggregate's FILTER (as written): a column comparison, a JSON member's
# extraction, a containment test on the array of address objects (~2 us a row at scale M).
_COST = {FieldKind.JSON: 1, FieldKind.OBJECTS: 2}


def _cheapest_first(text: str, condition: Q) -> Q:
    """The rule's conditions (ANDed, one child per condition of `text`) with the cheap ones
    first: the preview's count evaluates them in that order on every customer row and stops
    at the first that fails, so the address containment is tested only on the rows the
    other conditions let through (the bare SQL's WHERE is ordered by the planner)."""
    fields = [
        resolve_field(name, CUSTOMER_QUERY_FIELDS, 1, param="criteria.q").spec.kind
        for name, _ in condition_texts(text)
    ]
    if condition.connector != Q.AND or condition.negated or len(fields) != len(condition):
        return condition
    ranked = sorted(zip(fields, condition.children, strict=True), key=lambda x: _COST.get(x[0], 0))
    return Q(*(child for _, child in ranked))


def criteria_condition(*, tenant: str, criteria: dict[str, str], now: datetime | None = None) -> Q:
    """The condition on the tenant's customers that `criteria` (as `clean_criteria` left
    it) selects: customers matching `q`, or linked to a legal entity matching
    `legalEntities`; a part that is absent selects nobody. Relative dates are taken at
    `now` (default: the current time)."""
    now = now or timezone.now()
    parts: list[Q] = []
    if "q" in criteria:
        parts.append(_customer_rule(tenant=tenant, text=criteria["q"], now=now))
    if "legalEntities" in criteria:
        legal_entities = legal_entities_matching(tenant=tenant, criteria=criteria, now=now)
        links = CustomerLegalEntity.objects.filter(
            tenant_id=tenant, legal_entity__in=legal_entities
        )
        parts.append(Q(pk__in=links.values("customer_id")))
    # clean_criteria leaves at least one part.
    return reduce(or_, parts)


def criteria_matches(
    *, tenant: str, criteria: dict[str, str], now: datetime | None = None
) -> QuerySet[Customer]:
    """The tenant's customers `criteria` selects, each once (see `criteria_condition`)."""
    condition = criteria_condition(tenant=tenant, criteria=criteria, now=now)
    return Customer.objects.filter(tenant_id=tenant).filter(condition)


def criteria_pairs(
    *,
    tenant: str,
    criteria: dict[str, str],
    now: datetime | None = None,
    customers: QuerySet[Customer] | None = None,
) -> QuerySet:
    """The members `criteria` makes, as (customer pk, legal entity pk or NULL) rows for
    `automatic_members_apply`: a B2C member for every customer matching `q`, and a B2B
    member for every link of a customer to a legal entity matching `legalEntities`.
    Limited to `customers` (a queryset of the tenant's customers) when given. One SQL
    query (a UNION ALL of the parts); a pair may repeat, and the apply step takes each
    once."""
    now = now or timezone.now()
    parts: list[QuerySet] = []
    if "q" in criteria:
        matching = Customer.objects.filter(tenant_id=tenant).filter(
            _customer_rule(tenant=tenant, text=criteria["q"], now=now)
        )
        if customers is not None:
            matching = matching.filter(pk__in=customers.values("pk"))
        # Typed, so that it compares with the stored legal entity column.
        parts.append(matching.order_by().values_list("pk", Cast(Value(None), BigIntegerField())))
    if "legalEntities" in criteria:
        links = CustomerLegalEntity.objects.filter(
            tenant_id=tenant,
            legal_entity__in=legal_entities_matching(tenant=tenant, criteria=criteria, now=now),
        )
        if customers is not None:
            links = links.filter(customer_id__in=customers.values("pk"))
        parts.append(links.order_by().values_list("customer_id", "legal_entity_id"))
    # clean_criteria leaves at least one part.
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def criteria_preview(
    *, tenant: str, criteria: dict[str, str], now: datetime | None = None
) -> CriteriaPreview:
    """The count, the tenant's total and a sample of `PREVIEW_SAMPLE_SIZE` customers (by
    id) that `criteria` selects, in three queries: one aggregate for both counts, one for
    the sample page, one for the sample's legal entity ids."""
    condition = criteria_condition(tenant=tenant, criteria=criteria, now=now)
    customers = Customer.objects.filter(tenant_id=tenant)
    counts = customers.aggregate(total=Count("pk"), matched=Count("pk", filter=condition))
    sample = with_legal_entity_ids(customers.filter(condition).order_by("public_id"))
    return CriteriaPreview(
        count=counts["matched"],
        total_customers=counts["total"],
        sample=list(sample[:PREVIEW_SAMPLE_SIZE]),
    )
