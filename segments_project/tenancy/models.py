"""Tenants, the API clients that act in them, and customer-bound tokens."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from oauth2_provider.settings import oauth2_settings

from .scopes import parse_scopes

TENANT_NAME_PATTERN = r"^[a-z][a-z0-9]{2,15}$"
tenant_name_validator = RegexValidator(
    TENANT_NAME_PATTERN,
    "A tenant name is 3 to 16 lowercase letters and digits, starting with a letter.",
)


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"{value!r} is not a time zone; give an IANA name such as Europe/Berlin."
        ) from exc


class Tenant(models.Model):
    """One shop. Its name is the `{tenant}` segment of every API path."""

    name = models.CharField(primary_key=True, max_length=16, validators=[tenant_name_validator])
    # The admin shows the tenant's moments in it (`time_zones.AdminTimeZoneMiddleware`);
    # the API always speaks UTC.
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="The admin shows times in this zone, e.g. Europe/Berlin.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StorefrontVersion(models.Model):
    """The version of one thing storefront answers depend on (`tenancy/versions.py`), when
    the cache is not shared by the processes; a key never changed has no row."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    value = models.BigIntegerField()
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant", "key"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="storefront_version_key")
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}:{self.key}={self.value}"


class ApiClient(models.Model):
    """An OAuth2 client of one tenant, with the scopes it may be granted."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_clients")
    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="api_client"
    )
    allowed_scopes = models.TextField(
        blank=True, help_text="Space-separated scopes this client may be granted."
    )
    # A public client: its id is published in storefront code, it has no usable secret and
    # it only ever yields anonymous visitor tokens (docs/security.md, "Anonymous tokens").
    storefront = models.BooleanField(
        default=False,
        help_text="A public storefront client: yields only anonymous visitor tokens, "
        "never client tokens, and has no secret or scopes.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant", "id"]
        verbose_name = "API client"

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.application.client_id}"

    @property
    def scopes(self) -> frozenset[str]:
        return parse_scopes(self.allowed_scopes)


class CustomerTokenBinding(models.Model):
    """Binds an access token to the customer (and legal entity) it acts for."""

    access_token = models.OneToOneField(
        oauth2_settings.ACCESS_TOKEN_MODEL,
        on_delete=models.CASCADE,
        related_name="customer_binding",
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    customer_id = models.CharField(max_length=128)
    legal_entity_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["tenant", "customer_id"])]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.customer_id}"


class AnonymousSession(models.Model):
    """One storefront visitor's anonymous session: its tenant and storefront client, the
    access token it currently holds and the refresh token that continues it.

    Only SHA-256 checksums of the refresh token are stored, as django-oauth-toolkit stores
    access tokens. A refresh replaces both tokens and keeps `session_id`; the access token
    is django-oauth-toolkit's, so the bearer lookup finds it like any other.
    """

    session_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    api_client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="anonymous_sessions"
    )
    access_token = models.OneToOneField(
        oauth2_settings.ACCESS_TOKEN_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="anonymous_session",
    )
    refresh_token_checksum = models.CharField(max_length=64, unique=True)
    refresh_expires = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    refreshed_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["refresh_expires"], name="anonymous_session_expiry")]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.session_id}"


class TenantMembership(models.Model):
    """Grants a staff user the admin console of one tenant.

    A staff user sees and edits only the rows of the tenants granted to them; superusers
    see every tenant without grants (see `tenancy.admin_scoping`).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tenant_memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant", "user"]
        verbose_name = "tenant grant"
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="tenant_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant_id}"
