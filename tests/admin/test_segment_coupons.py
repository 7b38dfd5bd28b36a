"""A segment's page lists the coupons restricted to it, read-only, linked to their pages,
in a number of queries that does not grow with them (issue 20, item 4)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coupons.models import Coupon
from coupons.services import coupon_create, coupon_delete
from tests.segments.factories import make_segment

from .conftest import OTHER_TENANT, TENANT

pytestmark = pytest.mark.django_db


def _coupon(tenant: str, code: str, segments: list[str], **document: object) -> Coupon:
    return coupon_create(
        tenant=tenant,
        document={"code": code, "name": f"Coupon {code}", "discountType": "PERCENT",
                  "discountPercentage": 10, "segmentRestricted": True,
                  "restrictions": {"segments": segments}, **document},
    )  # fmt: skip


def _panel(client: Client, segment_pk: int) -> str:
    html = client.get(reverse("admin:segments_segment_change", args=[segment_pk])).content
    found = re.search(
        r'<div class="seg-panel" id="segment-coupons">.*?</(table|p)>', html.decode(), re.S
    )
    assert found, "no coupons panel"
    return found.group(0)


def test_the_segment_page_lists_the_coupons_restricted_to_it(merchandiser, shop):
    make_segment(TENANT, "golden")
    mine = _coupon(TENANT, "GOLD10", ["silver", "gold"])
    _coupon(TENANT, "GOLDEN5", ["golden"])  # its id contains "gold"
    _coupon(TENANT, "OPEN", [], segmentRestricted=False)
    _coupon(OTHER_TENANT, "THEIRS", ["gold"])  # globex has a segment gold too
    _coupon(TENANT, "GONE", ["gold"])
    coupon_delete(tenant=TENANT, code="GONE")

    panel = _panel(merchandiser, shop["gold"].pk)

    assert "Coupons restricted to this segment (1)" in panel
    link = reverse("admin:coupons_coupon_change", args=[mine.pk])
    assert f'<a href="{link}">GOLD10</a>' in panel
    assert "Coupon GOLD10" in panel
    # The admin's one status vocabulary, as on the coupon list (the API's word in the title).
    assert 'class="seg-badge seg-active"' in panel and "(API status VALID)" in panel
    for other in ("GOLDEN5", "OPEN", "THEIRS", "GONE"):  # not gold's, or deleted
        assert other not in panel


def test_a_segment_without_coupons_says_so(merchandiser, shop):
    assert "None: no coupon is restricted to this segment." in _panel(merchandiser, shop["gold"].pk)


def test_the_panel_takes_the_same_queries_for_one_coupon_or_many(merchandiser, shop):
    _coupon(TENANT, "C0", ["gold"])
    url = reverse("admin:segments_segment_change", args=[shop["gold"].pk])
    merchandiser.get(url)
    with CaptureQueriesContext(connection) as one:
        merchandiser.get(url)
    for index in range(1, 12):
        _coupon(TENANT, f"C{index}", ["gold"])
    with CaptureQueriesContext(connection) as many:
        html = merchandiser.get(url).content.decode()

    assert "Coupons restricted to this segment (12)" in html
    assert len(many) == len(one)
