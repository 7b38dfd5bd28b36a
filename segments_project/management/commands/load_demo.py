"""`manage.py load_demo`: demo data for tenant `demo`, its credentials and a ready bearer token.

Every step is idempotent: a re-run finds what the last run made and changes nothing, so
`make run` can call it on every start. Generated secrets (the admin password, the demo
client's secret) live in a git-ignored JSON file, so every run prints the same ones.

The command sits in the top layer, so it may reach into every app, always through their
services. Each kind of data is one small step in `STEPS`: the tenant, the admin user, the
demo API client and a few segments (`segment_upsert`); demo data of another kind (products,
customers, coupons) would be one more step there.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import RequestFactory

from coupons.models import ReferralSettings
from coupons.services.referrals import referral_settings_save
from segments.services.segments import segment_upsert
from segments_project.errors import ApplicationError
from segments_project.tenancy.models import ApiClient
from segments_project.tenancy.scopes import ALL_SCOPES
from segments_project.tenancy.services import (
    api_client_upsert,
    client_secret_generate,
    tenant_get_or_create,
)
from segments_project.tenancy.views import TenantTokenView

DEMO_TENANT = "demo"
ADMIN_USERNAME = "admin"
DEMO_CLIENT_ID = "demo-client"
# A public storefront client: no secret, it yields anonymous visitor tokens only.
DEMO_STOREFRONT_CLIENT_ID = "demo-storefront"

# Fixed dates, so that a re-run does not see a change and bump the segment versions.
DEMO_SEGMENTS: list[dict[str, Any]] = [
    {
        "id": "gold",
        "name": {"en": "Gold customers", "de": "Goldkunden"},
        "description": {
            "en": "Our best customers: early access and the gold assortment.",
            "de": "Unsere besten Kunden: früher Zugang und das Gold-Sortiment.",
        },
        "validity": {"from": "2025-01-01T00:00:00.000Z", "to": "2030-12-31T23:59:59.000Z"},
        "status": "ACTIVE",
        "siteCode": "main",
    },
    {
        "id": "silver",
        "name": {"en": "Silver customers", "de": "Silberkunden"},
        "status": "ACTIVE",
        "siteCode": "main",
    },
    {
        "id": "b2b-partners",
        "name": {"en": "B2B partners", "de": "B2B-Partner"},
        "description": {"en": "Resellers buying on account."},
        "status": "INACTIVE",
        "siteCode": "main",
    },
]


@dataclass
class DemoContext:
    """What the steps share: the tenant and the credentials read from (and saved to) the file."""

    tenant: str
    credentials: dict[str, str]


# A step loads one kind of demo data and returns a short line saying what it did.
DemoStep = Callable[[DemoContext], str]


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


def load_segments(ctx: DemoContext) -> str:
    created = [
        document["id"]
        for document in DEMO_SEGMENTS
        if segment_upsert(tenant=ctx.tenant, segment_id=document["id"], document=document)[1]
    ]
    return f"segments {', '.join(d['id'] for d in DEMO_SEGMENTS)}: {len(created)} created"


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


STEPS: list[DemoStep] = [
    load_tenant,
    load_admin,
    load_api_client,
    load_storefront_client,
    load_segments,
    load_referral_settings,
]


def read_credentials(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        stored = json.loads(path.read_text())
    except ValueError as exc:
        raise CommandError(f"{path} is not valid JSON; delete it to start afresh.") from exc
    if not isinstance(stored, dict):
        raise CommandError(f"{path} is not a JSON object; delete it to start afresh.")
    return {key: value for key, value in stored.items() if isinstance(value, str)}


def write_credentials(path: Path, credentials: dict[str, str]) -> None:
    """Writes the file readable by its owner only, replacing it in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(credentials, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(temporary, path)


def issue_token(client_id: str, client_secret: str) -> dict[str, Any]:
    """A client-credentials token from the real token endpoint, as an HTTP client would get it."""
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
    }
    request = RequestFactory().post(
        "/oauth/token", data=urlencode(form), content_type="application/x-www-form-urlencoded"
    )
    response = TenantTokenView.as_view()(request)
    if response.status_code != 200:
        raise CommandError(
            f"The token endpoint refused the demo client ({response.status_code}): "
            f"{response.content.decode(errors='replace')}"
        )
    return json.loads(response.content)


def default_credentials_file() -> Path:
    return Path(
        getattr(settings, "DEMO_CREDENTIALS_FILE", None) or settings.BASE_DIR / ".demo-credentials"
    )


class Command(BaseCommand):
    help = (
        "Load idempotent demo data for tenant 'demo' (admin user, an API client with every "
        "scope, segments) and print the URLs, the admin login and a ready bearer token."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Host in the printed URLs.")
        parser.add_argument("--port", default="8000", help="Port in the printed URLs.")
        parser.add_argument(
            "--credentials-file",
            default=None,
            help="JSON file keeping the generated admin password and client secret "
            "(default: settings.DEMO_CREDENTIALS_FILE or BASE_DIR/.demo-credentials).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["credentials_file"] or default_credentials_file())
        ctx = DemoContext(tenant=DEMO_TENANT, credentials=read_credentials(path))
        self.stdout.write(f"Loading demo data for tenant '{ctx.tenant}':")
        try:
            with transaction.atomic():
                for step in STEPS:
                    self.stdout.write(f"  {step(ctx)}")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        write_credentials(path, ctx.credentials)
        token = issue_token(ctx.credentials["client_id"], ctx.credentials["client_secret"])
        self._print_summary(ctx, token, base_url=f"http://{options['host']}:{options['port']}")
        self.stdout.write(f"Credentials are kept in {path} (delete it to generate new ones).")

    def _print_summary(self, ctx: DemoContext, token: dict[str, Any], *, base_url: str) -> None:
        access_token = token["access_token"]
        username, password = ctx.credentials["admin_username"], ctx.credentials["admin_password"]
        client_id, secret = ctx.credentials["client_id"], ctx.credentials["client_secret"]
        write = self.stdout.write
        write(self.style.SUCCESS(f"Demo data for tenant '{ctx.tenant}' is ready."))
        write(f"API docs:      {base_url}/api/docs/")
        write(f"Admin:         {base_url}/admin/")
        write(f"Admin login:   {username} / {password}")
        write(f"API client:    {client_id} / {secret}")
        write(f"Bearer token:  {access_token}")
        write(f"               (every scope, valid for {token.get('expires_in', '?')} seconds)")
        write("Try it:")
        write(
            f'  curl -H "Authorization: Bearer {access_token}" '
            f"{base_url}/customer-segment/{ctx.tenant}/segments"
        )
        write("An anonymous storefront token (no secret: a visitor reads published data only):")
        write(
            f"  curl '{base_url}/customerlogin/auth/anonymous/login"
            f"?tenant={ctx.tenant}&client_id={DEMO_STOREFRONT_CLIENT_ID}'"
        )
        write("A new token:")
        write(
            f"  curl -d grant_type=client_credentials -d client_id={client_id} "
            f"-d client_secret={secret} {base_url}/oauth/token"
        )
