"""The segment form's rule editor: the criteria fields write through the segment service
(refused with the API's message), and the live preview view answers with the API's
selector, in a tenant the user may administer only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from segments.models import Customer, Segment
from tests.segments.factories import make_customer

from .conftest import OTHER_TENANT, TENANT
from .test_segment_form import ADD, _change_form, _change_url, _form

PREVIEW = reverse("admin:segments_segment_criteria_preview")

pytestmark = pytest.mark.django_db


def _preview(client: Any, tenant: str, criteria: Any) -> Any:
    body = json.dumps({"tenant": tenant, "criteria": criteria})
    return client.post(PREVIEW, body, content_type="application/json")


@pytest.fixture
def germans(shop) -> None:
    """alice lives in Germany with 900 points; bob is in Austria; globex has a German too."""
    Customer.objects.filter(tenant_id=TENANT, public_id="alice").update(
        addresses=[{"country": "DE"}], mixins={"loyalty": {"points": 900}}
    )
    Customer.objects.filter(tenant_id=TENANT, public_id="bob").update(addresses=[{"country": "AT"}])
    make_customer(OTHER_TENANT, "gunter")
    Customer.objects.filter(tenant_id=OTHER_TENANT).update(addresses=[{"country": "DE"}])


def test_a_rule_is_saved_from_the_form(merchandiser, shop):
    response = merchandiser.post(
        ADD,
        _form(criteria_q="addresses.country:DE", criteria_legal_entities="name:~Acme"),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    segment = Segment.objects.get(tenant_id=TENANT, public_id="vip")
    assert segment.criteria == {"q": "addresses.country:DE", "legalEntities": "name:~Acme"}


def test_the_change_page_shows_the_rule_and_the_live_preview(merchandiser, shop):
    gold = shop["gold"]
    gold.criteria = {"q": 'mixins.orders.lastOrderAt:>="-30d"'}
    gold.save()

    html = merchandiser.get(_change_url(gold)).content.decode()

    assert "mixins.orders.lastOrderAt:&gt;=&quot;-30d&quot;</textarea>" in html
    assert f'data-url="{PREVIEW}"' in html
    assert f'data-tenant="{TENANT}"' in html


def test_clearing_both_fields_removes_the_rule(merchandiser, shop):
    gold = shop["gold"]
    gold.criteria = {"q": "active:true"}
    gold.save()

    response = merchandiser.post(_change_url(gold), _change_form(gold, criteria_q=""))

    assert response.status_code == 302, response.context["adminform"].form.errors
    gold.refresh_from_db()
    assert gold.criteria is None


def test_an_invalid_rule_is_shown_on_its_field(merchandiser, shop):
    gold = shop["gold"]

    response = merchandiser.post(
        _change_url(gold), _change_form(gold, criteria_legal_entities="email:x")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "unknown field 'email'" in errors["criteria_legal_entities"][0]
    gold.refresh_from_db()
    assert gold.criteria is None


def test_the_preview_view_counts_with_the_apis_selector(merchandiser, germans):
    criteria = {"q": "addresses.country:DE mixins.loyalty.points:>=500"}
    answer = _preview(merchandiser, TENANT, criteria).json()

    assert (answer["count"], answer["totalCustomers"]) == (1, 2)
    (alice,) = answer["sample"]
    assert alice["id"] == "alice"
    assert alice["url"] == reverse(
        "admin:segments_customer_change", args=[Customer.objects.get(public_id="alice").pk]
    )
    legal = _preview(merchandiser, TENANT, {"legalEntities": "id:acme-corp"}).json()
    assert [customer["id"] for customer in legal["sample"]] == ["bob"]


def test_the_preview_view_explains_an_invalid_rule(merchandiser, shop):
    response = _preview(merchandiser, TENANT, {"q": "addresses.country:(DE"})

    assert response.status_code == 400
    assert response.json()["field"] == "criteria.q"
    assert response.json()["message"].startswith("Invalid criteria.q at position")
    assert _preview(merchandiser, "", {"q": "id:x"}).json()["field"] == "tenant"
    bad = merchandiser.post(PREVIEW, "{", content_type="application/json")
    assert bad.status_code == 400


def test_the_preview_view_stays_in_the_users_tenants(merchandiser, superuser_client, germans):
    response = _preview(merchandiser, OTHER_TENANT, {"q": "addresses.country:DE"})

    assert response.status_code == 403
    assert "gunter" not in response.content.decode()
    theirs = _preview(superuser_client, OTHER_TENANT, {"q": "addresses.country:DE"}).json()
    assert [customer["id"] for customer in theirs["sample"]] == ["gunter"]


def test_the_preview_view_needs_a_user_who_may_edit_segments(viewer, merchandiser, shop):
    assert _preview(viewer, TENANT, {"q": "id:exists"}).status_code == 403
    assert merchandiser.get(PREVIEW).status_code == 405


def test_a_read_only_user_sees_the_rule_without_the_preview(viewer, shop):
    gold = shop["gold"]
    gold.criteria = {"q": "addresses.country:DE", "legalEntities": "name:~Acme"}
    gold.save()

    html = viewer.get(_change_url(gold)).content.decode()

    assert "addresses.country:DE" in html and "name:~Acme" in html
    assert 'id="criteria-preview"' not in html
