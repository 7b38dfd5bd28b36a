"""The API client admin: scopes ticked from the known list, each with what it allows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from segments_project.tenancy import scopes
from segments_project.tenancy.models import ApiClient
from segments_project.tenancy.services import api_client_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_row(db) -> ApiClient:
    row, _ = api_client_upsert(
        tenant="acme",
        client_id="shop-frontend",
        client_secret="a-long-enough-secret",
        scopes=frozenset({scopes.SEGMENT_READ}),
    )
    return row


def _url(row: ApiClient) -> str:
    return reverse("admin:tenancy_apiclient_change", args=[row.pk])


def test_scopes_are_checkboxes_with_their_meaning(superuser_client, client_row):
    html = superuser_client.get(_url(client_row)).content.decode()

    assert 'type="checkbox" name="allowed_scopes" value="customersegment.segment_read"' in html
    assert "coupon.coupon_manage: Create, change and delete coupons." in html
    checked = [
        line for line in html.splitlines() if 'name="allowed_scopes"' in line and "checked" in line
    ]
    assert len(checked) == 1


def test_ticked_scopes_are_stored_space_separated(superuser_client, client_row):
    response = superuser_client.post(
        _url(client_row),
        {
            "tenant": "acme",
            "application": client_row.application_id,
            "allowed_scopes": [scopes.SEGMENT_MANAGE, scopes.SEGMENT_READ],
        },
    )

    assert response.status_code == 302
    client_row.refresh_from_db()
    assert client_row.allowed_scopes == " ".join([scopes.SEGMENT_MANAGE, scopes.SEGMENT_READ])


def test_an_unknown_stored_scope_stays_listed(superuser_client, client_row):
    ApiClient.objects.filter(pk=client_row.pk).update(allowed_scopes="legacy.scope")

    html = superuser_client.get(_url(client_row)).content.decode()

    assert 'value="legacy.scope"' in html


def test_api_clients_are_named_so_in_the_admin(superuser_client):
    page = superuser_client.get(reverse("admin:tenancy_apiclient_changelist")).content.decode()

    assert "API clients" in page
    assert "Api clients" not in page
