"""The admin's tenant boundary, walked over the admin's registry: every registered admin,
the project's and third-party ones, is tenant-scoped or superuser-only (issue 14, item 1).

Each tenant-scoped admin is probed: a staff user granted tenant acme, holding every model
permission there is, asks for a row of tenant globex by every admin URL (list, search,
change, delete, history, autocomplete, the delete action) and gets neither the row nor a
way to change it. A newly registered admin fails here until it is scoped and has a probe
row in FOREIGN_ROWS (or SUPERUSER_ROWS).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group, Permission, User
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from coupons.models import Redemption
from coupons.services import coupon_create, referral_settings_save
from segments_project.audit.actor import ActorKind
from segments_project.audit.models import AuditAction, AuditEvent, DocumentType
from segments_project.tenancy import scopes
from segments_project.tenancy.admin_scoping import admin_boundary
from segments_project.tenancy.models import Tenant
from segments_project.tenancy.services import api_client_create
from tests.catalog.factories import make_category, make_product
from tests.segments.factories import make_customer, make_legal_entity, make_segment
from webhooks.services import subscription_create, subscription_test_send

from .conftest import OTHER_TENANT, TENANT

pytestmark = pytest.mark.django_db

REGISTRY = sorted(admin.site._registry.items(), key=lambda entry: entry[0]._meta.label_lower)


def _label(model: type[Model]) -> str:
    return model._meta.label_lower


def _coupon() -> Model:
    document = {"code": "ZZ9CPN", "name": "zz9", "discountType": "PERCENT",
                "discountPercentage": 10}  # fmt: skip
    return coupon_create(tenant=OTHER_TENANT, document=document)


def _redemption() -> Model:
    now = timezone.now()
    return Redemption.objects.create(
        tenant_id=OTHER_TENANT, public_id="zz9red", coupon=_coupon(), order_code="zz9order",
        order_total_amount=Decimal(10), order_total_currency="EUR", discount_amount=Decimal(1),
        discount_currency="EUR", created_at=now, modified_at=now,
    )  # fmt: skip


def _referral_settings() -> Model:
    values = {"discount_amount": Decimal(5), "discount_currency": "EUR", "code_prefix": "ZZ9REF-"}
    return referral_settings_save(tenant=OTHER_TENANT, values=values)


def _audit_event() -> Model:
    return AuditEvent.objects.create(
        tenant_id=OTHER_TENANT, actor_kind=ActorKind.SYSTEM, action=AuditAction.CREATED,
        document_type=DocumentType.SEGMENT, document_id="zz9doc",
    )  # fmt: skip


def _subscription() -> Model:
    document = {"id": "zz9hook", "url": "https://zz9.example.com/", "eventTypes": ["*"]}
    return subscription_create(tenant=OTHER_TENANT, document=document)[0]


def _delivery() -> Model:
    subscription = _subscription()
    return subscription_test_send(tenant=OTHER_TENANT, subscription_id=subscription.public_id)


def _api_client() -> Model:
    return api_client_create(
        tenant=OTHER_TENANT,
        client_id="zz9client",
        client_secret="globex-secret-value",
        scopes=scopes.ALL_SCOPES,
    )


# A row of tenant globex for every tenant-scoped admin, and the text that would betray it.
FOREIGN_ROWS: dict[str, tuple[Callable[[], Model], str]] = {
    "tenancy.tenant": (lambda: Tenant.objects.get(name=OTHER_TENANT), OTHER_TENANT),
    "tenancy.apiclient": (_api_client, "zz9client"),
    "segments.segment": (lambda: make_segment(OTHER_TENANT, "zz9seg"), "zz9seg"),
    "segments.customer": (lambda: make_customer(OTHER_TENANT, "zz9cust"), "zz9cust"),
    "segments.legalentity": (lambda: make_legal_entity(OTHER_TENANT, "zz9le"), "zz9le"),
    "catalog.product": (lambda: make_product(OTHER_TENANT, "zz9prod"), "zz9prod"),
    "catalog.category": (lambda: make_category(OTHER_TENANT, "zz9cat"), "zz9cat"),
    "coupons.coupon": (_coupon, "ZZ9CPN"),
    "coupons.redemption": (_redemption, "zz9red"),
    "coupons.referralsettings": (_referral_settings, "ZZ9REF-"),
    "audit.auditevent": (_audit_event, "zz9doc"),
    "webhooks.subscription": (_subscription, "zz9hook"),
    "webhooks.delivery": (_delivery, "zz9hook"),
}


def _job() -> Model:
    from django_tasks_db.models import DBTaskResult

    from segments_project.tenancy.tasks import anonymous_sessions_purge

    return DBTaskResult.objects.get(pk=anonymous_sessions_purge.enqueue().id)


# A row for every superuser-only admin.
SUPERUSER_ROWS: dict[str, Callable[[], Model]] = {
    "auth.user": lambda: User.objects.create_superuser("zz9root", "zz9@example.com", "pw"),
    "auth.group": lambda: Group.objects.create(name="zz9group"),
    "django_tasks_database.dbtaskresult": lambda: _job(),
}

SCOPED = [(model, model_admin) for model, model_admin in REGISTRY
          if admin_boundary(model_admin) == "tenant"]  # fmt: skip
SUPERUSER_ONLY = [(model, model_admin) for model, model_admin in REGISTRY
                  if admin_boundary(model_admin) == "superuser"]  # fmt: skip


@pytest.fixture
def acme_staff(make_staff, login) -> Client:
    """A staff user granted only acme, with every model permission of the project."""
    Tenant.objects.get_or_create(name=OTHER_TENANT)
    user = make_staff("acme-all")
    user.user_permissions.set(Permission.objects.all())
    return login(user)


def _url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _snapshot(row: Model) -> dict[str, Any]:
    return type(row)._default_manager.filter(pk=row.pk).values().get()


def _source_fields(model: type[Model]) -> list[tuple[str, str, str]]:
    """(app label, model name, field name) of every relation to the model: what an
    autocomplete request names to search the model."""
    return [
        (source._meta.app_label, source._meta.model_name, field.name)
        for source in apps.get_models()
        for field in source._meta.get_fields()
        if field.concrete and field.is_relation and field.related_model is model
    ]


def _autocomplete_ids(client: Client, url: str, source: tuple[str, str, str]) -> set[str] | None:
    """The ids an autocomplete answers (None when it refuses)."""
    app_label, model_name, field_name = source
    params = {"app_label": app_label, "model_name": model_name, "field_name": field_name,
              "tenant": OTHER_TENANT}  # fmt: skip
    response = client.get(url, params)
    if response.status_code in (403, 404):
        return None
    assert response.status_code == 200
    return {result["id"] for result in response.json()["results"]}


# --- the registry --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model_admin", [pytest.param(model_admin, id=_label(model)) for model, model_admin in REGISTRY]
)
def test_every_registered_admin_is_tenant_scoped_or_superuser_only(model_admin):
    assert admin_boundary(model_admin) is not None, (
        f"{type(model_admin).__name__} must mix in TenantScopedAdminMixin or "
        "SuperuserOnlyAdminMixin (segments_project/tenancy/admin_scoping.py)"
    )


def test_every_admin_has_a_probe_row():
    assert {_label(model) for model, _ in SCOPED} == set(FOREIGN_ROWS)
    assert {_label(model) for model, _ in SUPERUSER_ONLY} == set(SUPERUSER_ROWS)


def test_the_oauth_toolkits_own_admins_are_not_registered(superuser_client):
    oauth_models = [get_application_model(), get_access_token_model(), get_refresh_token_model(),
                    get_grant_model(), get_id_token_model()]  # fmt: skip

    assert [model for model in oauth_models if admin.site.is_registered(model)] == []
    assert superuser_client.get("/admin/oauth2_provider/application/").status_code == 404


def test_staff_of_one_tenant_cannot_take_over_another_tenants_client(acme_staff):
    application = _api_client().application
    secret = application.client_secret
    base = "/admin/oauth2_provider"

    listed = [acme_staff.get(f"{base}/{name}/") for name in ("application", "accesstoken")]
    changed = acme_staff.post(
        f"{base}/application/{application.pk}/change/",
        {"client_id": "zz9client", "client_secret": "taken-over-secret-value",
         "client_type": "confidential", "authorization_grant_type": "client-credentials",
         "name": "x", "algorithm": ""},
    )  # fmt: skip
    token = Client().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "client_id": "zz9client",
         "client_secret": "taken-over-secret-value"},
    )  # fmt: skip

    assert [response.status_code for response in (*listed, changed)] == [404, 404, 404]
    application.refresh_from_db()
    assert application.client_secret == secret
    assert token.status_code == 401


# --- the probes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", [pytest.param(model, id=_label(model)) for model, _ in SCOPED]
)  # fmt: skip
def test_staff_of_one_tenant_reach_no_row_of_another_by_any_admin_url(
    model, acme_staff, superuser_client
):
    build, marker = FOREIGN_ROWS[_label(model)]
    row = build()
    before = _snapshot(row)
    pk = quote(row.pk)
    changelist = _url(model, "changelist")

    # The superuser sees the row at these URLs: the probe asks for something that is there.
    assert row.pk in {r.pk for r in superuser_client.get(changelist).context["cl"].result_list}
    assert superuser_client.get(_url(model, "change", pk)).status_code == 200

    listed = acme_staff.get(changelist)
    searched = acme_staff.get(changelist, {"q": marker})
    assert listed.status_code == searched.status_code == 200
    for page in (listed, searched):
        assert row.pk not in {r.pk for r in page.context["cl"].result_list}
    assert marker not in listed.content.decode()  # the search page shows the search term
    for view in ("change", "delete", "history"):
        for response in (acme_staff.get(_url(model, view, pk)),
                         acme_staff.post(_url(model, view, pk), {"post": "yes"})):  # fmt: skip
            assert response.status_code in (302, 403, 404), (view, response.status_code)
            if response.status_code == 302:
                assert response["Location"] == reverse("admin:index"), view
            assert marker not in response.content.decode()
    acme_staff.post(changelist, {"action": "delete_selected", "_selected_action": [row.pk],
                                 "post": "yes"})  # fmt: skip
    for url in (reverse("admin:autocomplete"), _url(model, "scoped_autocomplete")):
        for source in _source_fields(model):
            found = _autocomplete_ids(acme_staff, url, source)
            assert found is None or str(row.pk) not in found, (url, source)
    assert _snapshot(row) == before


@pytest.mark.parametrize(
    "model", [pytest.param(model, id=_label(model)) for model, _ in SUPERUSER_ONLY]
)  # fmt: skip
def test_superuser_only_admins_refuse_staff_holding_every_permission(model, acme_staff):
    row = SUPERUSER_ROWS[_label(model)]()
    before = _snapshot(row)
    pk = quote(row.pk)

    responses = [
        acme_staff.get(_url(model, "changelist")),
        acme_staff.get(_url(model, "add")),
        acme_staff.get(_url(model, "change", pk)),
        acme_staff.post(_url(model, "change", pk), {"is_superuser": "on"}),
        acme_staff.post(_url(model, "delete", pk), {"post": "yes"}),
        acme_staff.get(_url(model, "history", pk)),
    ]

    assert [response.status_code for response in responses] == [403] * len(responses)
    for source in _source_fields(model):
        assert _autocomplete_ids(acme_staff, reverse("admin:autocomplete"), source) is None
    assert _snapshot(row) == before
    assert model._meta.verbose_name_plural.title() not in acme_staff.get("/admin/").content.decode()


# --- what a refused page looks like --------------------------------------------------------


def test_a_refused_admin_page_is_the_admins_html_without_a_logged_warning(acme_staff, shop, caplog):
    with caplog.at_level(logging.INFO):
        forbidden = acme_staff.get(reverse("admin:auth_user_changelist"))
        missing = acme_staff.get(
            reverse("admin:segments_segment_members", args=[shop["foreign"].pk])
        )

    for response, title in ((forbidden, "Access denied"), (missing, "Page not found")):
        assert response["Content-Type"].startswith("text/html")
        html = response.content.decode()
        assert f"<h2>{title}</h2>" in html
        assert 'id="site-name"' in html  # the admin's own frame
    assert (forbidden.status_code, missing.status_code) == (403, 404)
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_api_paths_still_answer_json_errors(client):
    response = client.get(f"/customer-segment/{TENANT}/no-such-route")

    assert response.status_code == 404
    assert response.json()["code"] == 404


def test_a_staff_user_without_permissions_gets_the_admins_error_pages(login, shop):
    user = User.objects.create_user("nobody", is_staff=True)
    client = login(user)
    gold = shop["gold"]
    urls = [reverse("admin:segments_segment_changelist"), reverse("admin:coupons_coupon_add"),
            reverse("admin:segments_segment_members", args=[gold.pk]),
            reverse("admin:segments_segment_items", args=[gold.pk])]  # fmt: skip

    for url in urls:
        response = client.get(url)
        assert response.status_code in (403, 404), url  # 404: no segment of theirs
        assert response["Content-Type"].startswith("text/html"), url
        assert 'id="site-name"' in response.content.decode(), url


def test_an_admin_form_with_a_stale_csrf_token_gets_the_admins_403_page(acme_staff, shop):
    client = Client(enforce_csrf_checks=True)
    client.cookies = acme_staff.cookies

    response = client.post(reverse("admin:segments_segment_change", args=[shop["gold"].pk]), {})

    assert response.status_code == 403
    html = response.content.decode()
    assert 'id="site-name"' in html
    assert "reload the page and send it again" in html


def test_an_admin_request_it_cannot_read_gets_the_admins_400_page(acme_staff, shop, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    url = reverse("admin:segments_segment_change", args=[shop["gold"].pk])

    response = acme_staff.post(url, {f"field{index}": "x" for index in range(10)})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "<h2>Bad request</h2>" in response.content.decode()


def test_the_favicon_is_there(client):
    response = client.get("/favicon.ico")
    page = client.get(reverse("admin:login")).content.decode()

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content.startswith(b"\x00\x00\x01\x00")  # an ICO
    assert '<link rel="icon" href="/static/favicon.ico">' in page
