"""bench/import_customer_assignments.py: the tenant it may clear, and its results kept
apart by the size of the table they were measured next to."""

from __future__ import annotations

import pytest
from django.db import connection

from bench import import_customer_assignments as bench
from segments.models import Customer

from ..conftest import TENANT
from ..segments.factories import make_customer


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmark is PostgreSQL's")
def test_a_tenant_with_customers_the_benchmark_did_not_make_is_refused():
    make_customer(TENANT, "cust00000001")
    bench._refuse_foreign_rows(TENANT)  # its own customers only: accepted

    make_customer(TENANT, "C1234")
    with pytest.raises(SystemExit, match="did not make"):
        bench._refuse_foreign_rows(TENANT)
    assert Customer.objects.filter(tenant_id=TENANT).count() == 2


def test_a_run_next_to_a_large_table_is_kept_apart_from_one_on_an_empty_table():
    empty = {"rows": 200_000, "table_rows": 0}
    large = {"rows": 200_000, "table_rows": 10_003_554}
    assert bench._key(empty) == "200000"
    assert bench._key({"rows": 200_000}) == "200000"  # results stored before the column
    assert bench._key(large) == "200000@10003554"
    keys = ["200000@10003554", "1000000", "200000"]
    assert sorted(keys, key=bench._order) == ["200000", "1000000", "200000@10003554"]
