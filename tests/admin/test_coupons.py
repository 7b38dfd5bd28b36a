"""The coupon admin: restrictions edited with form fields (segments and categories picked by
autocomplete, customers one per line), checked by the API's rules with the message on the
field, a readable list, and a read-only page for viewers."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from coupons import services as coupon_services
from coupons.models import Coupon

from .conftest import TENANT

pytestmark = pytest.mark.django_db

LIST = reverse("admin:coupons_coupon_changelist")


def _gold_coupon(**changes: Any) -> Coupon:
    document = {
        "code": "GOLD15",
        "name": "15% for Gold",
        "discountType": "PERCENT",
        "discountPercentage": 15,
        "segmentRestricted": True,
        "restrictions": {"segments": ["gold"]},
        **changes,
    }
    return coupon_services.coupon_create(tenant=TENANT, document=document)


def _form(coupon: Coupon, **changes: Any) -> dict[str, Any]:
    """The change form as the page posts it, with the coupon's current values."""
    form = {
        "name": coupon.name,
        "description": coupon.description,
        "discount_type": coupon.discount_type,
        "discount_percentage": str(coupon.discount_percentage or ""),
        "discount_amount": "",
        "discount_currency": "",
        "max_redemptions": "-1",
        "max_redemptions_per_customer": "-1",
        "discount_calculation_type": "SUBTOTAL",
        "segment_restricted": "on",
        "segment_ids": [],
        "included_categories": [],
        "excluded_categories": [],
        "valid_for": "",
        "min_order_currency": "",
        "issued_to": "",
        "mixins": "",
        "metadata_mixins": "",
        "redemptions-TOTAL_FORMS": "0",
        "redemptions-INITIAL_FORMS": "0",
        "redemptions-MIN_NUM_FORMS": "0",
        "redemptions-MAX_NUM_FORMS": "1000",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def _change_url(coupon: Coupon) -> str:
    return reverse("admin:coupons_coupon_change", args=[coupon.pk])


def test_the_segment_restriction_is_an_autocomplete_of_the_tenants_segments(merchandiser, shop):
    coupon = _gold_coupon()

    response = merchandiser.get(_change_url(coupon))

    html = response.content.decode()
    assert response.status_code == 200
    assert '["gold"]' not in html
    assert f'<option value="{shop["gold"].pk}" selected>gold — Gold customers</option>' in html
    assert "admin-autocomplete" in html
    assert "?tenant=acme" in html


def test_segments_chosen_in_the_form_are_saved_as_ids_through_the_service(merchandiser, shop):
    coupon = _gold_coupon()

    response = merchandiser.post(
        _change_url(coupon),
        _form(coupon, segment_ids=[shop["gold"].pk, shop["silver"].pk]),
    )

    assert response.status_code == 302
    coupon.refresh_from_db()
    assert sorted(coupon.segment_ids) == ["gold", "silver"]
    assert coupon.version == 2
    assert LogEntry.objects.filter(object_id=str(coupon.pk)).exists()


def test_a_segment_of_another_tenant_is_refused_on_its_field(merchandiser, shop):
    coupon = _gold_coupon()

    response = merchandiser.post(
        _change_url(coupon), _form(coupon, segment_ids=[shop["foreign"].pk])
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "segment_ids" in errors
    coupon.refresh_from_db()
    assert coupon.segment_ids == ["gold"]


def test_the_apis_rule_shows_on_the_segments_field(merchandiser, shop):
    coupon = _gold_coupon()

    response = merchandiser.post(_change_url(coupon), _form(coupon))

    errors = response.context["adminform"].form.errors
    assert errors["segment_ids"] == ["A segment-restricted coupon needs restrictions.segments."]
    coupon.refresh_from_db()
    assert coupon.version == 1


def test_customers_and_categories_are_edited_without_json(merchandiser, shop):
    coupon = _gold_coupon(segmentRestricted=False, restrictions={})
    shirts = shop["categories"]["shirts"]

    response = merchandiser.post(
        _change_url(coupon),
        _form(
            coupon,
            segment_restricted=None,
            valid_for="alice\n\n bob \n",
            category_restricted="on",
            included_categories=[shirts.pk],
        ),
    )

    assert response.status_code == 302
    coupon.refresh_from_db()
    assert coupon.valid_for == ["alice", "bob"]
    assert coupon.included_categories == ["shirts"]
    page = merchandiser.get(_change_url(coupon)).content.decode()
    assert f'<option value="{shirts.pk}" selected>shirts — Shirts</option>' in page
    assert "alice\nbob</textarea>" in page


def test_the_list_shows_a_readable_status_discount_and_restriction(merchandiser, shop):
    _gold_coupon()

    html = merchandiser.get(LIST).content.decode()

    assert (
        'class="seg-badge seg-active" title="switched on and valid now (API status VALID)"' in html
    )
    assert ">Active</span>" in html
    assert "15 %" in html
    assert "segments gold" in html


def test_a_viewer_reads_the_restrictions_as_text(viewer, shop):
    coupon = _gold_coupon(restrictions={"segments": ["gold", "silver"]})

    response = viewer.get(_change_url(coupon))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="_save"' not in html
    assert "gold, silver" in html
    assert '["gold", "silver"]' not in html


def test_a_coupon_is_added_with_a_segment_restriction(merchandiser, shop):
    form = {
        **_form(Coupon(name="Gold only", discount_type="ABSOLUTE")),
        "tenant": TENANT,
        "public_id": "gold5",
        "discount_amount": "5.00",
        "discount_currency": "EUR",
        "segment_ids": [shop["gold"].pk],
    }

    response = merchandiser.post(reverse("admin:coupons_coupon_add"), form)

    assert response.status_code == 302
    coupon = Coupon.objects.get(public_id="GOLD5")
    assert (coupon.segment_ids, coupon.version) == (["gold"], 1)


@pytest.mark.parametrize(
    ("day", "saved"), [("2021-02-29", False), ("2021-04-31", False), ("0001-01-01", True)]
)
def test_a_coupon_date_is_checked_by_the_calendar_and_years_before_1000_are_kept(
    merchandiser, shop, day, saved
):
    coupon = _gold_coupon()

    response = merchandiser.post(
        _change_url(coupon),
        _form(coupon, segment_ids=[shop["gold"].pk], valid_from_0=day, valid_from_1="00:00"),
    )

    coupon.refresh_from_db()
    if saved:
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert coupon.valid_from.year == 1
    else:
        assert "valid_from" in response.context["adminform"].form.errors
        assert coupon.valid_from is None


def test_a_posted_value_that_is_no_row_is_refused_on_its_field(merchandiser, shop):
    coupon = _gold_coupon()

    response = merchandiser.post(_change_url(coupon), _form(coupon, segment_ids=["[]"]))

    assert response.status_code == 200
    assert "segment_ids" in response.context["adminform"].form.errors


def test_the_add_page_has_no_redemption_list_and_the_change_page_has(superuser_client, shop):
    coupon = _gold_coupon()

    added = superuser_client.get(reverse("admin:coupons_coupon_add")).content.decode()
    changed = superuser_client.get(_change_url(coupon)).content.decode()

    assert 'id="redemptions-group"' not in added
    assert 'id="redemptions-group"' in changed
