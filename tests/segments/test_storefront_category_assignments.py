"""GET /categories/{id}/assignments?segmentsIds=: only categories a segment holds."""

from __future__ import annotations

import pytest

from ..catalog.factories import make_assignment, make_category, make_product
from ..conftest import TENANT
from .factories import assign_item, make_segment

pytestmark = pytest.mark.django_db

ASSIGNMENTS = f"/category/{TENANT}/categories/tools/assignments"


@pytest.fixture
def shop(db):
    """tools > (power > drills, hand); gold holds power, silver holds hand."""
    tools = make_category(TENANT, "tools")
    power = make_category(TENANT, "power", parent=tools)
    drills = make_category(TENANT, "drills", parent=power)
    hand = make_category(TENANT, "hand", parent=tools)
    for category, product_id in (
        (tools, "p-tools"),
        (power, "p-power"),
        (drills, "p-drill"),
        (hand, "p-hand"),
    ):
        make_assignment(category, make_product(TENANT, product_id))
    assign_item(make_segment(TENANT, "gold"), power)
    assign_item(make_segment(TENANT, "silver"), hand)


def _products(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(entry["ref"]["id"] for entry in response.json())


def test_segments_ids_keeps_assignments_under_the_segments_categories(manager, shop):
    url = f"{ASSIGNMENTS}?withSubcategories=true&segmentsIds=gold"

    assert _products(manager.get(url)) == ["p-drill", "p-power"]


def test_segments_ids_combine_and_work_without_subcategories(manager, shop):
    both = f"{ASSIGNMENTS}?withSubcategories=true&segmentsIds=gold,silver"
    direct = f"/category/{TENANT}/categories/power/assignments?segmentsIds=gold"

    assert _products(manager.get(both)) == ["p-drill", "p-hand", "p-power"]
    assert _products(manager.get(direct)) == ["p-power"]
    assert _products(manager.get(f"{ASSIGNMENTS}?segmentsIds=gold")) == []


def test_unknown_segments_give_nothing_and_bad_ids_a_400(manager, shop):
    assert _products(manager.get(f"{ASSIGNMENTS}?withSubcategories=true&segmentsIds=none")) == []
    assert manager.get(f"{ASSIGNMENTS}?segmentsIds=,").status_code == 400
