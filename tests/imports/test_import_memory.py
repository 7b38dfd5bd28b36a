"""Memory stays flat: the peak of an import does not grow with the number of rows
(measured: about 1.3 MB for 2,000 rows and 1.5 MB for 20,000, chunks of 500)."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from django.utils import timezone

from segments.models import Customer, SegmentCustomerAssignment
from tests.segments.factories import make_segment

from . import TENANT, make_tenants, run_import, write_csv

# About 15 s: tracemalloc slows every allocation down.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHUNK_SIZE = 500


def _members_file(path, segment_id: str, rows: int):
    return write_csv(
        path,
        ["segmentId", "customerId", "legalEntityId", "mixins"],
        ([segment_id, f"c{n}", "", json.dumps({"n": n})] for n in range(rows)),
    )


def _peak_of_import(path) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        run = run_import("segment-customers", path, chunk_size=CHUNK_SIZE, errors=None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert run.ok, run.out
    return peak


def test_peak_memory_does_not_grow_with_the_row_count(tmp_path):
    make_tenants(TENANT)
    now = timezone.now()
    Customer.objects.bulk_create(
        Customer(tenant_id=TENANT, public_id=f"c{n}", created_at=now, modified_at=now)
        for n in range(20_000)
    )
    for segment_id in ("warm", "small", "large"):
        make_segment(TENANT, segment_id)
    # Caches filled on first use (compiled SQL, regexes, imports) are not the import's.
    run_import("segment-customers", _members_file(tmp_path / "warm.csv", "warm", 1_000))

    small = _peak_of_import(_members_file(tmp_path / "small.csv", "small", 2_000))
    large = _peak_of_import(_members_file(tmp_path / "large.csv", "large", 20_000))

    assert SegmentCustomerAssignment.objects.filter(segment__public_id="large").count() == 20_000
    assert large < 1.5 * small, f"peak {large} bytes for 20k rows, {small} for 2k"
