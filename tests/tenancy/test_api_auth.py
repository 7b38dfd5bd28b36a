"""Bearer tokens, scopes and tenants on the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from segments_project.tenancy import scopes

from ..conftest import OTHER_TENANT, TENANT, Caller

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
FAULT = {
    "fault": {
        "faultstring": "Invalid access token",
        "detail": {"errorcode": "oauth.v2.InvalidAccessToken"},
    }
}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer a b"],
)
def test_missing_or_invalid_tokens_get_the_vendors_401_fault(authorization):
    caller = Caller(None)
    headers = {"Authorization": authorization} if authorization else {}

    response = caller.get(SEGMENTS, headers=headers)

    assert response.status_code == 401
    assert response.json() == FAULT


def test_expired_tokens_get_401(issue_token):
    token = issue_token()
    get_access_token_model().objects.update(expires=timezone.now() - timedelta(seconds=1))

    response = Caller(token).get(SEGMENTS)

    assert response.status_code == 401
    assert response.json() == FAULT


def test_a_token_without_the_operations_scope_gets_403(issue_token):
    caller = Caller(issue_token(granted=frozenset({scopes.COUPON_READ})))

    response = caller.get(SEGMENTS)

    assert response.status_code == 403
    assert response.json()["code"] == 403
    assert response.json()["status"] == "Forbidden"


def test_read_scope_cannot_write(reader):
    response = reader.post(SEGMENTS, {"name": {"en": "x"}, "siteCode": "main"})

    assert response.status_code == 403


def test_a_token_of_another_tenant_gets_403(outsider):
    response = outsider.get(SEGMENTS)

    assert response.status_code == 403
    assert TENANT in response.json()["message"]


@pytest.mark.parametrize("tenant", ["AC", "Acme", "1acme", "a" * 17, "ac-me"])
def test_invalid_tenant_names_in_the_path_are_a_400_json_error(manager, tenant):
    response = manager.get(f"/customer-segment/{tenant}/segments", check_schema=False)

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "tenant"


def test_emporix_tenant_header_must_match_the_path(manager):
    assert manager.get(SEGMENTS, headers={"Emporix-Tenant": TENANT}).status_code == 200

    response = manager.get(SEGMENTS, headers={"Emporix-Tenant": OTHER_TENANT})

    assert response.status_code == 400


def test_unknown_urls_under_the_api_are_json_404(manager):
    response = manager.get(f"/customer-segment/{TENANT}/nothing/here")

    assert response.status_code == 404
    assert response.json()["code"] == 404


def test_unsupported_methods_are_json_405(manager):
    response = manager.request("PATCH", f"{SEGMENTS}/search", {}, check_schema=False)

    assert response.status_code == 405
    assert response.json()["code"] == 405


def test_answers_are_json_whatever_the_accept_header(manager):
    response = manager.get(SEGMENTS, headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
