"""PostgreSQL's way of writing assignments: new rows COPYed straight into the table, a
fixed number of statements per chunk whatever its size, and a fallback should a row
read as new exist after all. On any database: one content version bump per chunk."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments.models import SegmentCustomerAssignment
from segments_project.checkpoints import Checkpoint
from segments_project.db.copy import copy_disabled
from tests.segments.factories import make_customer, make_segment

from . import TENANT, make_tenants, run_import, write_csv

# Chunks commit on their own only outside a test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)

copy_path = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's COPY")

HEADER = ["segmentId", "customerId", "legalEntityId", "mixins"]


@pytest.fixture(autouse=True)
def _directory():
    make_tenants(TENANT)
    for segment_id in ("gold", "silver"):
        make_segment(TENANT, segment_id)
    for number in range(60):
        make_customer(TENANT, f"c{number}")


def _file(tmp_path, customers: int, mixins: str = ""):
    rows = [
        [segment_id, f"c{number}", "", mixins]
        for number in range(customers)
        for segment_id in ("gold", "silver")
    ]
    return write_csv(tmp_path / f"members-{customers}.csv", HEADER, rows)


def _statements(path) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert run_import("segment-customers", path).ok
    return [query["sql"] for query in queries.captured_queries]


@copy_path
def test_a_chunk_takes_the_same_statements_whatever_its_size(tmp_path, settings):
    # Without a shared cache the chunk's version row is written in its transaction.
    settings.CACHE_SHARED_BY_PROCESSES = False
    small = _statements(_file(tmp_path, 3))
    SegmentCustomerAssignment.objects.all().delete()
    large = _statements(_file(tmp_path, 60))

    assert len(large) == len(small)
    bumps = [sql for sql in large if "tenancy_storefrontversion" in sql]
    assert len(bumps) == 1
    assert bumps[0].startswith("SET CONSTRAINTS ALL IMMEDIATE; INSERT")
    assert SegmentCustomerAssignment.objects.count() == 120


def test_each_chunk_marks_the_answers_stale_once(tmp_path, published):
    assert run_import("segment-customers", _file(tmp_path, 60), chunk_size=50).ok

    assert published == [(TENANT, frozenset({"t"}))] * 3


@copy_path
def test_rows_read_as_new_that_exist_after_all_are_merged(tmp_path, on_checkpoint):
    path = _file(tmp_path, 5, json.dumps({"tier": 1}))
    assert run_import("segment-customers", path).ok
    before = list(SegmentCustomerAssignment.objects.order_by("pk").values())
    # As if another writer had inserted every row between the read and the write.
    on_checkpoint(Checkpoint.MEMBERS_STORED_READ, lambda stored: stored.clear())

    assert run_import("segment-customers", path).ok
    assert run_import("segment-customers", _file(tmp_path, 5, json.dumps({"tier": 2}))).ok

    after = list(SegmentCustomerAssignment.objects.order_by("pk").values())
    assert [row["version"] for row in after] == [row["version"] + 1 for row in before]
    assert {json.dumps(row["mixins"]) for row in after} == {json.dumps({"tier": 2})}
    assert [row["id"] for row in after] == [row["id"] for row in before]


@copy_path
def test_copy_disabled_writes_the_same_rows_the_way_other_databases_do(tmp_path):
    table = SegmentCustomerAssignment._meta.db_table
    path = _file(tmp_path, 5)

    with copy_disabled():
        statements = _statements(path)
    written = sorted(SegmentCustomerAssignment.objects.values_list("segment_id", "customer_id"))
    SegmentCustomerAssignment.objects.all().delete()
    copied = _statements(path)

    inserts = f'INSERT INTO "{table}"'
    assert any(sql.startswith(inserts) for sql in statements)  # bulk_create
    assert not any(sql.startswith(inserts) for sql in copied)  # COPY (not a captured query)
    assert written == sorted(
        SegmentCustomerAssignment.objects.values_list("segment_id", "customer_id")
    )
    assert len(written) == 10
