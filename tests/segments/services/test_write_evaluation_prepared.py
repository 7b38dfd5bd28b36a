"""PostgreSQL: a write's evaluation is a statement prepared once per connection and rule set
and planned once (a generic plan), not at every write; a changed rule, a rollback and a new
connection still evaluate correctly (`write_evaluation._prepared_cursor`)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from segments.models import SegmentCustomerAssignment
from segments.services import directory as services

from ...conftest import TENANT
from ..factories import make_segment

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL"),
]


def _evaluations() -> list[tuple[int, int]]:
    """(generic plans, custom plans) of the prepared evaluation statements."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%added AS (%'"
        )
        return cursor.fetchall()


def _germans() -> set[str]:
    return set(
        SegmentCustomerAssignment.objects.filter(
            tenant_id=TENANT, segment__public_id="germans"
        ).values_list("customer__public_id", flat=True)
    )


def test_writes_reuse_one_prepared_statement_with_one_generic_plan(db):
    segment = make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    make_segment(TENANT, "recent", criteria={"q": "mixins.orders.lastOrderAt:>=-30d"})

    for customer_id in ("ada", "bob", "cy"):
        services.customer_upsert(
            tenant=TENANT, customer_id=customer_id, document={"preferredLanguage": "de"}
        )

    assert _germans() == {"ada", "bob", "cy"}
    assert _evaluations() == [(3, 0)]

    segment.criteria = {"q": "preferredLanguage:en"}
    segment.save(update_fields=["criteria"])
    services.customer_upsert(tenant=TENANT, customer_id="ada", document={"preferredLanguage": "en"})

    assert _germans() == {"ada", "bob", "cy"}  # only the written customer is evaluated
    assert sorted(_evaluations()) == [(1, 0), (3, 0)]  # the new rule set: a new statement


def test_a_rolled_back_write_and_a_new_connection_leave_the_next_write_correct(db):
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    services.customer_upsert(tenant=TENANT, customer_id="ada", document={"preferredLanguage": "de"})

    with pytest.raises(RuntimeError), transaction.atomic():
        services.customer_upsert(
            tenant=TENANT, customer_id="bob", document={"preferredLanguage": "de"}
        )
        raise RuntimeError("rolled back")
    services.customer_upsert(tenant=TENANT, customer_id="cy", document={"preferredLanguage": "de"})

    assert _germans() == {"ada", "cy"}
