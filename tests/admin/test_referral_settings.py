"""The referral settings admin: one row per tenant, written through the service, checked with
the service's rules (message on the field), and kept inside the staff user's tenants."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from coupons.models import ReferralSettings
from coupons.services import ReferralNotConfigured, referral_coupon_issue, referral_settings_save
from segments_project.tenancy.models import Tenant
from tests.segments.factories import make_customer

from .conftest import OTHER_TENANT, TENANT

pytestmark = pytest.mark.django_db

LIST = reverse("admin:coupons_referralsettings_changelist")
ADD = reverse("admin:coupons_referralsettings_add")


def _change(tenant: str) -> str:
    return reverse("admin:coupons_referralsettings_change", args=[tenant])


@pytest.fixture
def staff(make_staff, login) -> Client:
    """A staff user of acme only, with every permission on referral settings."""
    user = make_staff("referrals", tenants=(TENANT,))
    user.user_permissions.add(*Permission.objects.filter(content_type__model="referralsettings"))
    Tenant.objects.get_or_create(name=OTHER_TENANT)
    return login(user)


def _configured() -> None:
    """Acme issues 5 EUR referral coupons."""
    referral_settings_save(
        tenant=TENANT, values={"discount_amount": Decimal(5), "discount_currency": "EUR"}
    )


def _form(**changes: Any) -> dict[str, Any]:
    form = {
        "tenant": TENANT,
        "discount_amount": "8.00",
        "discount_currency": "EUR",
        "code_prefix": "FRIEND-",
        "name_template": "Referral of {customerName}",
        "description": "",
        "max_redemptions": "-1",
        "max_redemptions_per_customer": "1",
        "validity_days": "",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def test_staff_add_their_tenants_settings_and_coupons_follow_them(staff):
    make_customer(TENANT, "ada")

    response = staff.post(ADD, _form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    settings = ReferralSettings.objects.get(tenant_id=TENANT)
    assert (settings.discount_amount, settings.code_prefix) == (Decimal("8.00"), "FRIEND-")
    coupon, _ = referral_coupon_issue(tenant=TENANT, customer_number="ada")
    assert coupon.public_id.startswith("FRIEND-")
    assert coupon.name == "Referral of First Ada"


def test_a_change_is_saved_through_the_service(staff):
    _configured()

    response = staff.post(_change(TENANT), _form(discount_amount="12.50"))

    assert response.status_code == 302
    assert ReferralSettings.objects.get(tenant_id=TENANT).discount_amount == Decimal("12.50")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name_template": "Referral of {customer.__dict__}"}, "name_template"),
        ({"code_prefix": "A B"}, "code_prefix"),
        ({"discount_currency": "XXX"}, "discount_currency"),
        ({"discount_amount": "0"}, "discount_amount"),
        ({"allow_anonymous": "on"}, "max_redemptions_per_customer"),
    ],
)
def test_the_services_rules_show_on_the_field(staff, changes, field):
    response = staff.post(ADD, _form(**changes))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not ReferralSettings.objects.exists()


def test_staff_cannot_add_settings_for_another_tenant(staff):
    response = staff.post(ADD, _form(tenant=OTHER_TENANT))

    assert response.status_code == 200
    assert "tenant" in response.context["adminform"].form.errors
    assert not ReferralSettings.objects.exists()


def test_staff_neither_see_nor_change_another_tenants_settings(staff):
    values = {"discount_amount": Decimal(5), "discount_currency": "USD", "code_prefix": "GLX-"}
    referral_settings_save(tenant=OTHER_TENANT, values=values)
    referral_settings_save(tenant=TENANT, values={**values, "code_prefix": "ACME-"})

    listed = staff.get(LIST)
    opened = staff.get(_change(OTHER_TENANT))
    changed = staff.post(_change(OTHER_TENANT), _form(tenant=OTHER_TENANT, code_prefix="HACK-"))
    deleted = staff.post(
        reverse("admin:coupons_referralsettings_delete", args=[OTHER_TENANT]), {"post": "yes"}
    )

    assert [row.pk for row in listed.context["cl"].result_list] == [TENANT]
    assert "GLX-" not in listed.content.decode()
    for response in (opened, changed, deleted):
        assert response.status_code in (302, 404)
    assert ReferralSettings.objects.get(tenant_id=OTHER_TENANT).code_prefix == "GLX-"


def test_deleting_the_settings_stops_new_referral_coupons(staff):
    make_customer(TENANT, "ada")
    _configured()

    response = staff.post(
        reverse("admin:coupons_referralsettings_delete", args=[TENANT]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not ReferralSettings.objects.exists()
    with pytest.raises(ReferralNotConfigured):
        referral_coupon_issue(tenant=TENANT, customer_number="ada")


def test_a_referral_coupons_owner_is_read_only_in_the_coupon_admin(merchandiser):
    make_customer(TENANT, "ada")
    _configured()
    coupon, _ = referral_coupon_issue(tenant=TENANT, customer_number="ada")

    page = merchandiser.get(reverse("admin:coupons_coupon_change", args=[coupon.pk]))

    form = page.context["adminform"].form
    assert page.status_code == 200
    assert "issued_to" not in form.fields
    assert "referral_coupon" not in form.fields
