"""Who belongs to which segment: the one place the membership rule is written down.

A customer is a member of a segment when an assignment exists for them (B2C), or for them
acting for the given legal entity (B2B). The storefront reads add the segment's own
conditions (active, valid now, of the asked site) through `active_member_segments`, which
the storefront's hot path also takes as ready SQL (`active_member_segment_rows`, below).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from django.db import connections, router
from django.db.models import Exists, OuterRef, Q, QuerySet, Value

from catalog.models import Category

from ..models import (
    Customer,
    CustomerLegalEntity,
    ItemType,
    Segment,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
)
from ..querysets import SegmentQuerySet


def customer_assignments_of(
    *, tenant: str, customer_id: str, legal_entity_id: str | None
) -> QuerySet[SegmentCustomerAssignment]:
    """The assignments that make the customer (acting for the legal entity, if any) a member."""
    assignments = SegmentCustomerAssignment.objects.filter(
        tenant_id=tenant, customer__tenant_id=tenant, customer__public_id=customer_id
    )
    if legal_entity_id is None:
        return assignments.filter(legal_entity__isnull=True)
    # Acting for a legal entity the customer does not (or no longer) belong to: nothing.
    # Public ids are unique per tenant only: each lookup by one names the tenant too, so
    # PostgreSQL uses the (tenant, public_id) indexes instead of scanning every tenant's rows.
    belongs = CustomerLegalEntity.objects.filter(
        tenant_id=tenant,
        customer__tenant_id=tenant,
        customer__public_id=customer_id,
        legal_entity__tenant_id=tenant,
        legal_entity__public_id=legal_entity_id,
    )
    return assignments.filter(
        Q(legal_entity__isnull=True)
        | Q(legal_entity__tenant_id=tenant, legal_entity__public_id=legal_entity_id),
        Exists(belongs),
    )


def segments_of_customer(
    *, tenant: str, customer_id: str, legal_entity_id: str | None = None
) -> SegmentQuerySet:
    """Segments the customer is assigned to, whatever their status or validity."""
    assigned = customer_assignments_of(
        tenant=tenant, customer_id=customer_id, legal_entity_id=legal_entity_id
    ).values("segment_id")
    return Segment.objects.for_tenant(tenant).filter(pk__in=assigned)


def active_member_segments(
    *,
    tenant: str,
    customer_id: str,
    legal_entity_id: str | None,
    at: datetime,
    site_code: str | None = None,
) -> SegmentQuerySet:
    """Segments the customer is a member of at `at`: assigned, ACTIVE, valid, of the site."""
    segments = segments_of_customer(
        tenant=tenant, customer_id=customer_id, legal_entity_id=legal_entity_id
    ).active_at(at)
    if site_code is not None:
        segments = segments.filter(site_code=site_code)
    return segments


def token_subject_problem(tenant: str, customer_id: str, legal_entity_id: str | None) -> str | None:
    """Why no customer token may be issued for this customer, or None when one may.

    Existence checks only (every customer token request asks): no row of the customer is
    read, let alone its JSON columns; the customer and, for a legal entity, its link to it
    in one statement, compiled once per database and shape (`_subject_sql`)."""
    using = router.db_for_read(Customer)
    sql = _subject_sql(using, legal_entity_id is not None)
    values = {_TENANT: tenant, _CUSTOMER: customer_id, _LEGAL_ENTITY: legal_entity_id}
    with connections[using].cursor() as cursor:
        cursor.execute(sql[0], [values.get(param, param) for param in sql[1]])
        row = cursor.fetchone()
    if row is None:
        return f"The customer {customer_id} does not exist."
    if legal_entity_id is not None and not row[0]:
        return f"The customer {customer_id} does not act for the legal entity {legal_entity_id}."
    return None


@lru_cache(maxsize=8)
def _subject_sql(using: str, with_legal_entity: bool) -> tuple[str, tuple]:
    """`token_subject_problem`'s statement: one row if the customer exists, whose one column
    says whether it acts for the legal entity. Building the querysets cost more CPU than
    the statements (about 1 ms a token)."""
    customer = Customer.objects.using(using).filter(tenant_id=_TENANT, public_id=_CUSTOMER)
    acts = CustomerLegalEntity.objects.filter(
        customer=OuterRef("pk"),
        legal_entity__tenant_id=_TENANT,
        legal_entity__public_id=_LEGAL_ENTITY,
    )
    rows = customer.annotate(acts=Exists(acts) if with_legal_entity else Value(True))
    sql, params = rows.order_by().values_list("acts")[:1].query.sql_with_params()
    if params.count(_CUSTOMER) != 1 or (with_legal_entity and _LEGAL_ENTITY not in params):
        raise RuntimeError(f"The customer check cannot be precompiled on {using}: {params!r}")
    return sql, tuple(params)


def categories_of_segments(tenant: str, segment_ids: list[str]) -> QuerySet[Category]:
    """The categories assigned to any of the segments (whatever the segments' status)."""
    held = SegmentItemAssignment.objects.filter(
        tenant_id=tenant, segment__public_id__in=segment_ids, item_type=ItemType.CATEGORY
    ).values("category_id")
    return Category.objects.for_tenant(tenant).filter(pk__in=held)


# --- the rule as ready SQL, for the storefront's uncached hot path (match) -------------------
#
# Building `active_member_segments`' queryset costs Django about 2 ms of `filter()` calls
# per request, before any SQL runs: more than the statement itself. Its shape depends only
# on whether a legal entity and a site are given, so each shape is built once with
# placeholder values, compiled, and cached; a request only binds its own values into the
# compiled statement. The rule itself is written once, above: this part compiles it.

# Placeholder values, each unlike anything a caller could pass, replaced at binding.
_TENANT = "\x1fmember-sql-tenant"
_CUSTOMER = "\x1fmember-sql-customer"
_LEGAL_ENTITY = "\x1fmember-sql-legal-entity"
_SITE = "\x1fmember-sql-site"
_AT = datetime(1900, 1, 1, 0, 0, 0, 424242, tzinfo=UTC)


@dataclass(frozen=True)
class SegmentRowsStatement:
    """SQL selecting `(id, public_id)` of segments, with its parameters, on database `using`."""

    sql: str
    params: list[Any]
    using: str


@lru_cache(maxsize=32)
def _compiled(using: str, with_legal_entity: bool, with_site: bool) -> tuple[str, tuple]:
    queryset = active_member_segments(
        tenant=_TENANT,
        customer_id=_CUSTOMER,
        legal_entity_id=_LEGAL_ENTITY if with_legal_entity else None,
        at=_AT,
        site_code=_SITE if with_site else None,
    )
    rows = queryset.using(using).order_by().values("pk", "public_id")
    sql, params = rows.query.sql_with_params()
    bound = {param for param in params if _is_placeholder(param)}
    if _TENANT not in bound or _CUSTOMER not in bound or _AT not in bound:
        # A database whose driver adapts values while compiling (SQLite turns datetimes
        # into text) would leave placeholders unbound: refuse rather than answer wrongly.
        raise RuntimeError(f"The membership statement cannot be precompiled on {using}.")
    return sql, tuple(params)


def active_member_segment_rows(
    *,
    tenant: str,
    customer_id: str,
    legal_entity_id: str | None,
    at: datetime,
    site_code: str | None,
    using: str,
) -> SegmentRowsStatement:
    """`active_member_segments(...)` as a statement of `(id, public_id)` rows."""
    sql, template = _compiled(using, legal_entity_id is not None, site_code is not None)
    values = {
        _TENANT: tenant,
        _CUSTOMER: customer_id,
        _LEGAL_ENTITY: legal_entity_id,
        _SITE: site_code,
        _AT: at,
    }
    params = [values[param] if _is_placeholder(param) else param for param in template]
    return SegmentRowsStatement(sql, params, using)


def _is_placeholder(param: Any) -> bool:
    return (isinstance(param, str) and param.startswith("\x1fmember-sql-")) or param == _AT
