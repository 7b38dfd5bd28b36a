"""Reads of customers and legal entities, always scoped to one tenant."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from segments_project.api.query import compile_query
from segments_project.errors import NotFound

from ..documents.directory import CUSTOMER_QUERY_FIELDS
from ..models import Customer, LegalEntity


def with_legal_entity_ids(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Loads the legal entity ids of every customer fetched in one more query."""
    return customers.prefetch_related(
        Prefetch("legal_entities", queryset=LegalEntity.objects.only("public_id"))
    )


def customer_get(*, tenant: str, customer_id: str) -> Customer:
    """The customer with its legal entity ids, or NotFound whether it is missing or belongs
    to another tenant."""
    customer = (
        with_legal_entity_ids(Customer.objects.filter(tenant_id=tenant))
        .filter(public_id=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound(
            f"The customer with id {customer_id} has not been found.", resource_id=customer_id
        )
    return customer


def customers_of_tenant(*, tenant: str, q: str | None = None) -> QuerySet[Customer]:
    """The tenant's customers matching `q`, each once, ready to sort, page and render.

    Rendering a page costs one query more, for the legal entity ids of all its customers.
    """
    return with_legal_entity_ids(customers_matching(tenant=tenant, q=q))


def customers_matching(
    *, tenant: str, q: str | None, now: datetime | None = None, param: str = "q"
) -> QuerySet[Customer]:
    """The tenant's customers matching `q` (relative dates taken at `now`), each once.

    A `legalEntityIds` condition joins the link table, one row per link. Each condition
    gets its own join (so `legalEntityIds:a legalEntityIds:b` asks for customers linked
    to both), and the matches are taken through a subquery, so that a customer with
    several matching links is still listed once. A problem in `q` is a 400 about `param`.
    """
    customers = Customer.objects.filter(tenant_id=tenant)
    condition = compile_query(q, CUSTOMER_QUERY_FIELDS, now=now, param=param)
    if condition:
        matching = filtered_per_condition(customers, condition)
        customers = customers.filter(pk__in=matching.values("pk"))
    return customers


def filtered_per_condition(queryset: QuerySet, condition: Q) -> QuerySet:
    """`queryset` filtered by each top-level part of a compiled `q` in turn, so that each
    condition across a join (`legalEntityIds`) gets a join of its own."""
    for part in condition.children:
        queryset = queryset.filter(Q(part))
    return queryset


def legal_entity_get(*, tenant: str, legal_entity_id: str) -> LegalEntity:
    """The legal entity, or NotFound whether it is missing or belongs to another tenant."""
    legal_entity = LegalEntity.objects.filter(tenant_id=tenant, public_id=legal_entity_id).first()
    if legal_entity is None:
        raise NotFound(
            f"The legal entity with id {legal_entity_id} has not been found.",
            resource_id=legal_entity_id,
        )
    return legal_entity


def legal_entities_of_tenant(*, tenant: str) -> QuerySet[LegalEntity]:
    """Every legal entity of the tenant, ready to filter, sort and render (no joins needed)."""
    return LegalEntity.objects.filter(tenant_id=tenant)
