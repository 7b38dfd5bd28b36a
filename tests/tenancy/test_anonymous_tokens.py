"""Anonymous storefront tokens: login, refresh (rotation), expiry, and who may get them."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from segments_project.errors import ValidationFailed
from segments_project.tenancy import scopes
from segments_project.tenancy.anonymous import anonymous_sessions_purge_expired
from segments_project.tenancy.authentication import principal_for_checksum
from segments_project.tenancy.models import AnonymousSession, ApiClient
from segments_project.tenancy.oauth import TenantOAuth2Validator
from segments_project.tenancy.services import (
    api_client_create,
    api_client_delete,
    api_client_update,
    api_client_upsert,
)

from ..conftest import OTHER_TENANT, SECRET, TENANT, Caller
from .visitors import (
    LOGIN,
    STOREFRONT_CLIENT,
    login,
    make_storefront_client,
    refresh,
)

pytestmark = pytest.mark.django_db

ITEMS = f"/customer-segment/{TENANT}/segments/items"


def _checksum(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _fault(response, errorcode: str) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["fault"]["detail"]["errorcode"] == errorcode
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.fixture
def storefront(db) -> None:
    make_storefront_client()


def test_login_answers_the_vendors_token_document(client, storefront):
    response = login(client)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "refresh_token_expires_in",
        "sessionId",
        "scope",
    }
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token_expires_in"] == 86400
    assert body["scope"] == f"tenant={TENANT}"
    assert uuid.UUID(body["sessionId"])
    assert body["access_token"] != body["refresh_token"]
    assert response["Cache-Control"] == "no-store"


def test_the_tokens_are_stored_as_checksums_only(client, storefront):
    body = login(client).json()

    session = AnonymousSession.objects.select_related("access_token").get()
    assert str(session.session_id) == body["sessionId"]
    assert session.tenant_id == TENANT
    assert session.refresh_token_checksum == _checksum(body["refresh_token"])
    assert session.access_token.token == ""
    assert session.access_token.token_checksum == _checksum(body["access_token"])


def test_the_token_is_a_visitor_of_the_tenant_found_in_one_query(
    client, storefront, django_assert_num_queries
):
    body = login(client).json()

    with django_assert_num_queries(1):
        principal, _ = principal_for_checksum(_checksum(body["access_token"]))

    assert principal.is_visitor
    assert not principal.is_customer
    assert principal.session_id == body["sessionId"]
    assert (principal.tenant, principal.client_id) == (TENANT, STOREFRONT_CLIENT)
    assert principal.scopes == scopes.VISITOR_SCOPES
    assert not principal.scopes & scopes.ALL_SCOPES


def test_the_lifetime_comes_from_the_settings(client, storefront, settings):
    settings.ANONYMOUS_TOKEN_EXPIRE_SECONDS = 120
    settings.ANONYMOUS_REFRESH_EXPIRE_SECONDS = 600

    body = login(client).json()

    assert (body["expires_in"], body["refresh_token_expires_in"]) == (120, 600)
    token = get_access_token_model().objects.get()
    assert timedelta(seconds=110) < token.expires - timezone.now() <= timedelta(seconds=120)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"client_id": STOREFRONT_CLIENT}, "tenant"),
        ({"tenant": TENANT}, "client_id"),
        ({"tenant": "Not A Tenant", "client_id": STOREFRONT_CLIENT}, "tenant"),
        ({"tenant": TENANT, "client_id": "x\x00y"}, "client_id"),
        ({"tenant": TENANT, "client_id": "x" * 600}, "client_id"),
    ],
    ids=["no tenant", "no client", "bad tenant", "NUL", "too long"],
)
def test_bad_parameters_are_a_400_naming_them(client, storefront, query, field):
    response = client.get(LOGIN, query)

    assert response.status_code == 400, response.content
    assert response.json()["details"][0]["field"] == field
    assert not AnonymousSession.objects.exists()


def test_a_confidential_client_is_refused_at_the_anonymous_login(client, storefront):
    api_client_upsert(
        tenant=TENANT, client_id="backoffice", client_secret=SECRET, scopes=scopes.ALL_SCOPES
    )

    response = login(client, client_id="backoffice")

    _fault(response, "oauth.v2.InvalidApiKey")
    assert "not a storefront client" in response.json()["fault"]["faultstring"]
    assert not AnonymousSession.objects.exists()
    assert not get_access_token_model().objects.exists()


def test_unknown_and_foreign_clients_get_the_same_refusal(client, storefront):
    """Another tenant's storefront client is refused like an unknown one: the answer does
    not say which client ids exist."""
    make_storefront_client(OTHER_TENANT, "globex-storefront")

    unknown = login(client, client_id="nobody")
    foreign = login(client, client_id="globex-storefront")
    wrong_tenant = login(client, tenant=OTHER_TENANT, client_id=STOREFRONT_CLIENT)

    for response in (unknown, foreign, wrong_tenant):
        _fault(response, "oauth.v2.InvalidApiKey")
    assert unknown.json() == foreign.json()
    assert not AnonymousSession.objects.exists()


def test_only_get_is_allowed(client, storefront):
    response = client.post(LOGIN, {"tenant": TENANT, "client_id": STOREFRONT_CLIENT})

    assert response.status_code == 405
    assert not AnonymousSession.objects.exists()


def test_a_storefront_client_gets_no_client_credentials_token(client, storefront):
    """It has no secret anyone knows; even the stored hash's own value is refused."""
    stored = ApiClient.objects.get().application.client_secret
    for secret in ("", stored, SECRET):
        response = client.post(
            "/oauth/token",
            {"grant_type": "client_credentials", "client_id": STOREFRONT_CLIENT,
             "client_secret": secret},
        )  # fmt: skip
        assert response.status_code == 401, response.content
        assert response.json()["error"] == "invalid_client"
    assert not get_access_token_model().objects.exists()


def test_marking_a_client_as_storefront_revokes_its_tokens_and_its_secret(client, issue_token):
    token = issue_token(granted=frozenset({scopes.SEGMENT_READ}))
    client_id = ApiClient.objects.get().application.client_id

    api_client_update(tenant=TENANT, client_id=client_id, scopes=frozenset(), storefront=True)

    assert Caller(token).get(ITEMS).status_code == 401
    again = client.post(
        "/oauth/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": SECRET},
    )
    assert again.status_code == 401
    stored = ApiClient.objects.get()
    assert (stored.storefront, stored.allowed_scopes) == (True, "")
    assert login(client, client_id=client_id).status_code == 200


def test_the_token_endpoint_rechecks_the_mark_under_the_clients_lock(
    client, issue_token, monkeypatch
):
    """A client marked after its credentials were checked gets no client token."""
    issue_token(granted=frozenset({scopes.SEGMENT_READ}))
    row = ApiClient.objects.get()
    original = TenantOAuth2Validator.validate_scopes

    def mark_meanwhile(self, *args, **kwargs):
        ApiClient.objects.filter(pk=row.pk).update(storefront=True)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TenantOAuth2Validator, "validate_scopes", mark_meanwhile)
    response = client.post(
        "/oauth/token",
        {"grant_type": "client_credentials", "client_id": row.application.client_id,
         "client_secret": SECRET},
    )  # fmt: skip

    assert response.status_code == 401
    assert get_access_token_model().objects.count() == 1  # the fixture's own token only


def test_a_storefront_client_takes_no_secret_and_no_scopes():
    with pytest.raises(ValidationFailed, match="no secret"):
        api_client_create(tenant=TENANT, client_id="sf", client_secret=SECRET, storefront=True)
    with pytest.raises(ValidationFailed, match="no scopes"):
        api_client_create(
            tenant=TENANT, client_id="sf", scopes=frozenset({scopes.SEGMENT_READ}), storefront=True
        )
    make_storefront_client(client_id="sf")
    with pytest.raises(ValidationFailed, match="no secret"):
        api_client_update(tenant=TENANT, client_id="sf", client_secret=SECRET)
    with pytest.raises(ValidationFailed, match="needs a secret"):
        api_client_update(tenant=TENANT, client_id="sf", storefront=False)


def test_refresh_rotates_both_tokens_and_keeps_the_session(client, storefront):
    first = login(client).json()

    response = refresh(client, first["refresh_token"])

    assert response.status_code == 200, response.content
    second = response.json()
    assert second["sessionId"] == first["sessionId"]
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert Caller(second["access_token"]).get(ITEMS).status_code == 200
    assert Caller(first["access_token"]).get(ITEMS).status_code == 401
    _fault(refresh(client, first["refresh_token"]), "oauth.v2.InvalidRefreshToken")
    assert refresh(client, second["refresh_token"]).status_code == 200
    assert AnonymousSession.objects.count() == 1
    assert get_access_token_model().objects.count() == 1


def test_an_expired_refresh_token_is_refused(client, storefront):
    body = login(client).json()
    AnonymousSession.objects.update(refresh_expires=timezone.now() - timedelta(seconds=1))

    _fault(refresh(client, body["refresh_token"]), "oauth.v2.InvalidRefreshToken")


def test_a_refresh_token_works_only_with_its_tenant_and_client(client, storefront):
    make_storefront_client(OTHER_TENANT, "globex-storefront")
    make_storefront_client(TENANT, "second-storefront")
    body = login(client).json()

    for tenant, client_id in (
        (OTHER_TENANT, STOREFRONT_CLIENT),
        (OTHER_TENANT, "globex-storefront"),
        (TENANT, "second-storefront"),
    ):
        response = refresh(client, body["refresh_token"], tenant=tenant, client_id=client_id)
        _fault(response, "oauth.v2.InvalidRefreshToken")
    _fault(refresh(client, "made-up"), "oauth.v2.InvalidRefreshToken")
    assert refresh(client, body["refresh_token"]).status_code == 200


def test_refresh_needs_its_parameters(client, storefront):
    response = client.get(
        "/customerlogin/auth/anonymous/refresh", {"tenant": TENANT, "client_id": STOREFRONT_CLIENT}
    )

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "refresh_token"


def test_an_expired_access_token_is_a_401(client, storefront):
    caller = Caller(login(client).json()["access_token"])
    assert caller.get(ITEMS).status_code == 200

    get_access_token_model().objects.update(expires=timezone.now() - timedelta(seconds=1))

    response = caller.get(ITEMS)
    assert response.status_code == 401
    assert response.json()["fault"]["detail"]["errorcode"] == "oauth.v2.InvalidAccessToken"


def test_unmarking_the_client_ends_every_session(client, storefront):
    body = login(client).json()

    api_client_update(
        tenant=TENANT, client_id=STOREFRONT_CLIENT, client_secret=SECRET, storefront=False
    )

    assert Caller(body["access_token"]).get(ITEMS).status_code == 401
    _fault(refresh(client, body["refresh_token"]), "oauth.v2.InvalidRefreshToken")
    _fault(login(client), "oauth.v2.InvalidApiKey")
    assert not AnonymousSession.objects.exists()


def test_deleting_the_client_ends_every_session(client, storefront):
    body = login(client).json()

    api_client_delete(tenant=TENANT, client_id=STOREFRONT_CLIENT)

    assert Caller(body["access_token"]).get(ITEMS).status_code == 401
    _fault(refresh(client, body["refresh_token"]), "oauth.v2.InvalidRefreshToken")
    assert not AnonymousSession.objects.exists()


def test_a_visitor_token_whose_client_lost_its_mark_is_refused(client, storefront):
    """Fail closed even if the mark changed past the services (or raced a login): the
    bearer lookup accepts a session's token only from a storefront client."""
    caller = Caller(login(client).json()["access_token"])

    ApiClient.objects.update(storefront=False)

    assert caller.get(ITEMS).status_code == 401


def test_a_client_token_of_a_storefront_client_is_refused(issue_token):
    """A client token of a client marked past the services is not honoured either."""
    caller = Caller(issue_token(granted=frozenset({scopes.SEGMENT_READ})))

    ApiClient.objects.update(storefront=True)

    assert caller.get(ITEMS).status_code == 401


def test_a_session_of_another_tenant_than_its_client_is_refused(client, storefront):
    caller = Caller(login(client).json()["access_token"])
    make_storefront_client(OTHER_TENANT, "globex-storefront")

    AnonymousSession.objects.update(tenant_id=OTHER_TENANT)

    assert caller.get(ITEMS).status_code == 401


def test_expired_sessions_are_purged_with_their_tokens(client, storefront):
    login(client)
    kept = login(client).json()
    AnonymousSession.objects.exclude(session_id=kept["sessionId"]).update(
        refresh_expires=F("created_at") - timedelta(seconds=1)
    )

    assert anonymous_sessions_purge_expired() == 1

    assert list(AnonymousSession.objects.values_list("session_id", flat=True)) == [
        uuid.UUID(kept["sessionId"])
    ]
    assert get_access_token_model().objects.count() == 1


def test_no_logger_records_the_tokens(client, storefront, caplog):
    """The refresh token travels in the query string (the vendor's GET): the service's request
    log records the path only."""
    caplog.set_level(logging.DEBUG)
    first = login(client).json()
    second = refresh(client, first["refresh_token"]).json()
    Caller(second["access_token"]).get(ITEMS)

    text = "\n".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert caplog.records
    for raw in (first["access_token"], first["refresh_token"], second["access_token"],
                second["refresh_token"]):  # fmt: skip
        assert raw not in text
