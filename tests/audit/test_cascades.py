"""Assignments that go with a deleted customer, legal entity, product or category are in
the trail too, under their segment, with the deletion that took them."""

from __future__ import annotations

import pytest

from ..catalog.factories import make_category, make_product
from ..conftest import TENANT
from ..segments.factories import (
    assign_customer,
    assign_item,
    make_customer,
    make_legal_entity,
    make_segment,
)
from .conftest import AUDITED_CLIENT, trail

pytestmark = pytest.mark.django_db


def _unassigned() -> list[tuple[str, str, str, dict]]:
    return sorted(
        (event["segment_id"], event["document_id"], event["actor"], event["changes"])
        for event in trail(action="unassigned")
    )


def test_deleting_a_customer_records_each_membership_it_ends(integration):
    company = make_legal_entity(TENANT, "le1")
    ada = make_customer(TENANT, "ada", legal_entities=(company,))
    gold, silver = make_segment(TENANT, "gold"), make_segment(TENANT, "silver")
    assign_customer(gold, ada)
    assign_customer(silver, ada, company)
    assign_customer(gold, make_customer(TENANT, "bob"))

    assert integration.delete(f"/customer/{TENANT}/customers/ada").status_code == 204

    reason = {"assignment_type": "MANUAL", "reason": "customer deleted"}
    assert _unassigned() == [
        ("gold", "ada", AUDITED_CLIENT, reason),
        ("silver", "ada/le1", AUDITED_CLIENT, reason),
    ]


def test_deleting_a_legal_entity_records_the_b2b_memberships_only(integration):
    company = make_legal_entity(TENANT, "le1")
    ada = make_customer(TENANT, "ada", legal_entities=(company,))
    gold = make_segment(TENANT, "gold")
    assign_customer(gold, ada)
    assign_customer(gold, ada, company)

    assert integration.delete(f"/customer/{TENANT}/legal-entities/le1").status_code == 204

    assert _unassigned() == [
        (
            "gold",
            "ada/le1",
            AUDITED_CLIENT,
            {"assignment_type": "MANUAL", "reason": "legal entity deleted"},
        )
    ]


def test_deleting_a_product_records_its_item_assignments(integration):
    gold, silver = make_segment(TENANT, "gold"), make_segment(TENANT, "silver")
    shoe, hat = make_product(TENANT, "shoe"), make_product(TENANT, "hat")
    assign_item(gold, shoe)
    assign_item(silver, shoe)
    assign_item(gold, hat)

    assert integration.delete(f"/product/{TENANT}/products/shoe").status_code == 204

    reason = {"reason": "product deleted"}
    assert _unassigned() == [
        ("gold", "PRODUCT/shoe", AUDITED_CLIENT, reason),
        ("silver", "PRODUCT/shoe", AUDITED_CLIENT, reason),
    ]


def test_deleting_a_category_subtree_records_the_items_of_every_category_in_it(integration):
    gold = make_segment(TENANT, "gold")
    shoes = make_category(TENANT, "shoes")
    boots = make_category(TENANT, "boots", parent=shoes)
    hats = make_category(TENANT, "hats")
    for category in (shoes, boots, hats):
        assign_item(gold, category)

    response = integration.delete(f"/category/{TENANT}/categories/shoes?withSubcategories=true")

    assert response.status_code == 204
    reason = {"reason": "category deleted"}
    assert _unassigned() == [
        ("gold", "CATEGORY/boots", AUDITED_CLIENT, reason),
        ("gold", "CATEGORY/shoes", AUDITED_CLIENT, reason),
    ]


def test_a_refused_category_deletion_records_nothing(integration):
    gold = make_segment(TENANT, "gold")
    shoes = make_category(TENANT, "shoes")
    make_category(TENANT, "boots", parent=shoes)
    assign_item(gold, shoes)

    response = integration.delete(f"/category/{TENANT}/categories/shoes")

    assert response.status_code == 400
    assert trail() == []
