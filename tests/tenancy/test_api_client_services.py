"""The API client services: every change of a secret or of the scopes revokes the tokens it
invalidates (issue 14, items 2 and 3), also when a token request races the change."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from oauth2_provider.models import get_access_token_model, get_application_model

from segments_project.errors import AlreadyExists, NotFound, ValidationFailed
from segments_project.tenancy import scopes
from segments_project.tenancy.models import ApiClient
from segments_project.tenancy.oauth import TenantOAuth2Validator
from segments_project.tenancy.services import (
    api_client_create,
    api_client_delete,
    api_client_update,
    api_client_upsert,
)

from ..conftest import OTHER_TENANT, SECRET, TENANT, Caller
from ..segments.factories import make_customer

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
READ_AND_MANAGE = frozenset(
    {scopes.SEGMENT_READ, scopes.SEGMENT_MANAGE, scopes.CUSTOMER_TOKEN_ISSUE}
)
NEW_SECRET = "a-brand-new-secret-value"


def _create(granted: frozenset[str] = READ_AND_MANAGE) -> ApiClient:
    return api_client_create(tenant=TENANT, client_id="shop", client_secret=SECRET, scopes=granted)


def _token(client: Any, secret: str = SECRET, **form: str) -> Any:
    payload = {"grant_type": "client_credentials", "client_id": "shop", "client_secret": secret}
    return client.post("/oauth/token", {**payload, **form})


def _new_segment() -> dict[str, Any]:
    return {"name": {"en": "Probe"}, "status": "ACTIVE", "siteCode": "main"}


# --- the secret ----------------------------------------------------------------------------


def test_a_new_secret_revokes_every_token_of_the_client(client):
    _create()
    make_customer(TENANT, "c-1")
    tokens = [_token(client).json()["access_token"],
              _token(client, customer_id="c-1").json()["access_token"]]  # fmt: skip

    api_client_update(tenant=TENANT, client_id="shop", client_secret=NEW_SECRET)

    assert not get_access_token_model().objects.exists()
    assert Caller(tokens[0]).get(SEGMENTS).status_code == 401
    assert _token(client).status_code == 401
    assert _token(client, secret=NEW_SECRET).status_code == 200


def test_changing_only_the_scopes_keeps_the_secret(client):
    _create()

    api_client_update(tenant=TENANT, client_id="shop", scopes=frozenset({scopes.SEGMENT_READ}))

    assert _token(client).status_code == 200


# --- the scopes ----------------------------------------------------------------------------


def test_a_token_cannot_use_a_scope_its_client_lost(client):
    _create()
    token = _token(client).json()["access_token"]
    assert Caller(token).post(SEGMENTS, _new_segment()).status_code == 201

    api_client_update(tenant=TENANT, client_id="shop", scopes=frozenset({scopes.SEGMENT_READ}))

    assert Caller(token).post(SEGMENTS, _new_segment()).status_code == 401
    fresh = _token(client).json()
    assert fresh["scope"] == scopes.SEGMENT_READ
    assert Caller(fresh["access_token"]).post(SEGMENTS, _new_segment()).status_code == 403


def test_narrowing_keeps_the_tokens_within_the_remaining_scopes(client):
    _create()
    narrow = _token(client, scope=scopes.SEGMENT_READ).json()["access_token"]
    wide = _token(client).json()["access_token"]

    api_client_update(
        tenant=TENANT,
        client_id="shop",
        scopes=frozenset({scopes.SEGMENT_READ, scopes.CUSTOMER_TOKEN_ISSUE}),
    )

    assert Caller(narrow).get(SEGMENTS).status_code == 200
    assert Caller(wide).get(SEGMENTS).status_code == 401


def test_widening_revokes_nothing(client):
    _create(frozenset({scopes.SEGMENT_READ}))
    token = _token(client).json()["access_token"]

    api_client_update(tenant=TENANT, client_id="shop", scopes=READ_AND_MANAGE)

    assert Caller(token).get(SEGMENTS).status_code == 200


def test_customer_tokens_go_with_the_token_issue_scope_only(client):
    _create()
    make_customer(TENANT, "c-1")
    customer_token = _token(client, customer_id="c-1").json()["access_token"]
    client_token = _token(client, scope=scopes.SEGMENT_READ).json()["access_token"]

    api_client_update(
        tenant=TENANT,
        client_id="shop",
        scopes=frozenset({scopes.SEGMENT_READ, scopes.SEGMENT_MANAGE}),
    )

    access_tokens = get_access_token_model().objects
    assert not access_tokens.filter(customer_binding__isnull=False).exists()
    assert access_tokens.count() == 1
    assert Caller(client_token).get(SEGMENTS).status_code == 200
    assert Caller(customer_token).get(SEGMENTS).status_code == 401


# --- tokens requested while the client changes ---------------------------------------------


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_secret": NEW_SECRET}, "invalid_client"),
        ({"scopes": frozenset({scopes.SEGMENT_READ})}, "invalid_scope"),
    ],
    ids=["secret", "scopes"],
)
def test_a_token_requested_while_the_client_changes_is_not_issued(
    client, monkeypatch, change, error
):
    _create()
    checked = TenantOAuth2Validator.validate_scopes

    def check_then_change(self, *args: Any, **kwargs: Any) -> bool:
        valid = checked(self, *args, **kwargs)
        # The admin saves the client after this request was checked, before its token is.
        api_client_update(tenant=TENANT, client_id="shop", **change)
        return valid

    monkeypatch.setattr(TenantOAuth2Validator, "validate_scopes", check_then_change)

    response = _token(client)

    assert response.json()["error"] == error
    assert response.status_code in {400, 401}
    assert not get_access_token_model().objects.exists()


def test_a_token_requested_while_the_client_gains_a_scope_is_still_issued(client, monkeypatch):
    """The client's row changed, so the one-statement store stores nothing, and the checked
    transaction issues the token: a wider grant takes nothing from it."""
    _create()
    checked = TenantOAuth2Validator.validate_scopes

    def check_then_widen(self, *args: Any, **kwargs: Any) -> bool:
        valid = checked(self, *args, **kwargs)
        api_client_update(tenant=TENANT, client_id="shop", scopes=READ_AND_MANAGE | {
            scopes.COUPON_READ})  # fmt: skip
        return valid

    monkeypatch.setattr(TenantOAuth2Validator, "validate_scopes", check_then_widen)

    response = _token(client)

    assert response.status_code == 200, response.content
    assert get_access_token_model().objects.count() == 1
    assert Caller(response.json()["access_token"]).get(SEGMENTS).status_code == 200


# --- rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"client_secret": "too-short"},
        {"scopes": frozenset({"made.up"})},
        {"client_id": "with space"},
        {"client_id": "with:colon"},
        {"client_id": "nul\x00"},
    ],
    ids=["short secret", "unknown scope", "space", "colon", "nul"],
)
def test_bad_values_are_refused_naming_the_field(values):
    arguments = {"tenant": TENANT, "client_id": "shop", "client_secret": SECRET,
                 "scopes": READ_AND_MANAGE, **values}  # fmt: skip

    with pytest.raises(ValidationFailed) as raised:
        api_client_create(**arguments)

    assert raised.value.details[0].field == next(iter(values))
    assert not ApiClient.objects.exists()


def test_a_taken_client_id_is_refused_whichever_tenant_has_it():
    _create()

    with pytest.raises(AlreadyExists):
        api_client_create(tenant=OTHER_TENANT, client_id="shop", client_secret=SECRET,
                          scopes=READ_AND_MANAGE)  # fmt: skip
    with pytest.raises(AlreadyExists):
        api_client_upsert(tenant=OTHER_TENANT, client_id="shop", client_secret=NEW_SECRET,
                          scopes=READ_AND_MANAGE)  # fmt: skip


def test_another_tenants_client_is_not_found():
    _create()

    with pytest.raises(NotFound):
        api_client_update(tenant=OTHER_TENANT, client_id="shop", client_secret=NEW_SECRET)
    with pytest.raises(NotFound):
        api_client_delete(tenant=OTHER_TENANT, client_id="shop")
    assert ApiClient.objects.filter(tenant_id=TENANT).exists()


def test_an_unknown_scope_the_client_holds_may_stay_but_not_be_added():
    client = _create()
    ApiClient.objects.filter(pk=client.pk).update(allowed_scopes="legacy.scope")

    kept = api_client_update(tenant=TENANT, client_id="shop",
                             scopes=frozenset({"legacy.scope", scopes.SEGMENT_READ}))  # fmt: skip

    assert kept.scopes == {"legacy.scope", scopes.SEGMENT_READ}
    with pytest.raises(ValidationFailed):
        api_client_update(tenant=TENANT, client_id="shop", scopes=frozenset({"other.scope"}))


def test_deleting_a_client_deletes_its_application_and_tokens(client):
    _create()
    token = _token(client).json()["access_token"]

    api_client_delete(tenant=TENANT, client_id="shop")

    assert not get_application_model().objects.exists()
    assert not get_access_token_model().objects.exists()
    assert Caller(token).get(SEGMENTS).status_code == 401


def test_the_command_writes_through_the_same_service(client):
    _create()
    token = _token(client).json()["access_token"]

    call_command("create_api_client", "--tenant", TENANT, "--client-id", "shop",
                 "--client-secret", NEW_SECRET, "--scopes", scopes.SEGMENT_READ)  # fmt: skip

    assert Caller(token).get(SEGMENTS).status_code == 401
    assert _token(client, secret=NEW_SECRET).json()["scope"] == scopes.SEGMENT_READ
    with pytest.raises(CommandError, match="is taken"):
        call_command("create_api_client", "--tenant", OTHER_TENANT, "--client-id", "shop",
                     "--client-secret", NEW_SECRET, "--scopes", scopes.SEGMENT_READ)  # fmt: skip


def test_the_command_creates_and_unmarks_a_storefront_client(client):
    out = StringIO()

    call_command("create_api_client", "--tenant", TENANT, "--client-id", "web-shop",
                 "--storefront", stdout=out)  # fmt: skip

    assert "storefront client acme/web-shop" in out.getvalue()
    assert ApiClient.objects.get(application__client_id="web-shop").storefront
    login = client.get(
        "/customerlogin/auth/anonymous/login", {"tenant": TENANT, "client_id": "web-shop"}
    )
    assert login.status_code == 200
    with pytest.raises(CommandError, match="--client-secret is required"):
        call_command("create_api_client", "--tenant", TENANT, "--client-id", "web-shop")
    with pytest.raises(CommandError, match="no scopes"):
        call_command("create_api_client", "--tenant", TENANT, "--client-id", "web-shop",
                     "--storefront", "--scopes", scopes.SEGMENT_READ)  # fmt: skip

    call_command("create_api_client", "--tenant", TENANT, "--client-id", "web-shop",
                 "--client-secret", NEW_SECRET, "--scopes", scopes.SEGMENT_READ)  # fmt: skip

    assert not ApiClient.objects.get(application__client_id="web-shop").storefront
    assert _token(client, secret=NEW_SECRET, client_id="web-shop").status_code == 200
