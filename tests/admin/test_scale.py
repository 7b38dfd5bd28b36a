"""A segment with 100,000 members: its pages stay fast, because nothing lists or loads every
member (paged lists, counts in the database, autocompletes, a streamed download)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from segments.models import Customer, SegmentCustomerAssignment

from .conftest import TENANT

MEMBERS = 100_000

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_a_segment_with_100000_members_stays_fast(merchandiser, shop):
    gold = shop["gold"]
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        (
            Customer(
                tenant_id=TENANT,
                public_id=f"bulk-{number:06d}",
                email=f"bulk-{number:06d}@example.com",
                created_at=now,
                modified_at=now,
            )
            for number in range(MEMBERS)
        ),
        batch_size=5000,
    )
    SegmentCustomerAssignment.objects.bulk_create(
        (
            SegmentCustomerAssignment(
                tenant_id=TENANT, segment=gold, customer=customer, created_at=now, modified_at=now
            )
            for customer in customers
        ),
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        # Statistics, as autovacuum keeps them: without them the planner sorts every member.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    members = reverse("admin:segments_segment_members", args=[gold.pk])
    pages = [
        reverse("admin:segments_segment_changelist"),
        reverse("admin:segments_segment_change", args=[gold.pk]),
        members,
        f"{members}?p=1500",
        f"{members}?q=bulk-09999",
        reverse("admin:segments_segment_delete", args=[gold.pk]),
        reverse("admin:segments_customer_changelist"),
    ]

    for url in pages:
        with CaptureQueriesContext(connection) as queries:
            response = merchandiser.get(url)
        assert response.status_code == 200, url
        assert len(queries) < 30, (url, len(queries))
        assert not _unbounded_member_reads(queries), (url, _unbounded_member_reads(queries))

    assert f"{MEMBERS + 2:,} members" in merchandiser.get(pages[1]).content.decode()
    searched = merchandiser.get(pages[4]).context
    assert searched["total"] == 10  # bulk-099990 ... bulk-099999

    download = merchandiser.get(reverse("admin:segments_segment_members_export", args=[gold.pk]))
    lines = sum(chunk.count(b"\n") for chunk in download.streaming_content)
    assert lines == MEMBERS + 2 + 1  # the header, alice, bob and the bulk members


def _unbounded_member_reads(queries: CaptureQueriesContext) -> list[str]:
    """The queries that read the member table's rows without a LIMIT: one of them would load
    every member of the segment (counts, existence checks and subqueries are fine)."""
    table = SegmentCustomerAssignment._meta.db_table
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT")
        and f'FROM "{table}"' in query["sql"].split(" WHERE ")[0]
        and "LIMIT" not in query["sql"]
        and "COUNT(" not in query["sql"]
    ]
