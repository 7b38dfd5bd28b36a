"""The admin's pickers: best match first, ranked in the query, labelled with what they pick
(SKU, the category's place in the tree, the customer's email), a bounded number of queries
per page, and still one tenant's rows only (issue 20, item 1)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from segments.admin.directory import CustomerAdmin
from segments.models import Customer
from segments_project.tenancy.admin_ranking import BestMatchFirst
from tests.catalog.factories import make_category, make_product
from tests.segments.factories import make_customer, make_legal_entity, make_segment

from .conftest import OTHER_TENANT, TENANT

pytestmark = pytest.mark.django_db

# model admin -> the form field (app, model, field) whose picker asks it
SOURCES = {
    "catalog_product": ("segments", "segmentitemassignment", "product"),
    "catalog_category": ("segments", "segmentitemassignment", "category"),
    "segments_customer": ("segments", "segmentcustomerassignment", "customer"),
    "segments_legalentity": ("segments", "segmentcustomerassignment", "legal_entity"),
    "segments_segment": ("segments", "segmentcustomerassignment", "segment"),
}


def _picker(client: Client, admin_name: str, term: str, **params: Any) -> Any:
    app_label, model_name, field_name = SOURCES[admin_name]
    response = client.get(
        reverse(f"admin:{admin_name}_scoped_autocomplete"),
        {"app_label": app_label, "model_name": model_name, "field_name": field_name,
         "term": term, **params},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    return response.json()


def _texts(client: Client, admin_name: str, term: str, **params: Any) -> list[str]:
    return [row["text"] for row in _picker(client, admin_name, term, **params)["results"]]


@pytest.fixture
def audio(db) -> None:
    """Products whose names share a prefix, the exact match created last (id order puts it
    last)."""
    for index, number in enumerate((16978, 1203, 19, 100, 1)):
        make_product(TENANT, f"a{index}", name=f"Audio product {number}", code=f"SKU-{number}")
    make_product(TENANT, "b0", name="Car audio product 1", code="SKU-car")


def test_the_exact_name_comes_first_then_prefixes_by_name_then_the_rest(merchandiser, audio):
    texts = _texts(merchandiser, "catalog_product", "Audio product 1", tenant=TENANT)

    assert texts == [
        "a4 — Audio product 1 (SKU SKU-1)",
        "a3 — Audio product 100 (SKU SKU-100)",
        "a1 — Audio product 1203 (SKU SKU-1203)",
        "a0 — Audio product 16978 (SKU SKU-16978)",
        "a2 — Audio product 19 (SKU SKU-19)",
        "b0 — Car audio product 1 (SKU SKU-car)",
    ]


@pytest.mark.parametrize("term", ["sku-100", "A3", "audio PRODUCT 100"], ids=["sku", "id", "name"])
def test_an_exact_sku_id_or_name_comes_first_whatever_its_case(merchandiser, audio, term):
    texts = _texts(merchandiser, "catalog_product", term, tenant=TENANT)

    assert texts[0] == "a3 — Audio product 100 (SKU SKU-100)"


def test_customers_rank_by_email_and_show_it(merchandiser, db):
    make_customer(TENANT, "ann.smith")  # Ann.Smith, whose email starts with "ann"
    make_customer(TENANT, "ann")

    texts = _texts(merchandiser, "segments_customer", "ANN@example.com", tenant=TENANT)

    assert texts == ["ann — First Ann <ann@example.com>"]
    assert _texts(merchandiser, "segments_customer", "ann", tenant=TENANT) == [
        "ann — First Ann <ann@example.com>",
        "ann.smith — First Ann.Smith <ann.smith@example.com>",
    ]


def test_customers_whose_last_name_is_or_starts_with_the_term_come_before_the_rest(
    merchandiser, db
):
    """After the exact and prefix matches (the name starts with "weber"), the customers
    whose last name equals the term, then those whose last name starts with it, each by
    name, then the rest (a mid-word match) by name: before, the last three ranked by name
    alone, so "Anna Oberweber" and "Anna Weberling" came before "Bob Weber"."""
    for customer_id, first, last in (("c1", "Anna", "Oberweber"), ("c2", "Zoe", "Weber"),
                                     ("c3", "Anna", "Weberling"), ("c4", "Bob", "Weber"),
                                     ("c5", "Weber", "Klein"), ("c6", "Anna", "Webers"),
                                     ("c7", "Weber", "Weber")):  # fmt: skip
        customer = make_customer(TENANT, customer_id)
        customer.first_name, customer.last_name = first, last
        customer.save()

    texts = _texts(merchandiser, "segments_customer", "Weber", tenant=TENANT)

    assert [text.split(" <")[0] for text in texts] == [
        "c5 — Weber Klein",
        "c7 — Weber Weber",  # a prefix match, not repeated among the last names
        "c4 — Bob Weber",
        "c2 — Zoe Weber",
        "c3 — Anna Weberling",
        "c6 — Anna Webers",
        "c1 — Anna Oberweber",
    ]
    assert _texts(merchandiser, "segments_customer", "webe", tenant=TENANT) == texts
    # Each page is the same rows as the whole ranking's slice, wherever it ends.
    ranked = BestMatchFirst(
        Customer.objects.filter(tenant_id=TENANT), "weber", match=CustomerAdmin.autocomplete_match,
        name=CustomerAdmin.autocomplete_name, words=CustomerAdmin.autocomplete_words,
    )  # fmt: skip
    whole = [row.public_id for row in ranked[0:None]]
    assert whole == ["c5", "c7", "c4", "c2", "c3", "c6", "c1"]
    for stop in range(1, 8):
        assert [row.public_id for row in ranked[0:stop]] == whole[:stop], stop
    assert [row.public_id for row in ranked[2:4]] == ["c4", "c2"]


def test_segments_and_legal_entities_rank_an_exact_name_first(merchandiser, db):
    for segment_id, name in (("s1", "Gold members plus"), ("s2", "Gold members")):
        segment = make_segment(TENANT, segment_id)
        segment.name = {"en": name}
        segment.save()
    make_legal_entity(TENANT, "le1", name="Acme Holding")
    make_legal_entity(TENANT, "le2", name="Acme")

    assert _texts(merchandiser, "segments_segment", "gold members", tenant=TENANT)[0] == (
        "s2 — Gold members"
    )
    assert _texts(merchandiser, "segments_legalentity", "acme", tenant=TENANT) == [
        "le2 — Acme",
        "le1 — Acme Holding",
    ]


def _tree(count: int) -> None:
    electronics = make_category(TENANT, "electronics", name="Electronics")
    audio = make_category(TENANT, "audio", parent=electronics, name="Audio")
    for index in range(count):
        make_category(TENANT, f"head{index:02}", parent=audio, name=f"Headphones {index:02}")


def test_categories_show_their_place_in_the_tree(merchandiser, db):
    _tree(2)

    texts = _texts(merchandiser, "catalog_category", "headphones", tenant=TENANT)

    assert texts == [
        "head00 — Electronics > Audio > Headphones 00",
        "head01 — Electronics > Audio > Headphones 01",
    ]


@pytest.mark.parametrize("admin_name", sorted(SOURCES))
def test_a_page_of_results_takes_a_bounded_number_of_queries(merchandiser, admin_name):
    _tree(30)
    for index in range(30):
        make_product(TENANT, f"head{index:02}", name=f"Headphones {index:02}")
        make_customer(TENANT, f"head{index:02}")
        make_legal_entity(TENANT, f"head{index:02}", name=f"Headphones {index:02}")
        make_segment(TENANT, f"head{index:02}")
    _picker(merchandiser, admin_name, "head", tenant=TENANT)  # the session is warm

    counts = []
    for term in ("head", "head07"):
        with CaptureQueriesContext(connection) as queries:
            found = _picker(merchandiser, admin_name, term, tenant=TENANT)
        counts.append(len(queries))
        assert len(found["results"]) == (20 if term == "head" else 1)

    # The session, the user, their permissions and tenants, the tenants' time zone (every
    # admin page), the page (no count: one row more tells whether more follow), and one
    # query for the page's categories (paths) or products (categories), whatever the page.
    # The ranking reads the exact and the prefix matches of each ranked text (id, code or
    # email, name), then the rest, each query limited to the page (`BestMatchFirst`); not
    # the rest when the better ranks fill the page ("head": 30 prefix matches for 21 rows),
    # which would read every match of a common word. Customers rank their last name too
    # (one query more, read when the first two ranks leave the page short: "head07").
    words = 1 if admin_name == "segments_customer" else 0
    assert counts[0] == counts[1] - 1 - words <= 13, counts


@pytest.mark.parametrize("admin_name", sorted(SOURCES))
def test_the_picker_pages_without_counting_the_matches(merchandiser, admin_name):
    for index in range(25):
        make_product(TENANT, f"head{index:02}", name=f"Headphones {index:02}")
        make_customer(TENANT, f"head{index:02}")
        make_legal_entity(TENANT, f"head{index:02}", name=f"Headphones {index:02}")
        make_segment(TENANT, f"head{index:02}")
    _tree(25)

    with CaptureQueriesContext(connection) as queries:
        first = _picker(merchandiser, admin_name, "head", tenant=TENANT)
    second = _picker(merchandiser, admin_name, "head", tenant=TENANT, page=2)

    assert not [query for query in queries.captured_queries if "COUNT(" in query["sql"]]
    assert (len(first["results"]), first["pagination"]["more"]) == (20, True)
    assert (len(second["results"]), second["pagination"]["more"]) == (5, False)
    assert {row["id"] for row in first["results"]}.isdisjoint(
        row["id"] for row in second["results"]
    )


def test_ranking_keeps_to_the_tenant(merchandiser, superuser_client, audio):
    make_product(OTHER_TENANT, "x1", name="Audio product 1", code="SKU-1")

    mine = _texts(merchandiser, "catalog_product", "Audio product 1")
    chosen = _texts(superuser_client, "catalog_product", "Audio product 1", tenant=TENANT)
    other = _texts(superuser_client, "catalog_product", "Audio product 1", tenant=OTHER_TENANT)

    assert not [text for text in mine + chosen if text.startswith("x1")]
    assert chosen == mine
    assert other == ["x1 — Audio product 1 (SKU SKU-1)"]


def test_a_picker_of_a_form_without_a_tenant_yet_offers_nothing(superuser_client, audio):
    assert _texts(superuser_client, "catalog_product", "Audio", tenant="") == []
