"""Coupon `restrictions.validFrom` / `validUntil` date-times that no calendar has are a 400
on the field for POST, PUT (whole and partial) and both kinds of PATCH, and in a q."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from coupons.models import Coupon

from .test_coupons_api import ABSOLUTE as TENOFF
from .test_coupons_api import COUPONS

pytestmark = pytest.mark.django_db

IMPOSSIBLE = ["2020-13-45T00:00:00Z", "2021-02-29T00:00:00Z", "9999-12-31T23:30:00-01:00"]


def _assert_400_on(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["details"][0]["field"] == field


@pytest.mark.parametrize("when", IMPOSSIBLE)
def test_post_with_an_impossible_date_is_a_400_on_the_field(manager, when):
    response = manager.post(COUPONS, {**TENOFF, "restrictions": {"validFrom": when}})

    _assert_400_on(response, "restrictions.validFrom")
    assert not Coupon.objects.exists()


@pytest.mark.parametrize("partial", [False, True])
@pytest.mark.parametrize("when", IMPOSSIBLE)
def test_put_with_an_impossible_date_is_a_400_and_keeps_the_coupon(manager, when, partial):
    manager.post(COUPONS, TENOFF)
    body = {"restrictions": {"validUntil": when}}

    response = manager.put(
        f"{COUPONS}/TENOFF" + ("?partial=true" if partial else ""),
        body if partial else {**TENOFF, **body},
    )

    _assert_400_on(response, "restrictions.validUntil")
    assert Coupon.objects.get().version == 1


@pytest.mark.parametrize(
    ("content_type", "patch"),
    [
        ("application/merge-patch+json", {"restrictions": {"validFrom": "2021-02-29T00:00:00Z"}}),
        (
            "application/json-patch+json",
            [{"op": "add", "path": "/restrictions", "value": {"validFrom": "2021-02-29"}}],
        ),
    ],
    ids=["merge-patch", "json-patch"],
)
def test_patch_with_an_impossible_date_is_a_400_and_changes_nothing(manager, content_type, patch):
    manager.post(COUPONS, TENOFF)

    response = manager.patch(f"{COUPONS}/TENOFF", patch, content_type=content_type)

    _assert_400_on(response, "restrictions.validFrom")
    assert Coupon.objects.get().version == 1


def test_a_q_with_an_impossible_date_is_a_400(manager):
    manager.post(COUPONS, TENOFF)

    q = quote('restrictions.validUntil:<"2021-02-29"')

    response = manager.get(f"{COUPONS}?q={q}")

    assert response.status_code == 400, response.content
