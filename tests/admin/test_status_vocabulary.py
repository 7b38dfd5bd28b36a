"""One status vocabulary for segments and coupons (Active, Scheduled, Expired, Inactive),
new segments Active in the admin, times in the tenant's time zone in one format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from coupons import services as coupon_services
from coupons.models import Coupon
from segments.models import Segment
from segments_project.admin.status import Lifecycle, lifecycle
from segments_project.tenancy.models import Tenant
from tests.segments.factories import make_segment

from .conftest import OTHER_TENANT, TENANT
from .test_segment_form import ADD, _form

pytestmark = pytest.mark.django_db

SEGMENTS = reverse("admin:segments_segment_changelist")
COUPONS = reverse("admin:coupons_coupon_changelist")
NOON = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("switched_on", "valid_from", "valid_to", "expected"),
    [
        (True, None, None, Lifecycle.ACTIVE),
        (True, NOON, None, Lifecycle.ACTIVE),  # the window's ends belong to it
        (True, NOON + timedelta(seconds=1), None, Lifecycle.SCHEDULED),
        (True, None, NOON - timedelta(seconds=1), Lifecycle.EXPIRED),
        (False, NOON + timedelta(days=1), None, Lifecycle.INACTIVE),
    ],
)
def test_one_rule_decides_the_status(switched_on, valid_from, valid_to, expected):
    assert (
        lifecycle(switched_on=switched_on, valid_from=valid_from, valid_to=valid_to, at=NOON)
        == expected
    )


def _coupon(code: str, **document) -> Coupon:
    return coupon_services.coupon_create(
        tenant=TENANT,
        document={"code": code, "name": code, "discountType": "PERCENT",
                  "discountPercentage": 5, **document},
    )  # fmt: skip


def _badges(html: str) -> list[str]:
    return [part.split(">", 1)[1].split("<", 1)[0] for part in html.split('class="seg-badge')[1:]]


def test_segments_and_coupons_speak_the_same_words(merchandiser, shop):
    later = (timezone.now() + timedelta(days=3)).isoformat()
    make_segment(TENANT, "autumn", valid_from=timezone.now() + timedelta(days=3))
    _coupon("AUTUMN", restrictions={"validFrom": later})
    gone = _coupon("GONE")
    coupon_services.coupon_delete(tenant=TENANT, code=gone.public_id)

    segments = merchandiser.get(SEGMENTS, {"q": "autumn"}).content.decode()
    coupons = merchandiser.get(COUPONS, {"q": "AUTUMN"}).content.decode()
    deleted = merchandiser.get(COUPONS, {"lifecycle": "inactive"})

    assert _badges(segments) == ["Scheduled"]
    assert _badges(coupons) == ["Scheduled"]  # the API says INACTIVE
    assert "API status INACTIVE" in coupons
    assert [coupon.public_id for coupon in deleted.context["cl"].result_list] == ["GONE"]
    scheduled = merchandiser.get(COUPONS, {"lifecycle": "scheduled"})
    assert [coupon.public_id for coupon in scheduled.context["cl"].result_list] == ["AUTUMN"]


def test_the_segment_page_says_where_the_segment_stands_now(merchandiser, shop):
    Segment.objects.filter(pk=shop["gold"].pk).update(valid_to=timezone.now() - timedelta(1))

    html = merchandiser.get(
        reverse("admin:segments_segment_change", args=[shop["gold"].pk])
    ).content.decode()

    assert "Status now" in html and ">Expired</span>" in html


def test_a_new_segment_is_active_in_the_admin_but_not_in_the_api(merchandiser, shop):
    page = merchandiser.get(ADD).content.decode()

    assert '<option value="ACTIVE" selected>' in page
    assert (
        merchandiser.get(ADD, {"status": "INACTIVE"}).context["adminform"].form.initial["status"]
        == "INACTIVE"
    )
    assert Segment._meta.get_field("status").default == "INACTIVE"


def test_times_are_shown_and_read_in_the_tenants_time_zone(merchandiser, shop):
    Tenant.objects.filter(name=TENANT).update(time_zone="Europe/Berlin")
    make_segment(TENANT, "winter", valid_from=NOON)

    html = merchandiser.get(SEGMENTS, {"q": "winter"}).content.decode()
    response = merchandiser.post(
        ADD, _form(public_id="spring", valid_from_0="2030-04-01", valid_from_1="09:00")
    )

    assert "from 2030-01-15 13:00 CET" in html
    assert response.status_code == 302
    spring = Segment.objects.get(tenant_id=TENANT, public_id="spring")
    assert spring.valid_from == datetime(2030, 4, 1, 7, 0, tzinfo=UTC)  # CEST is UTC+2


def test_a_user_of_tenants_in_several_zones_sees_utc(make_staff, login, shop):
    Tenant.objects.filter(name=TENANT).update(time_zone="Europe/Berlin")
    client = login(make_staff("both", tenants=(TENANT, OTHER_TENANT)))
    make_segment(TENANT, "winter", valid_from=NOON)

    html = client.get(SEGMENTS, {"q": "winter"}).content.decode()

    assert "from 2030-01-15 12:00 UTC" in html


def test_the_admin_prefix_is_reversed_once_not_per_request(merchandiser, shop, monkeypatch):
    from segments_project.tenancy import time_zones

    Tenant.objects.filter(name=TENANT).update(time_zone="Europe/Berlin")
    make_segment(TENANT, "winter", valid_from=NOON)
    calls: list[str] = []
    real = time_zones.reverse
    monkeypatch.setattr(
        time_zones, "reverse", lambda name, **kwargs: calls.append(name) or real(name, **kwargs)
    )
    time_zones._admin_prefix.cache_clear()

    pages = [merchandiser.get(SEGMENTS, {"q": "winter"}).content.decode() for _ in range(3)]

    assert all("from 2030-01-15 13:00 CET" in html for html in pages)
    assert calls == ["admin:index"]


def test_one_date_format_on_every_page(superuser_client, shop):
    Tenant.objects.update(time_zone="America/New_York")
    gold = shop["gold"]
    Segment.objects.filter(pk=gold.pk).update(created_at=NOON)

    page = superuser_client.get(reverse("admin:segments_segment_change", args=[gold.pk]))
    preview = superuser_client.get(
        reverse("admin:segments_segment_preview"),
        {"customer": shop["alice"].pk, "at_0": "2030-01-15", "at_1": "07:00:00"},
    )

    assert "2030-01-15 07:00 EST" in page.content.decode()
    assert "at 2030-01-15 07:00 EST." in preview.content.decode()
