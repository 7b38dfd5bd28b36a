"""Rows of another tenant posted into a form's choice fields: refused like any value that is
no choice, without naming or showing the foreign row (issue 14, item 4)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from coupons.models import Coupon
from segments.models import Customer
from tests.catalog.factories import make_category
from tests.segments.factories import make_legal_entity, make_segment

from .conftest import OTHER_TENANT, TENANT
from .test_coupons import _form as coupon_form

pytestmark = pytest.mark.django_db

FOREIGN_NAME = "Hush-hush"


@pytest.fixture
def foreign_rows(shop) -> dict[str, Any]:
    """A segment, a category and a legal entity of the other tenant, with telling ids."""
    segment = make_segment(OTHER_TENANT, "oseg1")
    segment.name = {"en": FOREIGN_NAME}
    segment.save()
    return {
        "segment_ids": segment,
        "included_categories": make_category(OTHER_TENANT, "ocat1", name=FOREIGN_NAME),
        "excluded_categories": make_category(OTHER_TENANT, "ocat2", name=FOREIGN_NAME),
        "legal_entities": make_legal_entity(OTHER_TENANT, "ole1", name=FOREIGN_NAME),
    }


def _coupon_add(tenant: str, field: str, pk: int) -> dict[str, Any]:
    return {
        **coupon_form(Coupon(name="Probe", discount_type="ABSOLUTE")),
        "tenant": tenant,
        "public_id": "probe5",
        "discount_amount": "5.00",
        "discount_currency": "EUR",
        "segment_restricted": "",
        field: [pk],
    }


def _customer_add(tenant: str, field: str, pk: int) -> dict[str, Any]:
    return {"tenant": tenant, "public_id": "probe", "email": "", "mixins": "",
            "metadata_mixins": "", field: [pk]}  # fmt: skip


FORMS = [
    ("coupons_coupon", _coupon_add, "segment_ids"),
    ("coupons_coupon", _coupon_add, "included_categories"),
    ("coupons_coupon", _coupon_add, "excluded_categories"),
    ("segments_customer", _customer_add, "legal_entities"),
]


def _assert_refused_without_a_trace(response: Any, field: str, pk: int, row: Any) -> None:
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors[field] == [f"Select a valid choice. {pk} is not one of the available choices."]
    html = response.content.decode()
    assert row.public_id not in html
    assert FOREIGN_NAME not in html


@pytest.mark.parametrize("tenant", [TENANT, OTHER_TENANT], ids=["own tenant", "foreign tenant"])
@pytest.mark.parametrize(("admin_name", "build", "field"), FORMS, ids=[f[2] for f in FORMS])
def test_a_foreign_row_posted_to_an_add_form_is_no_valid_choice(
    merchandiser: Client, foreign_rows, tenant, admin_name, build, field
):
    row = foreign_rows[field]

    response = merchandiser.post(reverse(f"admin:{admin_name}_add"), build(tenant, field, row.pk))

    _assert_refused_without_a_trace(response, field, row.pk, row)
    assert not Coupon.objects.filter(public_id="PROBE5").exists()
    assert not Customer.objects.filter(public_id="probe").exists()


def test_a_foreign_row_posted_to_a_change_form_is_no_valid_choice(
    merchandiser: Client, foreign_rows, shop
):
    row = foreign_rows["legal_entities"]
    alice = shop["alice"]

    response = merchandiser.post(
        reverse("admin:segments_customer_change", args=[alice.pk]),
        {"public_id": alice.public_id, "email": "", "mixins": "", "metadata_mixins": "",
         "base_version": alice.version, "legal_entities": [row.pk]},
    )  # fmt: skip

    _assert_refused_without_a_trace(response, "legal_entities", row.pk, row)


# --- the pickers themselves (issue 20, item 4) ----------------------------------------------

SEGMENT_PICKER = "/admin/segments/segment/autocomplete/?tenant="
CATEGORY_PICKER = "/admin/catalog/category/autocomplete/?tenant="


def _segment_choices(client: Client, tenant: str) -> list[str]:
    response = client.get(
        SEGMENT_PICKER.split("?")[0],
        {"app_label": "segments", "model_name": "segmentitemassignment", "field_name": "segment",
         "term": "", "tenant": tenant},
    )  # fmt: skip
    return [row["text"].split(" — ")[0] for row in response.json()["results"]]


def test_the_coupon_add_forms_segment_picker_asks_for_the_users_only_tenant(
    merchandiser: Client, foreign_rows
):
    html = merchandiser.get(reverse("admin:coupons_coupon_add")).content.decode()

    assert f"{SEGMENT_PICKER}{TENANT}" in html
    assert _segment_choices(merchandiser, TENANT) == ["gold", "silver"]


def test_the_coupon_add_forms_pickers_offer_nothing_until_the_tenant_is_chosen(
    superuser_client: Client, foreign_rows
):
    html = superuser_client.get(reverse("admin:coupons_coupon_add")).content.decode()

    assert f'data-ajax--url="{SEGMENT_PICKER}"' in html
    assert f'data-ajax--url="{CATEGORY_PICKER}"' in html
    assert "tenancy/tenant_pickers.js" in html  # it follows the tenant chosen in the form
    assert _segment_choices(superuser_client, "") == []


def test_a_coupon_form_shown_again_after_an_error_keeps_its_pickers_to_the_tenant(
    superuser_client: Client, foreign_rows, shop
):
    posted = {**_coupon_add(TENANT, "segment_ids", shop["gold"].pk), "discount_amount": "-1"}

    response = superuser_client.post(reverse("admin:coupons_coupon_add"), posted)

    assert response.context["adminform"].form.errors  # shown again, with the error
    html = response.content.decode()
    assert f'data-ajax--url="{SEGMENT_PICKER}{TENANT}"' in html
    assert f'data-ajax--url="{CATEGORY_PICKER}{TENANT}"' in html
    assert "gold — Gold customers" in html  # the segment picked, shown back
    assert FOREIGN_NAME not in html


def test_the_category_add_forms_parent_picker_keeps_to_the_tenant(
    merchandiser: Client, superuser_client: Client, foreign_rows
):
    own = merchandiser.get(reverse("admin:catalog_category_add")).content.decode()
    chosen_later = superuser_client.get(reverse("admin:catalog_category_add")).content.decode()
    foreign = foreign_rows["included_categories"]
    posted = superuser_client.post(
        reverse("admin:catalog_category_add"),
        {"tenant": TENANT, "public_id": "probe", "parent": foreign.pk, "name__add_language": "en",
         "name__add_text": "Probe", "position": "0", "mixins": "", "metadata_mixins": ""},
    )  # fmt: skip

    assert f'data-ajax--url="{CATEGORY_PICKER}{TENANT}"' in own
    assert f'data-ajax--url="{CATEGORY_PICKER}"' in chosen_later
    assert posted.context["adminform"].form.errors["parent"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert FOREIGN_NAME not in posted.content.decode()
