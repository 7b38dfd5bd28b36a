"""Localized names and descriptions side by side: the admin forms offer one input per
language of the tenant at once (the languages its texts of that kind use, plus the default
language), save them all in one submit, and store no empty one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Category, Product
from segments.models import Segment
from tests.catalog.factories import make_category
from tests.segments.factories import make_segment

from .conftest import OTHER_TENANT, TENANT
from .test_segment_form import _form

pytestmark = pytest.mark.django_db

SEGMENT_ADD = reverse("admin:segments_segment_add")


def _inputs(html: str, field: str) -> list[str]:
    """The languages the form has an input for, in page order."""
    marker = f'name="{field}__'
    codes = []
    for part in html.split(marker)[1:]:
        code = part.split('"', 1)[0]
        if code not in ("add_language", "add_text"):
            codes.append(code)
    return codes


def test_a_new_segment_offers_every_language_of_the_tenant_at_once(merchandiser, shop):
    # gold is named in en and de; another tenant's fr is none of acme's business.
    make_segment(OTHER_TENANT, "foreign-fr")
    Segment.objects.filter(tenant_id=OTHER_TENANT).update(name={"fr": "Clients"})

    html = merchandiser.get(SEGMENT_ADD).content.decode()

    assert _inputs(html, "name") == ["en", "de"]
    assert _inputs(html, "description") == ["en", "de"]
    assert 'name="name__add_language"' in html


def test_all_languages_are_saved_in_one_submit_and_empty_ones_are_not_stored(merchandiser, shop):
    Segment.objects.filter(public_id="silver").update(description={"fr": "Argent"})
    data = _form(name__add_language="", name__add_text="")
    data |= {"name__en": "VIP customers", "name__de": "VIP-Kunden", "name__fr": " "}
    data |= {"description__en": "", "description__de": "", "description__fr": "Les meilleurs"}

    response = merchandiser.post(SEGMENT_ADD, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    vip = Segment.objects.get(tenant_id=TENANT, public_id="vip")
    assert vip.name == {"en": "VIP customers", "de": "VIP-Kunden"}
    assert vip.description == {"fr": "Les meilleurs"}


def test_a_change_form_offers_the_tenants_languages_beside_the_rows_own(merchandiser, shop):
    make_category(TENANT, "sale", name="Sale")
    Category.objects.filter(public_id="sale").update(name={"en": "Sale", "it": "Saldi"})
    shoes = shop["categories"]["shoes"]

    url = reverse("admin:catalog_category_change", args=[shoes.pk])
    html = merchandiser.get(url).content.decode()

    assert _inputs(html, "name") == ["en", "it"]
    assert 'name="name__it" id="id_name__it" value=""' in html


def test_the_product_form_reads_the_languages_in_one_bounded_query(merchandiser, shop):
    tee = shop["products"]["tee"]
    url = reverse("admin:catalog_product_change", args=[tee.pk])

    def languages_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert merchandiser.get(url).status_code == 200
        return sum('ORDER BY' in q["sql"] and '"name"' in q["sql"] and "LIMIT" in q["sql"]
                   for q in captured.captured_queries)  # fmt: skip

    Product.objects.filter(public_id="boot").update(name={"en": "Boot", "nl": "Laars"})
    html = merchandiser.get(url).content.decode()

    assert _inputs(html, "name") == ["en", "nl"]
    assert languages_queries() == 1
