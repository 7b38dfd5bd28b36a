"""Preview as a customer: what the storefront shows them on a site at a moment, computed by
the storefront's own code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coupons import services as coupon_services
from segments.models import Segment
from tests.segments.factories import make_customer

from .conftest import OTHER_TENANT, TENANT

PREVIEW = reverse("admin:segments_segment_preview")

pytestmark = pytest.mark.django_db


def _tree(nodes: list[dict], client) -> list:
    """The forest as (id, assigned, children) tuples, each category opened (its
    subcategories loaded from the preview's tree page, as the page does)."""

    def children(node: dict) -> list[dict]:
        return client.get(node["children_url"]).context["nodes"] if node["children_url"] else []

    return [(node["id"], node["assigned"], _tree(children(node), client)) for node in nodes]


def _preview(client, customer, **params):
    response = client.get(PREVIEW, {"customer": customer.pk, **params})
    assert response.status_code == 200
    return response.context["result"]


def test_a_members_storefront(merchandiser, shop):
    result = _preview(merchandiser, shop["alice"], site="main")

    assert [entry["segment"].public_id for entry in result["segments"]] == ["gold"]
    # Clothing is assigned with its subtree (coats before shirts: position order).
    assert _tree(result["forest"], merchandiser) == [
        ("clothing", True, [("coats", True, []), ("shirts", True, [])])
    ]
    products = {entry["product"].public_id: entry["segment_ids"] for entry in result["products"]}
    assert products == {"boot": ["gold"], "parka": ["gold"], "tee": ["gold"]}


def test_the_page_renders_the_tree_and_products(merchandiser, shop):
    html = merchandiser.get(PREVIEW, {"customer": shop["alice"].pk}).content.decode()

    assert 'data-category="clothing"' in html and 'title="Category id clothing">Clothing<' in html
    assert 'data-category="shoes"' not in html
    # Clothing's subcategories are loaded when it is opened.
    assert 'data-category="shirts"' not in html
    opened = merchandiser.get(
        PREVIEW + "tree/", {"customer": shop["alice"].pk, "category": "clothing"}
    ).content.decode()
    assert 'data-category="shirts"' in opened and 'title="Category id shirts">Shirts<' in opened
    assert ">T-shirt</td>" in html


def test_another_site_or_a_moment_outside_the_validity_shows_nothing(merchandiser, shop):
    gold = shop["gold"]
    Segment.objects.filter(pk=gold.pk).update(valid_from=timezone.now() + timedelta(days=10))
    later = (timezone.now() + timedelta(days=11)).strftime("%Y-%m-%d")

    outlet = _preview(merchandiser, shop["alice"], site="outlet")
    today = _preview(merchandiser, shop["alice"])
    in_eleven_days = _preview(merchandiser, shop["alice"], at_0=later, at_1="12:00:00")

    for result in (outlet, today):
        assert (result["segments"], result["forest"], result["products"]) == ([], [], [])
    assert [entry["segment"].public_id for entry in in_eleven_days["segments"]] == ["gold"]


def test_a_b2b_customer_acting_for_a_legal_entity(merchandiser, shop):
    alone = _preview(merchandiser, shop["bob"])
    for_company = _preview(merchandiser, shop["bob"], legal_entity=shop["company"].pk)

    # Bob's B2C membership is in silver (inactive); his B2B one is in gold.
    assert alone["segments"] == []
    assert [entry["segment"].public_id for entry in for_company["segments"]] == ["gold"]


def test_names_in_the_chosen_language(merchandiser, shop):
    result = _preview(merchandiser, shop["alice"], language="de")

    assert result["segments"][0]["name"] == "Goldkunden"


def test_the_coupons_they_could_redeem(merchandiser, shop):
    coupon_services.coupon_create(
        tenant=TENANT,
        document={"code": "ALL5", "name": "Five off", "discountType": "ABSOLUTE",
                  "discountAbsolute": {"amount": 5, "currency": "EUR"}},
    )  # fmt: skip
    coupon_services.coupon_create(
        tenant=TENANT,
        document={"code": "GOLD10", "name": "Gold ten", "discountType": "PERCENT",
                  "discountPercentage": 10, "segmentRestricted": True,
                  "restrictions": {"segments": ["gold"]}},
    )  # fmt: skip
    coupon_services.coupon_create(
        tenant=TENANT,
        document={"code": "SILVER", "name": "Silver", "discountType": "PERCENT",
                  "discountPercentage": 5, "segmentRestricted": True,
                  "restrictions": {"segments": ["silver"]}},
    )  # fmt: skip

    alice = _preview(merchandiser, shop["alice"])["coupons"]
    stranger = _preview(merchandiser, make_customer(TENANT, "carol"))["coupons"]

    assert [coupon.public_id for coupon in alice["redeemable"]] == ["ALL5", "GOLD10"]
    assert [coupon.public_id for coupon, _ in alice["refused"]] == ["SILVER"]
    assert "not an active member" in alice["refused"][0][1][0]
    assert [coupon.public_id for coupon in stranger["redeemable"]] == ["ALL5"]


def test_the_coupons_panel_checks_a_bounded_number_of_coupons(merchandiser, shop, monkeypatch):
    from coupons.admin import preview as coupon_preview

    monkeypatch.setattr(coupon_preview, "PREVIEW_COUPONS", 2)
    for code in ("C1", "C2", "C3"):
        coupon_services.coupon_create(
            tenant=TENANT,
            document={"code": code, "name": code, "discountType": "PERCENT",
                      "discountPercentage": 5},
        )  # fmt: skip

    response = merchandiser.get(PREVIEW, {"customer": shop["alice"].pk})
    coupons = response.context["result"]["coupons"]

    # The first two by code are validated (each on its own), the third only announced.
    assert [coupon.public_id for coupon in coupons["redeemable"]] == ["C1", "C2"]
    assert coupons["more"] is True
    assert "Checked the first 2 live coupons by code" in response.content.decode()


def test_from_a_segment_the_site_is_chosen(merchandiser, shop):
    response = merchandiser.get(PREVIEW, {"segment": shop["silver"].pk})

    assert response.context["result"] is None
    assert response.context["form"].initial["site"] == "outlet"
    html = response.content.decode()
    assert 'value="outlet" selected' in html
    # Its members, to preview as with one click.
    bob = shop["bob"]
    assert f'?segment={shop["silver"].pk}&amp;customer={bob.pk}">bob</a>' in html


def test_customers_of_other_tenants_cannot_be_previewed(merchandiser, shop):
    alien = make_customer(OTHER_TENANT, "alien")

    response = merchandiser.get(PREVIEW, {"customer": alien.pk})

    assert response.context["result"] is None
    assert "Select a valid choice" in " ".join(response.context["form"].errors["customer"])
    assert merchandiser.get(PREVIEW, {"segment": shop["foreign"].pk}).status_code == 404


def test_the_customer_page_links_to_the_preview(merchandiser, shop):
    alice = shop["alice"]

    html = merchandiser.get(
        reverse("admin:segments_customer_change", args=[alice.pk])
    ).content.decode()

    assert f"{PREVIEW}?customer={alice.pk}" in html


EXPLAIN = reverse("admin:segments_segment_explain")


def test_every_shown_item_links_to_its_explanation(merchandiser, shop):
    result = _preview(merchandiser, shop["alice"], site="main")
    html = merchandiser.get(PREVIEW, {"customer": shop["alice"].pk, "site": "main"}).content
    tee = next(entry for entry in result["products"] if entry["product"].public_id == "tee")
    clothing = result["forest"][0]

    assert tee["explain_url"].startswith(EXPLAIN)
    assert "item_type=PRODUCT&item_id=tee" in tee["explain_url"]
    assert "item_type=CATEGORY&item_id=clothing" in clothing["explain_url"]
    assert all(entry["explain_url"] for entry in result["products"])
    # The products and the tree's root (its subcategories' links come with their level).
    assert html.decode().count('class="seg-explain"') == len(result["products"]) + 1

    page = merchandiser.get(tee["explain_url"])
    assert page.status_code == 200
    item = page.context["explanation"]["item"]
    assert (item["visible"], item["visibleThrough"]) == (True, ["gold"])
    assert item["routes"][0]["categoryPath"] == ["clothing", "shirts"]
    assert "clothing &gt; shirts" in page.content.decode()


def test_the_explanation_says_why_not_at_a_moment_outside_the_validity(merchandiser, shop):
    Segment.objects.filter(pk=shop["gold"].pk).update(valid_to=timezone.now() - timedelta(days=1))

    page = merchandiser.get(
        EXPLAIN, {"customer": shop["alice"].pk, "item_type": "PRODUCT", "item_id": "boot"}
    )

    item = page.context["explanation"]["item"]
    assert item["visible"] is False
    assert "outside its validity window" in item["reason"]
    assert "outside its validity window" in page.content.decode()


def test_the_explanation_of_a_b2b_member_acting_for_the_legal_entity(merchandiser, shop):
    params = {"customer": shop["bob"].pk, "item_type": "PRODUCT", "item_id": "boot"}

    alone = merchandiser.get(EXPLAIN, params).context["explanation"]
    for_company = merchandiser.get(EXPLAIN, {**params, "legal_entity": shop["company"].pk}).context[
        "explanation"
    ]

    assert alone["item"]["visible"] is False
    assert for_company["item"]["visibleThrough"] == ["gold"]


def test_customers_of_other_tenants_cannot_be_explained(merchandiser, shop):
    alien = make_customer(OTHER_TENANT, "alien")

    assert merchandiser.get(EXPLAIN, {"customer": alien.pk}).status_code == 404
    assert merchandiser.get(EXPLAIN, {"customer": "x"}).status_code == 404


def test_the_coupons_panel_takes_the_same_queries_for_few_and_many_coupons(merchandiser, shop):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = merchandiser.get(PREVIEW, {"customer": shop["alice"].pk})
        assert response.status_code == 200
        return len(captured)

    def coupons(first: int, last: int) -> None:
        for number in range(first, last):
            coupon_services.coupon_create(
                tenant=TENANT,
                document={"code": f"C{number:02d}", "name": "x", "discountType": "PERCENT",
                          "discountPercentage": 5, "maxRedemptionsPerCustomer": 2,
                          "segmentRestricted": number % 2 == 0,
                          "restrictions": {"segments": ["gold"]} if number % 2 == 0 else {}},
            )  # fmt: skip

    coupons(0, 2)
    queries()  # per-process caches warm
    few = queries()
    coupons(2, 30)
    many = queries()

    assert many == few
    assert len(_preview(merchandiser, shop["alice"])["coupons"]["redeemable"]) == 30
