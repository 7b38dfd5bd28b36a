"""forceDelete protects a segment's assignments; with it, all go in one transaction."""

from __future__ import annotations

import pytest

from catalog.models import Product
from segments.models import Segment, SegmentCustomerAssignment, SegmentItemAssignment

from ..catalog.factories import make_product
from ..conftest import TENANT
from .factories import assign_customer, assign_item, make_customer, make_segment

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"


@pytest.fixture
def segment_with_assignments(db):
    segment = make_segment(TENANT, "gold")
    assign_item(segment, make_product(TENANT, "p1"))
    assign_customer(segment, make_customer(TENANT, "c1"))
    return segment


@pytest.mark.parametrize("query", ["", "?forceDelete=false"])
def test_a_segment_with_assignments_is_not_deleted_without_force(
    manager, segment_with_assignments, query
):
    response = manager.delete(f"{SEGMENTS}/gold{query}")

    assert response.status_code == 400
    assert "forceDelete" in response.json()["message"]
    assert Segment.objects.filter(public_id="gold").exists()
    assert SegmentItemAssignment.objects.count() == 1
    assert SegmentCustomerAssignment.objects.count() == 1


def test_force_delete_removes_the_segment_and_its_assignments(manager, segment_with_assignments):
    response = manager.delete(f"{SEGMENTS}/gold?forceDelete=true")

    assert response.status_code == 204
    assert not Segment.objects.exists()
    assert not SegmentItemAssignment.objects.exists()
    assert not SegmentCustomerAssignment.objects.exists()
    assert Product.objects.filter(public_id="p1").exists()


def test_bulk_delete_reports_protected_segments_per_element(manager, segment_with_assignments):
    make_segment(TENANT, "empty")

    response = manager.delete(f"{SEGMENTS}/bulk", ["gold", "empty"])

    assert [entry["code"] for entry in response.json()] == [400, 204]
    assert list(Segment.objects.values_list("public_id", flat=True)) == ["gold"]

    forced = manager.delete(f"{SEGMENTS}/bulk?forceDelete=true", ["gold"])

    assert [entry["code"] for entry in forced.json()] == [204]
    assert not SegmentItemAssignment.objects.exists()
