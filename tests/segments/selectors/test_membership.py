"""The precompiled membership statement answers exactly as the membership rule's queryset,
for every shape (with or without a legal entity and a site), whatever values it binds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.utils import timezone

from segments.selectors.membership import active_member_segment_rows, active_member_segments

from ...catalog.factories import make_product
from ...conftest import TENANT, Caller
from ..factories import (
    assign_customer,
    assign_item,
    make_customer,
    make_legal_entity,
    make_segment,
)

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the statement is precompiled on PostgreSQL only"
)
NOW = timezone.now()


@pytest.fixture
def memberships(db):
    """ada: B2C in gold (main), B2B for le1 in silver (outlet), B2C in an inactive, an
    expired and a scheduled segment; bob: gold only; another tenant's ada in gold."""
    company = make_legal_entity(TENANT, "le1")
    ada = make_customer(TENANT, "ada", legal_entities=(company,))
    bob = make_customer(TENANT, "bob")
    gold = make_segment(TENANT, "gold")
    silver = make_segment(TENANT, "silver", site="outlet")
    asleep = make_segment(TENANT, "asleep", status="INACTIVE")
    expired = make_segment(TENANT, "expired", valid_to=NOW - timedelta(days=1))
    scheduled = make_segment(TENANT, "scheduled", valid_from=NOW + timedelta(days=1))
    for segment in (gold, asleep, expired, scheduled):
        assign_customer(segment, ada)
    assign_customer(silver, ada, company)
    assign_customer(gold, bob)
    assign_customer(make_segment("globex", "gold"), make_customer("globex", "ada"))
    return {"gold": gold, "silver": silver}


CASES = [
    ("ada", None, None, NOW),
    ("ada", None, "main", NOW),
    ("ada", "le1", None, NOW),
    ("ada", "le1", "outlet", NOW),
    ("ada", "le-unknown", None, NOW),
    ("ada", None, None, NOW + timedelta(days=2)),
    ("ada", None, None, NOW - timedelta(days=2)),
    ("bob", None, "main", NOW),
    ("bob", "le1", None, NOW),
    ("nobody", None, None, NOW),
]


def _rows(sql: str, params: list) -> set[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return set(cursor.fetchall())


@on_postgresql
@pytest.mark.parametrize(("customer", "legal_entity", "site", "at"), CASES)
def test_the_statement_answers_as_the_queryset(memberships, customer, legal_entity, site, at):
    expected = set(
        active_member_segments(
            tenant=TENANT, customer_id=customer, legal_entity_id=legal_entity, at=at, site_code=site
        ).values_list("pk", "public_id")
    )

    statement = active_member_segment_rows(
        tenant=TENANT,
        customer_id=customer,
        legal_entity_id=legal_entity,
        at=at,
        site_code=site,
        using=DEFAULT_DB_ALIAS,
    )

    assert _rows(statement.sql, statement.params) == expected


@on_postgresql
def test_a_cached_shape_binds_each_callers_values(memberships):
    """The second call reuses the first one's compiled statement with its own values."""
    first, second = (
        active_member_segment_rows(
            tenant=TENANT,
            customer_id=customer,
            legal_entity_id=None,
            at=NOW,
            site_code=None,
            using=DEFAULT_DB_ALIAS,
        )
        for customer in ("ada", "bob")
    )

    assert first.sql == second.sql
    assert {row[1] for row in _rows(first.sql, first.params)} == {"gold"}
    assert {row[1] for row in _rows(second.sql, second.params)} == {"gold"}
    assert "ada" in first.params and "bob" in second.params


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite adapts while compiling")
def test_where_values_are_adapted_while_compiling_it_refuses(memberships):
    with pytest.raises(RuntimeError, match="cannot be precompiled"):
        active_member_segment_rows(
            tenant=TENANT,
            customer_id="ada",
            legal_entity_id=None,
            at=NOW,
            site_code=None,
            using=DEFAULT_DB_ALIAS,
        )


def test_a_customer_match_is_the_token_and_one_statement_on_postgresql(
    memberships, issue_token, django_assert_max_num_queries
):
    assign_item(memberships["gold"], make_product(TENANT, "p1"))
    customer = Caller(issue_token(customer_id="ada"))
    body = {"items": [{"id": "p1"}, {"id": "p2"}]}

    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 5):
        response = customer.post(f"/customer-segment/{TENANT}/segments/match", body)

    assert response.json() == [{"id": "p1", "segmentIds": ["gold"]}]
