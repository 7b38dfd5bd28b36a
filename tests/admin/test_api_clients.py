"""The API client admin: scopes ticked from the known list, each with what it allows; every
write goes through the tenancy services, which revoke the tokens a change invalidates."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import get_access_token_model, get_application_model

from segments_project.tenancy import scopes
from segments_project.tenancy.hashers import GeneratedSecretSHA256Hasher
from segments_project.tenancy.models import ApiClient
from segments_project.tenancy.services import api_client_upsert
from tests.conftest import Caller

from .conftest import OTHER_TENANT, TENANT

SECRET = "a-long-enough-secret"
SEGMENTS = f"/customer-segment/{TENANT}/segments"

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_row(db) -> ApiClient:
    row, _ = api_client_upsert(
        tenant="acme",
        client_id="shop-frontend",
        client_secret=SECRET,
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
        {"client_secret": "", "allowed_scopes": [scopes.SEGMENT_MANAGE, scopes.SEGMENT_READ]},
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


def _token(client: Client, client_id: str = "shop-frontend", secret: str = SECRET) -> Any:
    return client.post(
        "/oauth/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def test_a_new_secret_set_in_the_admin_revokes_the_clients_tokens(superuser_client, client_row):
    token = _token(Client()).json()["access_token"]

    response = superuser_client.post(
        _url(client_row),
        {"client_secret": "another-long-secret", "allowed_scopes": [scopes.SEGMENT_READ]},
    )

    assert response.status_code == 302
    assert Caller(token).get(SEGMENTS).status_code == 401
    assert _token(Client()).status_code == 401
    assert _token(Client(), secret="another-long-secret").status_code == 200


def test_saving_without_a_secret_keeps_the_secret_and_the_tokens(superuser_client, client_row):
    token = _token(Client()).json()["access_token"]

    response = superuser_client.post(
        _url(client_row), {"client_secret": "", "allowed_scopes": [scopes.SEGMENT_READ]}
    )

    assert response.status_code == 302
    assert Caller(token).get(SEGMENTS).status_code == 200
    assert "another" not in get_application_model().objects.get().client_secret


def test_a_scope_removed_in_the_admin_is_gone_from_the_clients_tokens(superuser_client, client_row):
    api_client_upsert(tenant=TENANT, client_id="shop-frontend", client_secret=SECRET,
                      scopes=frozenset({scopes.SEGMENT_READ, scopes.SEGMENT_MANAGE}))  # fmt: skip
    token = _token(Client()).json()["access_token"]
    document = {"name": {"en": "Probe"}, "status": "ACTIVE", "siteCode": "main"}
    assert Caller(token).post(SEGMENTS, document).status_code == 201

    superuser_client.post(
        _url(client_row), {"client_secret": "", "allowed_scopes": [scopes.SEGMENT_READ]}
    )

    assert Caller(token).post(SEGMENTS, document).status_code == 401
    assert not get_access_token_model().objects.exists()


def test_a_client_is_added_through_the_service(make_staff, login):
    staff = login(_client_admin(make_staff))

    response = staff.post(
        reverse("admin:tenancy_apiclient_add"),
        {"tenant": TENANT, "client_id": "new-shop", "client_secret": SECRET,
         "allowed_scopes": [scopes.SEGMENT_READ]},
    )  # fmt: skip

    assert response.status_code == 302
    added = ApiClient.objects.get(application__client_id="new-shop")
    assert (added.tenant_id, added.allowed_scopes) == (TENANT, scopes.SEGMENT_READ)
    assert added.application.client_secret != SECRET  # hashed
    assert _token(Client(), "new-shop").status_code == 200


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"client_secret": "short"}, "client_secret", "at least 16 characters"),
        ({"client_secret": ""}, "client_secret", "not a storefront client needs a secret"),
        ({"client_id": "shop-frontend"}, "client_id", "is taken"),
        ({"client_id": "two words"}, "client_id", "without spaces"),
        ({"tenant": OTHER_TENANT}, "tenant", "Select a valid choice"),
    ],
    ids=["short secret", "no secret", "taken id", "bad id", "foreign tenant"],
)
def test_a_client_the_service_would_refuse_is_refused_on_its_field(
    make_staff, login, client_row, form, field, message
):
    staff = login(_client_admin(make_staff))
    values = {"tenant": TENANT, "client_id": "new-shop", "client_secret": SECRET,
              "allowed_scopes": [scopes.SEGMENT_READ], **form}  # fmt: skip

    response = staff.post(reverse("admin:tenancy_apiclient_add"), values)

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert ApiClient.objects.count() == 1


def test_deleting_a_client_in_the_admin_deletes_its_application_and_tokens(
    superuser_client, client_row
):
    token = _token(Client()).json()["access_token"]

    response = superuser_client.post(
        reverse("admin:tenancy_apiclient_delete", args=[client_row.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not get_application_model().objects.exists()
    assert Caller(token).get(SEGMENTS).status_code == 401


def _client_admin(make_staff: Any) -> Any:
    """A staff user of acme who manages its API clients."""
    user = make_staff("integrator")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="tenancy", codename__endswith="apiclient"
        )
    )
    return user


def test_a_viewer_reads_the_client_without_a_secret_row(make_staff, login, client_row):
    user = make_staff("client-viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_apiclient"))

    html = login(user).get(_url(client_row)).content.decode()

    assert "shop-frontend" in html
    assert "field-client_secret" not in html
    assert 'name="_save"' not in html


def test_a_storefront_client_is_added_without_a_secret_and_yields_visitor_tokens(
    superuser_client, client_row
):
    response = superuser_client.post(
        reverse("admin:tenancy_apiclient_add"),
        {"tenant": TENANT, "client_id": "web-shop", "storefront": "on", "client_secret": ""},
    )

    assert response.status_code == 302, response.content
    added = ApiClient.objects.get(application__client_id="web-shop")
    assert (added.storefront, added.allowed_scopes) == (True, "")
    assert _token(Client(), "web-shop").status_code == 401
    login = Client().get(
        "/customerlogin/auth/anonymous/login", {"tenant": TENANT, "client_id": "web-shop"}
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"allowed_scopes": [scopes.SEGMENT_READ]}, "allowed_scopes", "holds no scopes"),
        ({"client_secret": SECRET}, "client_secret", "has no secret"),
    ],
    ids=["scopes", "secret"],
)
def test_a_storefront_client_with_a_secret_or_scopes_is_refused(
    superuser_client, client_row, form, field, message
):
    values = {"tenant": TENANT, "client_id": "web-shop", "storefront": "on", **form}

    response = superuser_client.post(reverse("admin:tenancy_apiclient_add"), values)

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert not ApiClient.objects.filter(storefront=True).exists()


def test_unmarking_a_storefront_client_needs_a_new_secret(superuser_client):
    row, _ = api_client_upsert(tenant=TENANT, client_id="web-shop", storefront=True)

    refused = superuser_client.post(_url(row), {"client_secret": "", "allowed_scopes": []})
    unmarked = superuser_client.post(
        _url(row), {"client_secret": SECRET, "allowed_scopes": [scopes.SEGMENT_READ]}
    )

    assert refused.status_code == 200
    assert "needs a secret" in " ".join(refused.context["adminform"].form.errors["client_secret"])
    assert unmarked.status_code == 302
    row.refresh_from_db()
    assert (row.storefront, row.allowed_scopes) == (False, scopes.SEGMENT_READ)
    assert _token(Client(), "web-shop").status_code == 200


def _shown_secret(response: Any) -> str:
    shown = " ".join(str(message) for message in response.context["messages"])
    match = re.search(r"shown only now \(copy it\): (\S+)", shown)
    assert match, shown
    return match.group(1)


def test_the_admin_generates_a_secret_shows_it_once_and_stores_it_fast(
    superuser_client, client_row
):
    response = superuser_client.post(
        reverse("admin:tenancy_apiclient_add"),
        {"tenant": TENANT, "client_id": "gen-shop", "generate_secret": "on",
         "client_secret": "", "allowed_scopes": [scopes.SEGMENT_READ]},
        follow=True,
    )  # fmt: skip

    secret = _shown_secret(response)
    stored = get_application_model().objects.get(client_id="gen-shop").client_secret
    assert identify_hasher(stored).algorithm == GeneratedSecretSHA256Hasher.algorithm
    assert _token(Client(), "gen-shop", secret).status_code == 200
    assert secret not in superuser_client.get(response.redirect_chain[-1][0]).content.decode()


def test_the_admin_rotates_to_a_generated_secret(superuser_client, client_row):
    old_token = _token(Client()).json()["access_token"]

    response = superuser_client.post(
        _url(client_row),
        {"generate_secret": "on", "client_secret": "", "allowed_scopes": [scopes.SEGMENT_READ]},
        follow=True,
    )

    secret = _shown_secret(response)
    assert _token(Client(), secret=secret).status_code == 200
    assert _token(Client()).status_code == 401
    assert Caller(old_token).get(f"/customer-segment/{TENANT}/segments").status_code == 401


def test_a_typed_secret_and_a_generated_one_together_are_refused(superuser_client, client_row):
    response = superuser_client.post(
        reverse("admin:tenancy_apiclient_add"),
        {"tenant": TENANT, "client_id": "gen-shop", "generate_secret": "on",
         "client_secret": SECRET, "allowed_scopes": [scopes.SEGMENT_READ]},
    )  # fmt: skip

    assert response.status_code == 200
    assert "Either type a secret" in str(response.context["adminform"].form.errors)
    assert not ApiClient.objects.filter(application__client_id="gen-shop").exists()
