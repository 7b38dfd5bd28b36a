"""Which customers a segment's rule (`criteria`) selects: the live preview of a rule.

Set-based: the matches are one SQL condition over the tenant's customers, so a preview
costs a fixed number of queries whatever the number of customers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from segments_project.api.query import compile_query

from ..documents.directory import LEGAL_ENTITY_QUERY_FIELDS
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


def criteria_condition(*, tenant: str, criteria: dict[str, str], now: datetime | None = None) -> Q:
    """The condition on the tenant's customers that `criteria` (as `clean_criteria` left
    it) selects: customers matching `q`, or linked to a legal entity matching
    `legalEntities`; a part that is absent selects nobody. Relative dates are taken at
    `now` (default: the current time)."""
    now = now or timezone.now()
    parts: list[Q] = []
    if "q" in criteria:
        matching = customers_matching(tenant=tenant, q=criteria["q"], now=now, param="criteria.q")
        parts.append(Q(pk__in=matching.values("pk")))
    if "legalEntities" in criteria:
        legal_entities = LegalEntity.objects.filter(tenant_id=tenant).filter(
            compile_query(
                criteria["legalEntities"],
                LEGAL_ENTITY_QUERY_FIELDS,
                now=now,
                param="criteria.legalEntities",
            )
        )
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
