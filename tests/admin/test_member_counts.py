"""A segment's page and its members page count the members once at most and never further
than `COUNT_CAP` + 1 rows: above it they say "more than …" and page on without a count
(issue 20: an exact count of 350,000 members took a second or two on every load at L)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from segments.admin.views import pages
from segments.models import SegmentCustomerAssignment
from tests.segments.factories import assign_customer, make_customer

from .conftest import TENANT

pytestmark = pytest.mark.django_db

MEMBERS_TABLE = f'"{SegmentCustomerAssignment._meta.db_table}"'


def _member_counts(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT") and "COUNT(" in query["sql"]
        and MEMBERS_TABLE in query["sql"]
    ]  # fmt: skip


def _grow(gold: Any, members: int) -> None:
    for number in range(members):
        assign_customer(gold, make_customer(TENANT, f"grown-{number:03d}"))


@pytest.fixture
def capped(monkeypatch) -> None:
    monkeypatch.setattr(pages, "COUNT_CAP", 3)
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)


def test_the_members_page_counts_once_and_bounded(merchandiser, shop):
    members = reverse("admin:segments_segment_members", args=[shop["gold"].pk])

    with CaptureQueriesContext(connection) as queries:
        response = merchandiser.get(members)

    counts = _member_counts(queries)
    assert len(counts) == 1, counts
    assert f"LIMIT {pages.COUNT_CAP + 1}" in counts[0]  # not over every member
    assert "2 members" in response.content.decode()


def test_the_segment_page_counts_once_and_bounded(merchandiser, shop):
    segment = reverse("admin:segments_segment_change", args=[shop["gold"].pk])

    with CaptureQueriesContext(connection) as queries:
        response = merchandiser.get(segment)

    counts = _member_counts(queries)
    assert len(counts) == 1, counts
    assert f"LIMIT {pages.COUNT_CAP + 1}" in counts[0]  # not over every member
    assert "2 members" in response.content.decode()
    assert "Members (2)" in response.content.decode()


def test_above_the_cap_the_pages_say_more_than(merchandiser, shop, capped):
    gold = shop["gold"]
    _grow(gold, 5)  # 7 members, cap 3, pages of 2
    members = reverse("admin:segments_segment_members", args=[gold.pk])

    first = merchandiser.get(members)
    segment = merchandiser.get(reverse("admin:segments_segment_change", args=[gold.pk]))

    assert first.context["total"] == "more than 3"
    assert "more than 3 members" in first.content.decode()
    assert "more than 3 members" in segment.content.decode()
    assert "(1\u20132 of more than 3)" in first.content.decode()  # an en dash
    assert [link["number"] for link in first.context["page"].links] == [1, 2, "…"]


def test_above_the_cap_every_page_is_reachable(merchandiser, shop, capped):
    gold = shop["gold"]
    _grow(gold, 5)  # 7 members: pages 1 to 4, the last with one member
    members = reverse("admin:segments_segment_members", args=[gold.pk])
    newest_first = list(
        SegmentCustomerAssignment.objects.filter(segment=gold)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
    )

    pages_seen = [
        merchandiser.get(f"{members}?p={number}").context["page"] for number in (1, 2, 3, 4)
    ]
    past_the_end = merchandiser.get(f"{members}?p=9").context["page"]

    assert [row.pk for page in pages_seen for row in page.object_list] == newest_first
    assert [page.has_next() for page in pages_seen] == [True, True, True, False]
    assert pages_seen[3].start_index() == 7 and pages_seen[3].end_index() == 7
    assert [link["number"] for link in pages_seen[3].links] == [1, 2, 3, 4]
    assert past_the_end.object_list  # falls back to a page of rows, not an error


def test_the_preview_of_a_segment_does_not_count_its_members(merchandiser, shop):
    preview = reverse("admin:segments_segment_preview") + f"?segment={shop['gold'].pk}"

    with CaptureQueriesContext(connection) as queries:
        response = merchandiser.get(preview)

    assert response.status_code == 200
    assert _member_counts(queries) == []


def test_above_the_cap_a_page_skips_its_offset_over_the_keys_alone(merchandiser, shop, capped):
    gold = shop["gold"]
    _grow(gold, 5)  # 7 members, cap 3, pages of 2
    members = reverse("admin:segments_segment_members", args=[gold.pk])

    with CaptureQueriesContext(connection) as queries:
        page = merchandiser.get(f"{members}?p=3").context["page"]

    offsets = [
        query["sql"]
        for query in queries.captured_queries
        if MEMBERS_TABLE in query["sql"] and " OFFSET " in query["sql"]
    ]
    # The offset over the members' keys (an index-only scan of `member_added` on PostgreSQL),
    # then the page's rows with their customers by key.
    assert offsets and all(
        sql.startswith(f'SELECT {MEMBERS_TABLE}."id" AS "pk" FROM {MEMBERS_TABLE} WHERE')
        for sql in offsets
    ), offsets
    assert len(page.object_list) == 2 and page.object_list[0].customer.public_id
