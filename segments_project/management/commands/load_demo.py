"""`manage.py load_demo`: a small but complete demo shop in tenant `demo`, its credentials,
a ready bearer token, and a demo customer's token with three storefront curls.

Every step is idempotent: a re-run finds what the last run made and changes nothing (no new
versions, audit entries or change events), so `make run` can call it on every start.
Generated secrets (the admin password, the demo client's secret) live in a git-ignored JSON
file, so every run prints the same ones.

The command sits in the top layer, so it may reach into every app, always through their
services. The data and the steps that load it are in `segments_project/management/demo/`,
one module per kind; `STEPS` runs them in order (the catalog before the segments that
hold its items, customers before the members, segments before the coupons that name them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import RequestFactory

from segments_project.errors import ApplicationError
from segments_project.tenancy.views import TenantTokenView

from ..demo import access, catalog, coupons, customers, segments
from ..demo.banner import storefront_curls, token_customer_name
from ..demo.context import DEMO_TENANT, DemoContext, DemoStep
from ..demo.customers import TOKEN_CUSTOMER_ID

STEPS: list[DemoStep] = [
    access.load_tenant,
    access.load_admin,
    access.load_api_client,
    access.load_storefront_client,
    catalog.load_categories,
    catalog.load_products,
    catalog.load_product_categories,
    customers.load_legal_entities,
    customers.load_customers,
    segments.load_segments,
    segments.load_members,
    segments.load_items,
    segments.evaluate_rules,
    coupons.load_coupons,
    coupons.load_redemption,
    access.load_referral_settings,
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


def issue_token(client_id: str, client_secret: str, **extra: str) -> dict[str, Any]:
    """A client-credentials token from the real token endpoint, as an HTTP client would get
    it; `customer_id=` makes it a customer token."""
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        **extra,
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
        "Load an idempotent demo shop into tenant 'demo' (admin user, API clients, catalog, "
        "customers, segments with members and items, coupons) and print the URLs, the admin "
        "login, a ready bearer token, and a demo customer's token with three storefront curls."
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
        client_id, secret = ctx.credentials["client_id"], ctx.credentials["client_secret"]
        token = issue_token(client_id, secret)
        customer_token = issue_token(client_id, secret, customer_id=TOKEN_CUSTOMER_ID)
        base_url = f"http://{options['host']}:{options['port']}"
        self._print_summary(ctx, token, base_url=base_url)
        self._print_storefront(ctx, customer_token, base_url=base_url)
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
            f"?tenant={ctx.tenant}&client_id={access.DEMO_STOREFRONT_CLIENT_ID}'"
        )
        write("A new token:")
        write(
            f"  curl -d grant_type=client_credentials -d client_id={client_id} "
            f"-d client_secret={secret} {base_url}/oauth/token"
        )

    def _print_storefront(self, ctx: DemoContext, token: dict[str, Any], *, base_url: str) -> None:
        """The customer token and the curls of the storefront reads (what README walks through)."""
        access_token = token["access_token"]
        client_id, secret = ctx.credentials["client_id"], ctx.credentials["client_secret"]
        write = self.stdout.write
        write(
            f"A logged-in customer: {TOKEN_CUSTOMER_ID} ({token_customer_name()}), a MANUAL "
            "member of gold and, by its rule, an AUTOMATIC member of germany."
        )
        write(f"Customer token: {access_token}")
        write(f"               (valid for {token.get('expires_in', '?')} seconds)")
        write("A new customer token:")
        write(
            f"  curl -d grant_type=client_credentials -d client_id={client_id} "
            f"-d client_secret={secret} -d customer_id={TOKEN_CUSTOMER_ID} {base_url}/oauth/token"
        )
        for label, command in storefront_curls(
            base_url=base_url, tenant=ctx.tenant, token=access_token
        ):
            write(label)
            write(f"  {command}")
