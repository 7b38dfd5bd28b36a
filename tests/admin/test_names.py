"""Objects are called by their names: a change page is titled by the object's name, lists
sort by name by default, and the name column sorts (a localized name by its text in the
default language) (issue 20, item 9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from coupons.services import coupon_create
from tests.catalog.factories import make_product
from tests.segments.factories import make_customer, make_legal_entity, make_segment

from .conftest import TENANT

pytestmark = pytest.mark.django_db


def _named_segment(segment_id: str, names: dict[str, str]) -> Any:
    segment = make_segment(TENANT, segment_id)
    segment.name = names
    segment.save()
    return segment


def _coupon(code: str, name: str) -> Any:
    document = {"code": code, "name": name, "discountType": "PERCENT", "discountPercentage": 5}
    return coupon_create(tenant=TENANT, document=document)


# Rows whose ids sort the other way round than their names ("a..." is named last).
ROWS = {
    "segments_segment": lambda: [
        _named_segment("a1", {"en": "zebra club", "de": "Aaa"}),
        _named_segment("b1", {"en": "Middle"}),
        _named_segment("c1", {"en": "alpha"}),
    ],
    "catalog_product": lambda: [
        make_product(TENANT, "a1", name="Zebra lamp"),
        make_product(TENANT, "b1", name="middle lamp"),
        make_product(TENANT, "c1", name="Alpha lamp"),
    ],
    "segments_legalentity": lambda: [
        make_legal_entity(TENANT, "a1", name="Zebra Ltd"),
        make_legal_entity(TENANT, "b1", name="Middle Ltd"),
        make_legal_entity(TENANT, "c1", name="Alpha Ltd"),
    ],
    "coupons_coupon": lambda: [
        _coupon("A1", "Zebra days"),
        _coupon("B1", "Middle days"),
        _coupon("C1", "Alpha days"),
    ],
    "segments_customer": lambda: [
        make_customer(TENANT, "zed"),  # First Zed
        make_customer(TENANT, "mia"),  # First Mia
        make_customer(TENANT, "al"),  # First Al
    ],
}
NAME_COLUMNS = {
    "segments_segment": "segment_name",
    "catalog_product": "product_name",
    "segments_legalentity": "name",
    "coupons_coupon": "name",
    "segments_customer": "full_name",
}


def _changelist(client: Client, admin_name: str, **params: str) -> Any:
    response = client.get(reverse(f"admin:{admin_name}_changelist"), params)
    assert response.status_code == 200
    return response.context["cl"]


def _listed(client: Client, admin_name: str, **params: str) -> list[Any]:
    return list(_changelist(client, admin_name, **params).result_list)


@pytest.mark.parametrize("admin_name", sorted(ROWS))
def test_a_list_sorts_by_name_by_default(merchandiser, admin_name):
    zebra, middle, alpha = ROWS[admin_name]()

    assert [row.pk for row in _listed(merchandiser, admin_name)] == [alpha.pk, middle.pk, zebra.pk]


@pytest.mark.parametrize("admin_name", sorted(ROWS))
def test_the_name_column_sorts_both_ways(merchandiser, admin_name):
    zebra, middle, alpha = ROWS[admin_name]()
    columns = list(_changelist(merchandiser, admin_name).list_display)
    index = columns.index(NAME_COLUMNS[admin_name])

    descending = _changelist(merchandiser, admin_name, o=f"-{index}")
    ascending = _changelist(merchandiser, admin_name, o=f"{index}")

    assert descending.get_ordering_field_columns() == {index: "desc"}
    assert [row.pk for row in descending.result_list] == [zebra.pk, middle.pk, alpha.pk]
    assert [row.pk for row in ascending.result_list] == [alpha.pk, middle.pk, zebra.pk]


@pytest.mark.parametrize(
    ("admin_name", "title"),
    [("segments_segment", "zebra club"), ("catalog_product", "Zebra lamp"),
     ("segments_legalentity", "Zebra Ltd"), ("coupons_coupon", "Zebra days"),
     ("segments_customer", "First Zed")],
)  # fmt: skip
def test_a_change_page_is_titled_by_the_objects_name(merchandiser, admin_name, title):
    row = ROWS[admin_name]()[0]

    html = merchandiser.get(reverse(f"admin:{admin_name}_change", args=[row.pk])).content.decode()

    assert f"<h2>{title}</h2>" in html
    assert f"<title>{title} | " in html
    assert f"{TENANT}/" not in html.split("<title>")[1].split("</title>")[0]


def test_a_change_page_without_a_name_is_titled_by_the_id(merchandiser):
    segment = _named_segment("nameless", {})

    html = merchandiser.get(reverse("admin:segments_segment_change", args=[segment.pk]))

    assert "<h2>nameless</h2>" in html.content.decode()
