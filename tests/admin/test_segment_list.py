"""The segment list: columns, counts computed in the list query, filters and search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from segments.models import Segment
from tests.segments.factories import assign_customer, make_customer, make_segment

from .conftest import TENANT

LIST = reverse("admin:segments_segment_changelist")

pytestmark = pytest.mark.django_db


def _ids(response) -> list[str]:
    return [segment.public_id for segment in response.context["cl"].result_list]


def test_the_list_shows_names_sites_status_and_counts(merchandiser, shop):
    response = merchandiser.get(LIST)

    assert response.status_code == 200
    rows = {segment.public_id: segment for segment in response.context["cl"].result_list}
    assert set(rows) == {"gold", "silver"}
    assert (rows["gold"].member_count, rows["gold"].item_count) == (2, 2)
    assert (rows["silver"].member_count, rows["silver"].item_count) == (1, 0)
    html = response.content.decode()
    assert "Gold customers" in html
    assert "seg-badge seg-active" in html
    assert "seg-badge seg-inactive" in html
    assert reverse("admin:segments_segment_members", args=[shop["gold"].pk]) in html


def test_names_are_shown_in_the_admins_language(merchandiser, shop):
    with translation.override("de"):
        response = merchandiser.get(LIST)

    assert "Goldkunden" in response.content.decode()


def test_the_list_costs_the_same_queries_for_3_or_30_segments(merchandiser, shop):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert merchandiser.get(LIST).status_code == 200
        return len(captured)

    few = queries()
    customer = make_customer(TENANT, "carol")
    for number in range(27):
        segment = make_segment(TENANT, f"extra-{number:02d}")
        assign_customer(segment, customer)

    assert queries() == few


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lifecycle=active", ["gold"]),
        ("lifecycle=inactive", ["silver"]),
        ("site=outlet", ["silver"]),
        ("site=main", ["gold"]),
    ],
)
def test_filters_by_status_and_site(merchandiser, shop, query, expected):
    assert _ids(merchandiser.get(f"{LIST}?{query}")) == expected


def test_filters_by_where_the_segment_stands_now(merchandiser, shop):
    now = timezone.now()
    make_segment(TENANT, "past", valid_from=now - timedelta(days=9), valid_to=now - timedelta(1))
    make_segment(TENANT, "future", valid_from=now + timedelta(days=1))
    make_segment(TENANT, "running", valid_to=now + timedelta(days=1))

    Segment.objects.filter(public_id="past").update(status="INACTIVE")
    make_segment(TENANT, "ended", valid_to=now - timedelta(days=1))

    assert _ids(merchandiser.get(f"{LIST}?lifecycle=active")) == ["gold", "running"]
    assert _ids(merchandiser.get(f"{LIST}?lifecycle=expired")) == ["ended"]
    assert _ids(merchandiser.get(f"{LIST}?lifecycle=scheduled")) == ["future"]
    # Switched off wins over the validity: past is Inactive, not Expired.
    assert _ids(merchandiser.get(f"{LIST}?lifecycle=inactive")) == ["past", "silver"]
    html = merchandiser.get(LIST).content.decode()
    assert html.count(">Scheduled</span>") == html.count(">Expired</span>") == 1


@pytest.mark.parametrize(
    ("term", "expected"),
    [("gold", ["gold"]), ("silv", ["silver"]), ("Goldkunden", ["gold"]), ("nothing", [])],
)
def test_search_by_id_and_name(merchandiser, shop, term, expected):
    assert _ids(merchandiser.get(LIST, {"q": term})) == expected


def test_sorting_by_member_count(merchandiser, shop):
    # Column 6 after the action checkbox: members.
    assert _ids(merchandiser.get(LIST, {"o": "6"})) == ["silver", "gold"]
    assert _ids(merchandiser.get(LIST, {"o": "-6"})) == ["gold", "silver"]
