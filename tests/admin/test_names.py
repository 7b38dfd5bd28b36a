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


def _sorted_headers(html: str) -> list[str]:
    """The `column-<name>` classes of the list's headers marked sorted."""
    headers = html.split("<thead>")[1].split("</thead>")[0].split("<th ")[1:]
    return [
        header.split("column-")[1].split()[0].rstrip('"')
        for header in headers
        if "sorted" in header.split(">")[0]
    ]


@pytest.mark.parametrize("admin_name", sorted(ROWS))
def test_the_list_marks_the_name_column_as_the_one_it_is_sorted_by(merchandiser, admin_name):
    ROWS[admin_name]()
    html = merchandiser.get(reverse(f"admin:{admin_name}_changelist")).content.decode()
    cl = _changelist(merchandiser, admin_name)
    index = list(cl.list_display).index(NAME_COLUMNS[admin_name])

    assert cl.get_ordering_field_columns() == {index: "asc"}
    assert _sorted_headers(html) == [NAME_COLUMNS[admin_name]]
    # One click on the name column sorts the other way round.
    assert f'href="?o=-{index}"' in html


def test_the_category_tree_marks_no_column_and_a_search_marks_the_name(merchandiser):
    from tests.catalog.factories import make_category

    make_category(TENANT, "audio", name="Audio")
    url = reverse("admin:catalog_category_changelist")

    tree = merchandiser.get(url).content.decode()
    searched = merchandiser.get(url, {"q": "audio"}).content.decode()

    assert _sorted_headers(tree) == []
    assert _sorted_headers(searched) == ["tree_name"]


@pytest.mark.parametrize(
    ("admin_name", "title"),
    [("segments_segment", "zebra club"), ("catalog_product", "Zebra lamp"),
     ("segments_legalentity", "Zebra Ltd"), ("coupons_coupon", "Zebra days"),
     ("segments_customer", "First Zed")],
)  # fmt: skip
def test_breadcrumbs_delete_and_history_pages_name_the_object(merchandiser, admin_name, title):
    row = ROWS[admin_name]()[0]
    pages = {
        "change": reverse(f"admin:{admin_name}_change", args=[row.pk]),
        "delete": reverse(f"admin:{admin_name}_delete", args=[row.pk]),
        "history": reverse(f"admin:{admin_name}_history", args=[row.pk]),
    }

    for page, url in pages.items():
        response = merchandiser.get(url, follow=page == "history")
        html = response.content.decode()
        if page == "history" and response.redirect_chain:
            continue  # an audited object's history is its audit trail (test_one_history)
        crumbs = html.split('<div class="breadcrumbs">')[1].split("</div>")[0]
        assert title in crumbs, (page, crumbs)
        assert f"{TENANT}/" not in crumbs, (page, crumbs)
        assert f"{TENANT}/" not in html.split("<title>")[1].split("</title>")[0], page
    delete = merchandiser.get(pages["delete"]).content.decode()
    assert f"“{title}”" in delete or f'"{title}"' in delete


def test_the_saved_and_deleted_messages_name_the_segment(merchandiser):
    from django.contrib.messages import get_messages

    from .test_segment_form import _change_form

    segment = _named_segment("s1", {"en": "Summer club"})
    url = reverse("admin:segments_segment_change", args=[segment.pk])

    saved = merchandiser.post(url, _change_form(segment, description__add_language="en",
                                                description__add_text="Warm days"))  # fmt: skip
    deleted = merchandiser.post(
        reverse("admin:segments_segment_delete", args=[segment.pk]), {"post": "yes"}
    )

    for response in (saved, deleted):
        assert response.status_code == 302
        texts = [str(message) for message in get_messages(response.wsgi_request)]
        assert any("Summer club" in text for text in texts), texts
        assert not any(f"{TENANT}/" in text for text in texts), texts


def test_a_segments_own_pages_name_it_in_the_breadcrumb(merchandiser):
    segment = _named_segment("s1", {"en": "Summer club"})

    for name in ("members", "items", "exclusions"):
        html = merchandiser.get(reverse(f"admin:segments_segment_{name}", args=[segment.pk]))
        crumbs = html.content.decode().split('<div class="breadcrumbs">')[1].split("</div>")[0]
        assert "Summer club" in crumbs, (name, crumbs)
