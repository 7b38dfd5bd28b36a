"""Tenants never see nor change each other's segment items, nor assign each other's catalog."""

from __future__ import annotations

import pytest

from segments.models import SegmentItemAssignment

from ..catalog.factories import make_category, make_product
from ..conftest import OTHER_TENANT, TENANT
from .factories import assign_item, make_segment

pytestmark = pytest.mark.django_db

ITEMS = f"/customer-segment/{TENANT}/segments/gold/items"

OPERATIONS: list[tuple[str, str, object]] = [
    ("GET", ITEMS, None),
    ("GET", f"{ITEMS}?q=type:PRODUCT&pageSize=10&sort=item.id:desc&fields=item", None),
    ("POST", f"{ITEMS}/search", {"q": "item.id:p1"}),
    ("GET", f"{ITEMS}/PRODUCT/p1", None),
    ("GET", f"{ITEMS}/category/c1", None),
    ("PUT", f"{ITEMS}/PRODUCT/p2", {"mixins": {"a": 1}}),
    ("PUT", f"{ITEMS}/PRODUCT/p1", {"mixins": {"a": 1}, "metadata": {"version": 1}}),
    ("DELETE", f"{ITEMS}/PRODUCT/p1", None),
    ("DELETE", f"{ITEMS}/CATEGORY/c1", None),
    ("PUT", f"{ITEMS}/PRODUCT/bulk", [{"id": "p1", "mixins": {"a": 1}}, {"id": "p2"}]),
    ("PUT", f"{ITEMS}/category/bulk", [{"id": "c2"}]),
    ("DELETE", f"{ITEMS}/PRODUCT/bulk", ["p1"]),
    ("DELETE", f"{ITEMS}/CATEGORY/bulk", ["c1"]),
]
OPERATION_NAMES = [
    f"{method} {path.split('/items', 1)[1] or '/'}" for method, path, _ in OPERATIONS
]


@pytest.fixture
def acme(db):
    """Tenant acme: segment gold holding product p1 and category c1; p2 and c2 unassigned."""
    gold = make_segment(TENANT, "gold")
    assign_item(gold, make_product(TENANT, "p1"))
    assign_item(gold, make_category(TENANT, "c1"))
    make_product(TENANT, "p2")
    make_category(TENANT, "c2")
    return gold


def _snapshot() -> list[dict]:
    return list(SegmentItemAssignment.objects.order_by("pk").values())


@pytest.mark.parametrize("operation", range(len(OPERATIONS)), ids=OPERATION_NAMES)
def test_another_tenants_token_gets_403_and_changes_nothing(outsider, acme, operation):
    method, path, body = OPERATIONS[operation]
    before = _snapshot()

    response = outsider.request(method, path, body)

    assert response.status_code == 403
    assert response.json()["code"] == 403
    assert _snapshot() == before


@pytest.mark.parametrize("operation", range(len(OPERATIONS)), ids=OPERATION_NAMES)
def test_the_other_tenants_own_paths_never_reach_our_data(outsider, acme, operation):
    method, path, body = OPERATIONS[operation]
    before = _snapshot()

    response = outsider.request(method, path.replace(f"/{TENANT}/", f"/{OTHER_TENANT}/"), body)

    # globex has no segment gold.
    assert response.status_code == 404
    assert response.json()["resourceId"] == "gold"
    assert _snapshot() == before


def test_items_that_exist_only_in_the_other_tenant_are_unknown(manager, acme):
    make_product(OTHER_TENANT, "foreign-p")
    make_category(OTHER_TENANT, "foreign-c")
    before = _snapshot()

    product = manager.put(f"{ITEMS}/PRODUCT/foreign-p")
    category = manager.put(f"{ITEMS}/CATEGORY/foreign-c")
    bulk_products = manager.put(f"{ITEMS}/PRODUCT/bulk", [{"id": "p2"}, {"id": "foreign-p"}])
    bulk_categories = manager.put(f"{ITEMS}/CATEGORY/bulk", [{"id": "foreign-c"}])

    assert (product.status_code, category.status_code) == (400, 400)
    assert "foreign-p" in product.json()["message"]
    assert "foreign-c" in category.json()["message"]
    assert [entry["code"] for entry in bulk_products.json()] == [201, 400]
    assert "foreign-p" in bulk_products.json()[1]["message"]
    assert [entry["code"] for entry in bulk_categories.json()] == [400]
    after = _snapshot()
    assert len(after) == len(before) + 1  # only p2
    assert not SegmentItemAssignment.objects.filter(tenant_id=OTHER_TENANT).exists()
    assert not SegmentItemAssignment.objects.filter(product__tenant_id=OTHER_TENANT).exists()
    assert not SegmentItemAssignment.objects.filter(category__tenant_id=OTHER_TENANT).exists()


def test_the_same_item_id_in_both_tenants_resolves_to_our_own(manager, acme):
    make_product(OTHER_TENANT, "twin")
    refused = manager.put(f"{ITEMS}/PRODUCT/twin")
    ours = make_product(TENANT, "twin")

    accepted = manager.put(f"{ITEMS}/PRODUCT/twin")

    assert (refused.status_code, accepted.status_code) == (400, 201)
    assert SegmentItemAssignment.objects.get(product__public_id="twin").product == ours


def test_a_segment_of_the_other_tenant_is_not_found(manager, acme):
    foreign = make_segment(OTHER_TENANT, "silver")
    assign_item(foreign, make_product(OTHER_TENANT, "p1"))
    path = f"/customer-segment/{TENANT}/segments/silver/items"
    before = _snapshot()

    responses = [
        manager.get(path),
        manager.post(f"{path}/search", {}),
        manager.get(f"{path}/PRODUCT/p1"),
        manager.put(f"{path}/PRODUCT/p1"),
        manager.delete(f"{path}/PRODUCT/p1"),
        manager.put(f"{path}/PRODUCT/bulk", [{"id": "p1"}]),
        manager.delete(f"{path}/PRODUCT/bulk", ["p1"]),
    ]

    assert [response.status_code for response in responses] == [404] * len(responses)
    assert _snapshot() == before


def test_the_same_segment_id_in_the_other_tenant_lists_only_our_items(manager, acme):
    twin = make_segment(OTHER_TENANT, "gold")
    assign_item(twin, make_product(OTHER_TENANT, "theirs"))

    response = manager.get(ITEMS)

    assert sorted(entry["item"]["id"] for entry in response.json()) == ["c1", "p1"]
