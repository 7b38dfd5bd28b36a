"""The catalog (category tree, products with their categories and segments), the customer
directory (customers and legal entities with their segments) and the coupon list."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Category, CategoryAssignment, Product
from coupons import services as coupon_services
from segments.models import Customer, CustomerLegalEntity, LegalEntity
from tests.catalog.factories import make_category, parent_link_order

from .conftest import TENANT

pytestmark = pytest.mark.django_db

CATEGORIES = reverse("admin:catalog_category_changelist")


def _ids(response) -> list[str]:
    return [row.public_id for row in response.context["cl"].result_list]


# --- categories ----------------------------------------------------------------------------------


def test_categories_are_listed_as_a_tree_in_position_order(merchandiser, shop):
    make_category(TENANT, "boots", parent=shop["categories"]["shoes"], position=0)

    response = merchandiser.get(CATEGORIES)

    # shoes (position 0) before clothing (1); coats (0) before shirts (1) inside clothing.
    assert _ids(response) == ["shoes", "boots", "clothing", "coats", "shirts"]
    html = response.content.decode()
    assert '<span style="padding-left:1.5em" class="tree-indent">└ Coats</span>' in html
    assert "<strong>Clothing</strong>" in html


def test_the_tree_is_paged_and_searching_lists_flat(merchandiser, shop, settings):
    for number in range(105):
        make_category(TENANT, f"c{number:03d}", position=number + 10)

    second_page = merchandiser.get(CATEGORIES, {"p": 2})
    searched = merchandiser.get(CATEGORIES, {"q": "shirt"})

    assert second_page.context["cl"].result_count == 109
    assert len(_ids(second_page)) == 9
    assert _ids(searched) == ["shirts"]


def test_the_tree_list_costs_the_same_queries_for_any_number_of_categories(merchandiser, shop):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            merchandiser.get(CATEGORIES)
        return len(captured)

    few = queries()
    for number in range(20):
        make_category(TENANT, f"more{number}", parent=shop["categories"]["coats"])

    assert queries() == few


def _category_form(**values: Any) -> dict[str, Any]:
    data = {
        "tenant": TENANT,
        "public_id": "sale",
        "parent": "",
        "name__add_language": "en",
        "name__add_text": "Sale",
        "code": "",
        "ecn": "",
        "position": "",
        "published": "on",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_to_0": "",
        "valid_to_1": "",
        "mixins": "",
        "metadata_mixins": "",
    }
    data.update(values)
    return data


def test_adding_and_moving_a_category_through_the_service(merchandiser, shop):
    clothing = shop["categories"]["clothing"]

    response = merchandiser.post(
        reverse("admin:catalog_category_add"),
        _category_form(parent=clothing.pk, ecn="E-1\nE-2"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    sale = Category.objects.get(tenant_id=TENANT, public_id="sale")
    assert sale.path == f"{clothing.path}{sale.pk}/"
    assert sale.position == 2  # after coats (0) and shirts (1)
    assert sale.ecn == ["E-1", "E-2"]

    data = _category_form(tenant=None, public_id=None, parent="", base_version=sale.version)
    data.pop("tenant")
    data.pop("public_id")
    data.update({"name__en": "Sale!", "name__add_language": "", "name__add_text": ""})
    response = merchandiser.post(reverse("admin:catalog_category_change", args=[sale.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    sale.refresh_from_db()
    assert (sale.path, sale.depth, sale.name) == (f"/{sale.pk}/", 0, {"en": "Sale!"})


@pytest.mark.parametrize(
    ("day", "saved"), [("2021-02-29", False), ("2020-13-45", False), ("0001-01-01", True)]
)
def test_a_category_date_is_checked_by_the_calendar_and_years_before_1000_are_kept(
    merchandiser, shop, day, saved
):
    response = merchandiser.post(
        reverse("admin:catalog_category_add"), _category_form(valid_to_0=day, valid_to_1="00:00")
    )

    stored = Category.objects.filter(tenant_id=TENANT, public_id="sale").first()
    if saved:
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert stored.valid_to.year == 1
    else:
        assert "valid_to" in response.context["adminform"].form.errors
        assert stored is None


def test_a_category_cannot_move_under_its_own_subtree(merchandiser, shop):
    clothing, coats = shop["categories"]["clothing"], shop["categories"]["coats"]
    data = _category_form(parent=coats.pk, base_version=clothing.version)
    data.pop("tenant")
    data.pop("public_id")
    data.update({"name__en": "Clothing", "name__add_language": "", "name__add_text": ""})

    response = merchandiser.post(reverse("admin:catalog_category_change", args=[clothing.pk]), data)

    assert "cannot move under itself" in " ".join(
        response.context["adminform"].form.errors["parent"]
    )


def test_the_category_page_shows_the_segments_that_give_it(merchandiser, shop):
    coats = shop["categories"]["coats"]

    html = merchandiser.get(
        reverse("admin:catalog_category_change", args=[coats.pk])
    ).content.decode()

    assert 'gold</a> Gold customers <span class="seg-muted">(through clothing)' in html


def test_deleting_a_category_takes_its_subtree(merchandiser, shop):
    clothing = shop["categories"]["clothing"]

    confirm = merchandiser.get(reverse("admin:catalog_category_delete", args=[clothing.pk]))
    merchandiser.post(reverse("admin:catalog_category_delete", args=[clothing.pk]), {"post": "y"})

    assert "Subcategories: 2" in confirm.content.decode()
    assert not Category.objects.filter(public_id__in=["clothing", "coats", "shirts"]).exists()


# --- products ------------------------------------------------------------------------------------


def test_products_list_their_categories_and_segments(merchandiser, shop):
    response = merchandiser.get(reverse("admin:catalog_product_changelist"))

    rows = {row.public_id: row for row in response.context["cl"].result_list}
    assert rows["boot"].direct_segments == 1
    html = response.content.decode()
    assert '<td class="field-category_list">shirts</td>' in html


def test_the_product_page_shows_segments_directly_or_through_a_category(merchandiser, shop):
    parka, boot = shop["products"]["parka"], shop["products"]["boot"]

    parka_html = merchandiser.get(
        reverse("admin:catalog_product_change", args=[parka.pk])
    ).content.decode()
    boot_html = merchandiser.get(
        reverse("admin:catalog_product_change", args=[boot.pk])
    ).content.decode()

    assert "(through a category)" in parka_html
    assert "(directly)" in boot_html


def test_changing_a_products_categories_goes_through_the_services(merchandiser, shop):
    tee = shop["products"]["tee"]
    coats, shoes = shop["categories"]["coats"], shop["categories"]["shoes"]

    response = merchandiser.post(
        reverse("admin:catalog_product_change", args=[tee.pk]),
        {
            "code": "code-tee",
            "name__en": "T-shirt",
            "name__add_language": "",
            "name__add_text": "",
            "published": "on",
            "categories": [coats.pk, shoes.pk],
            "mixins": "",
            "metadata_mixins": "",
            "base_version": tee.version,
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    placed = CategoryAssignment.objects.filter(product=tee).values_list(
        "category__public_id", flat=True
    )
    assert sorted(placed) == ["coats", "shoes"]


def test_adding_a_product(merchandiser, shop):
    response = merchandiser.post(
        reverse("admin:catalog_product_add"),
        {
            "tenant": TENANT,
            "public_id": "scarf",
            "code": "",
            "name__add_language": "en",
            "name__add_text": "Scarf",
            "published": "on",
            "mixins": "",
            "metadata_mixins": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Product.objects.get(tenant_id=TENANT, public_id="scarf").name == {"en": "Scarf"}


# --- customers and legal entities ----------------------------------------------------------------


def test_customers_list_their_legal_entities_and_segment_counts(merchandiser, shop):
    response = merchandiser.get(reverse("admin:segments_customer_changelist"))

    rows = {row.public_id: row for row in response.context["cl"].result_list}
    assert (rows["alice"].memberships, rows["bob"].memberships) == (1, 2)
    assert '<td class="field-legal_entity_list">acme-corp</td>' in response.content.decode()


def test_the_customer_page_shows_the_segments_they_belong_to(merchandiser, shop):
    html = merchandiser.get(
        reverse("admin:segments_customer_change", args=[shop["bob"].pk])
    ).content.decode()

    assert 'gold</a> Gold customers <span class="seg-muted">(active; bob for acme-corp)' in html
    assert 'silver</a> Silver <span class="seg-muted">(inactive; bob)' in html


def test_adding_a_customer_with_legal_entities_through_the_service(merchandiser, shop):
    response = merchandiser.post(
        reverse("admin:segments_customer_add"),
        {
            "tenant": TENANT,
            "public_id": "carol",
            "first_name": "Carol",
            "last_name": "Jones",
            "email": "carol@example.com",
            "legal_entities": [shop["company"].pk],
            "mixins": "",
            "metadata_mixins": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    carol = Customer.objects.get(tenant_id=TENANT, public_id="carol")
    assert CustomerLegalEntity.objects.filter(customer=carol, legal_entity=shop["company"])


def test_a_bad_email_is_refused_with_the_apis_message(merchandiser, shop):
    response = merchandiser.post(
        reverse("admin:segments_customer_add"),
        {"tenant": TENANT, "public_id": "dave", "email": "not-an-email", "mixins": "",
         "metadata_mixins": ""},
    )  # fmt: skip

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors


def test_the_legal_entity_page_shows_customers_and_memberships(merchandiser, shop):
    company = shop["company"]

    response = merchandiser.get(reverse("admin:segments_legalentity_change", args=[company.pk]))
    listed = merchandiser.get(reverse("admin:segments_legalentity_changelist"))

    html = response.content.decode()
    assert ">bob</a>" in html
    assert "(active; bob for acme-corp)" in html
    row = listed.context["cl"].result_list[0]
    assert (row.customer_total, row.memberships) == (1, 1)


def test_renaming_a_legal_entity(merchandiser, shop):
    company = shop["company"]

    response = merchandiser.post(
        reverse("admin:segments_legalentity_change", args=[company.pk]),
        {"name": "Acme Corporation", "mixins": "", "metadata_mixins": "",
         "base_version": company.version},
    )  # fmt: skip

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert LegalEntity.objects.get(pk=company.pk).name == "Acme Corporation"


# --- coupons (the coupons app's admin) -----------------------------------------------------------


def test_the_coupon_list_shows_status_and_redemptions(merchandiser, shop):
    coupon_services.coupon_create(
        tenant=TENANT,
        document={"code": "GOLD10", "name": "Gold ten", "discountType": "PERCENT",
                  "discountPercentage": 10, "segmentRestricted": True,
                  "restrictions": {"segments": ["gold"]}},
    )  # fmt: skip

    response = merchandiser.get(reverse("admin:coupons_coupon_changelist"))

    row = response.context["cl"].result_list[0]
    assert (row.public_id, row.status, row.redemption_count) == ("GOLD10", "VALID", 0)


def _customer_form(**values: Any) -> dict[str, Any]:
    return {"tenant": TENANT, "mixins": "", "metadata_mixins": "", **values}


def test_the_customer_profile_is_edited_through_the_service(merchandiser, shop):
    addresses = (
        '[{"country": "DE", "city": "Berlin", "zipCode": "10115", "tags": ["billing"]},\n'
        ' {"country": "AT", "city": "Wien", "isDefault": true}]'
    )
    response = merchandiser.post(
        reverse("admin:segments_customer_add"),
        _customer_form(
            public_id="erin",
            contact_phone="+49 30 1234",
            company="Erin AG",
            company_registration_id="HRB 7",
            preferred_site="main",
            preferred_language="de_DE",
            preferred_currency="EUR",
            on_hold="on",
            addresses=addresses,
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    erin = Customer.objects.get(tenant_id=TENANT, public_id="erin")
    assert (erin.active, erin.on_hold, erin.company_registration_id) == (False, True, "HRB 7")
    assert (erin.preferred_language, erin.preferred_currency) == ("de_DE", "EUR")
    assert erin.addresses == [
        {"zipCode": "10115", "city": "Berlin", "country": "DE", "isDefault": False,
         "tags": ["billing"]},
        {"city": "Wien", "country": "AT", "isDefault": True},
    ]  # fmt: skip
    html = merchandiser.get(
        reverse("admin:segments_customer_change", args=[erin.pk])
    ).content.decode()
    # One address per line, readable and editable as it is shown.
    shown = re.search(r'<textarea name="addresses"[^>]*>(.*?)</textarea>', html, re.S)
    assert shown is not None
    assert unescape(shown.group(1)).strip() == (
        '[\n  {"zipCode": "10115", "city": "Berlin", "country": "DE", "isDefault": false, '
        '"tags": ["billing"]},\n  {"city": "Wien", "country": "AT", "isDefault": true}\n]'
    )
    assert "HRB 7" in html and "de_DE" in html


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"preferred_language": "german"}, "preferred_language", "preferredLanguage 'german'"),
        ({"preferred_currency": "eur"}, "preferred_currency", "expected a code like EUR"),
        ({"addresses": '[{"country": "Germany"}]'}, "addresses", "addresses[0].country"),
        ({"addresses": '{"country": "DE"}'}, "addresses", "Give a JSON array of addresses"),
        ({"addresses": '[{"isDefault": true}, {"isDefault": true}]'}, "addresses", "At most one"),
    ],
)
def test_a_bad_profile_is_refused_with_the_apis_message(merchandiser, shop, values, field, message):
    response = merchandiser.post(
        reverse("admin:segments_customer_add"), _customer_form(public_id="fred", **values)
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert not Customer.objects.filter(public_id="fred").exists()


def test_the_customer_list_filters_by_active_and_on_hold(merchandiser, shop):
    Customer.objects.filter(public_id="alice").update(active=False, company="Alice Ltd")
    changelist = reverse("admin:segments_customer_changelist")

    inactive = merchandiser.get(f"{changelist}?active__exact=0")
    on_hold = merchandiser.get(f"{changelist}?on_hold__exact=1")
    found = merchandiser.get(f"{changelist}?q=Alice+Ltd")

    assert _ids(inactive) == ["alice"]
    assert _ids(on_hold) == []
    assert _ids(found) == ["alice"]
    assert '<td class="field-company">Alice Ltd</td>' in inactive.content.decode()


def test_the_tree_order_is_the_parent_links_order_on_every_page_and_filtered(merchandiser, shop):
    coats = shop["categories"]["coats"]
    for number in range(60):
        parent = make_category(TENANT, f"p{number:02d}", parent=coats, position=number % 7)
        make_category(TENANT, f"k{number:02d}", parent=parent, published=number % 2 == 0)
    Category.objects.filter(public_id="p02").update(published=False)

    pages = [_ids(merchandiser.get(CATEGORIES, {"p": page})) for page in (1, 2)]
    published = _ids(merchandiser.get(CATEGORIES, {"published__exact": 1}))

    order = parent_link_order(TENANT)
    assert pages[0] + pages[1] == order
    # Filtered, the tree keeps its order: k02 (published) stays below its hidden parent p02.
    shown = set(Category.objects.filter(published=True).values_list("public_id", flat=True))
    assert published == [key for key in order if key in shown]
    assert "k02" in shown and "p02" not in shown
