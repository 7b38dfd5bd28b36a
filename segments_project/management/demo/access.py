"""Who may use the demo: the tenant, the admin user, the API clients, referral settings."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password

from coupons.models import ReferralSettings
from coupons.services.referrals import referral_settings_save
from segments_project.tenancy.models import ApiClient
from segments_project.tenancy.scopes import ALL_SCOPES
from segments_project.tenancy.services import (
    api_client_upsert,
    client_secret_generate,
    tenant_get_or_create,
)

from .context import DemoContext

ADMIN_USERNAME = "admin"
DEMO_CLIENT_ID = "demo-client"
# A public storefront client: no secret, it yields anonymous visitor tokens only.
DEMO_STOREFRONT_CLIENT_ID = "demo-storefront"


def load_tenant(ctx: DemoContext) -> str:
    tenant_get_or_create(name=ctx.tenant)
    return f"tenant {ctx.tenant}"


def load_admin(ctx: DemoContext) -> str:
    """A superuser whose password is the one in the credentials file (generated if absent)."""
    password = ctx.credentials.setdefault("admin_password", secrets.token_urlsafe(18))
    ctx.credentials["admin_username"] = ADMIN_USERNAME
    user_model = get_user_model()
    user = user_model.objects.filter(username=ADMIN_USERNAME).first()
    if user is None:
        user_model.objects.create_superuser(username=ADMIN_USERNAME, email="", password=password)
        return f"admin user {ADMIN_USERNAME}: created"
    changed = False
    if not (user.is_active and user.is_staff and user.is_superuser):
        user.is_active = user.is_staff = user.is_superuser = True
        changed = True
    if not user.check_password(password):
        user.set_password(password)
        changed = True
    if changed:
        user.save()
        return f"admin user {ADMIN_USERNAME}: password and rights reset"
    return f"admin user {ADMIN_USERNAME}: up to date"


def _client_is_current(tenant: str, client_id: str, secret: str) -> bool:
    client = (
        ApiClient.objects.select_related("application")
        .filter(application__client_id=client_id)
        .first()
    )
    return (
        client is not None
        and client.tenant_id == tenant
        and client.scopes == ALL_SCOPES
        and check_password(secret, client.application.client_secret)
    )


def load_api_client(ctx: DemoContext) -> str:
    """The demo client with every scope; left alone when current, since an upsert revokes
    tokens. Otherwise it gets a newly generated secret (one that stays fast to check, where a
    secret read back from the file would be stored as a chosen one)."""
    ctx.credentials["client_id"] = DEMO_CLIENT_ID
    current = ctx.credentials.get("client_secret")
    if current and _client_is_current(ctx.tenant, DEMO_CLIENT_ID, current):
        return f"API client {DEMO_CLIENT_ID}: up to date"
    secret = ctx.credentials["client_secret"] = client_secret_generate()
    _, created = api_client_upsert(
        tenant=ctx.tenant, client_id=DEMO_CLIENT_ID, client_secret=secret, scopes=ALL_SCOPES
    )
    return f"API client {DEMO_CLIENT_ID}: {'created' if created else 'secret and scopes reset'}"


def load_storefront_client(ctx: DemoContext) -> str:
    """The demo storefront client, for anonymous tokens; left alone when it is one already."""
    current = ApiClient.objects.filter(application__client_id=DEMO_STOREFRONT_CLIENT_ID).first()
    if current is not None and current.tenant_id == ctx.tenant and current.storefront:
        return f"storefront client {DEMO_STOREFRONT_CLIENT_ID}: up to date"
    _, created = api_client_upsert(
        tenant=ctx.tenant, client_id=DEMO_STOREFRONT_CLIENT_ID, storefront=True
    )
    return f"storefront client {DEMO_STOREFRONT_CLIENT_ID}: {'created' if created else 'reset'}"


def load_referral_settings(ctx: DemoContext) -> str:
    """Referral coupons of 10 EUR off, so that `POST /coupon/demo/referral-coupons/{id}`
    answers; left alone once they exist (a merchandiser may have changed them)."""
    if ReferralSettings.objects.filter(tenant_id=ctx.tenant).exists():
        return "referral settings: kept"
    referral_settings_save(
        tenant=ctx.tenant,
        values={"discount_amount": Decimal("10.00"), "discount_currency": "EUR"},
    )
    return "referral settings: 10 EUR off, one redemption per customer"
