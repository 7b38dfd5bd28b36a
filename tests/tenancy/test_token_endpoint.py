"""POST /oauth/token: client credentials, scope narrowing and customer tokens."""

from __future__ import annotations

import base64
import hashlib

import pytest
from oauth2_provider.models import get_access_token_model

from segments_project.tenancy import scopes
from segments_project.tenancy.hooks import CUSTOMER_CHECK
from segments_project.tenancy.models import CustomerTokenBinding
from segments_project.tenancy.services import api_client_upsert

from ..conftest import SECRET, TENANT, Caller
from ..segments.factories import make_customer, make_legal_entity

pytestmark = pytest.mark.django_db

CUSTOMER_FORM_SCOPES = frozenset({scopes.SEGMENT_READ, scopes.CUSTOMER_TOKEN_ISSUE})


def _register(client_id: str = "shop", granted: frozenset[str] = CUSTOMER_FORM_SCOPES) -> None:
    api_client_upsert(tenant=TENANT, client_id=client_id, client_secret=SECRET, scopes=granted)


def _token_request(client, **form):
    payload = {"grant_type": "client_credentials", "client_id": "shop", "client_secret": SECRET}
    payload.update(form)
    return client.post("/oauth/token", payload)


def test_client_credentials_grant_answers_a_bearer_token_with_the_clients_scopes(client):
    _register()

    response = _token_request(client)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == CUSTOMER_FORM_SCOPES
    assert body["access_token"]


def test_scope_parameter_narrows_the_granted_scopes(client):
    _register()

    response = _token_request(client, scope=scopes.SEGMENT_READ)

    assert response.status_code == 200
    assert response.json()["scope"] == scopes.SEGMENT_READ


def test_asking_for_a_scope_the_client_lacks_is_refused(client):
    _register()

    response = _token_request(client, scope=scopes.SEGMENT_MANAGE)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert response.json()["code"] == 400


@pytest.mark.parametrize(
    "form",
    [{"client_secret": "wrong-secret-xxxxxxxx"}, {"client_id": "nobody"}],
    ids=["wrong secret", "unknown client"],
)
def test_wrong_credentials_are_a_401_json_error(client, form):
    _register()

    response = _token_request(client, **form)

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == 401
    assert body["status"] == "Unauthorized"
    assert body["error"] == "invalid_client"


def test_tokens_are_stored_as_checksums_only(client):
    _register()

    token = _token_request(client).json()["access_token"]

    stored = get_access_token_model().objects.get()
    assert stored.token == ""
    assert stored.token_checksum == hashlib.sha256(token.encode()).hexdigest()


def test_customer_token_is_bound_to_the_customer_and_carries_only_customer_scopes(client):
    _register()
    make_customer(TENANT, "c-1", legal_entities=(make_legal_entity(TENANT, "le-9"),))

    response = _token_request(client, customer_id="c-1", legal_entity_id="le-9")

    assert response.status_code == 200
    body = response.json()
    assert set(body["scope"].split()) == scopes.CUSTOMER_SCOPES
    assert body["expires_in"] == 900
    binding = CustomerTokenBinding.objects.get()
    assert (binding.tenant_id, binding.customer_id, binding.legal_entity_id) == (
        TENANT,
        "c-1",
        "le-9",
    )


def test_customer_token_needs_the_token_issue_scope(client):
    _register(granted=frozenset({scopes.SEGMENT_READ}))

    response = _token_request(client, customer_id="c-1")

    assert response.status_code == 403
    assert response.json()["error"] == "unauthorized_client"
    assert not CustomerTokenBinding.objects.exists()


@pytest.mark.parametrize(
    ("customer_id", "legal_entity_id", "reason"),
    [
        ("nobody", None, "does not exist"),
        ("c-1", "le-other", "does not act for"),
        ("c-1", "le-unknown", "does not act for"),
    ],
)
def test_customer_tokens_need_an_existing_customer_of_that_legal_entity(
    client, customer_id, legal_entity_id, reason
):
    _register()
    make_customer(TENANT, "c-1", legal_entities=(make_legal_entity(TENANT, "le-9"),))
    make_legal_entity(TENANT, "le-other")
    form = {"customer_id": customer_id}
    if legal_entity_id:
        form["legal_entity_id"] = legal_entity_id

    response = _token_request(client, **form)

    assert response.status_code == 400
    assert reason in response.json()["message"]
    assert not CustomerTokenBinding.objects.exists()


def test_a_customer_of_another_tenant_gets_no_token(client):
    _register()
    make_customer("globex", "c-1")

    assert _token_request(client, customer_id="c-1").status_code == 400


def test_customer_token_refuses_malformed_customer_ids(client):
    _register()

    response = _token_request(client, customer_id="a b/c")

    assert response.status_code == 400


def test_rotating_the_secret_revokes_existing_tokens(client):
    _register()
    token = _token_request(client).json()["access_token"]

    _register()

    response = Caller(token).get(f"/customer-segment/{TENANT}/segments")
    assert response.status_code == 401


def test_only_the_client_credentials_grant_is_supported(client):
    _register()

    response = _token_request(client, grant_type="password")

    assert response.status_code in {400, 401}
    assert response.json()["code"] == response.status_code


@pytest.mark.parametrize(
    "form",
    [
        {"client_id": "shop\x00"},
        {"customer_id": "c-1\x00"},
        {"customer_id": "c-1", "legal_entity_id": "le-9\x00"},
        {"client_secret": f"{SECRET}\x00"},
        {"scope": f"{scopes.SEGMENT_READ}\x00"},
        {"grant_type": "client_credentials\x00"},
        {"resource": "https://example.com/\x00"},
    ],
    ids=["client_id", "customer_id", "legal_entity_id", "secret", "scope", "grant", "resource"],
)
def test_a_nul_character_in_any_parameter_is_a_json_4xx(client, form):
    _register()
    make_customer(TENANT, "c-1", legal_entities=(make_legal_entity(TENANT, "le-9"),))

    response = _token_request(client, **form)

    assert response.status_code in {400, 401}
    assert response.json()["code"] == response.status_code
    assert not get_access_token_model().objects.exists()


def test_a_nul_character_in_the_basic_credentials_is_a_json_400(client):
    _register()
    credentials = base64.b64encode(f"shop%00:{SECRET}".encode()).decode()

    response = client.post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {credentials}"},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_without_a_customer_check_no_customer_token_is_issued(client):
    # The check is provided by the app owning the customer directory; a misconfigured
    # install fails closed (a server error) instead of vouching for any customer id.
    _register()
    make_customer(TENANT, "c-1")
    client.raise_request_exception = False

    with CUSTOMER_CHECK.override(None):
        response = _token_request(client, customer_id="c-1")

    assert response.status_code == 500
    assert not CustomerTokenBinding.objects.exists()
    assert not get_access_token_model().objects.exists()
