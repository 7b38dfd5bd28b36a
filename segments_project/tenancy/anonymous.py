"""Anonymous storefront tokens: issued to a storefront client's visitors, refreshed by
rotation.

A storefront (public) client's id is published in storefront code, so it is not a secret:
whoever holds it may obtain visitor tokens, and a visitor token may do only what any
visitor of the shop may (docs/security.md, "Anonymous tokens"). What makes such a token a
visitor's is its `AnonymousSession`; the bearer lookup (`authentication.py`) gives it the
visitor's scopes only, and only while its client is still a storefront client.

Tokens are random (256 bits) and stored as SHA-256 checksums only: the access token by
django-oauth-toolkit (`set_token_value`), the refresh token in the session row.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AbstractAccessToken, get_access_token_model, set_token_value

from segments_project.errors import ApplicationError

from .models import AnonymousSession, ApiClient


class AnonymousTokenRefused(ApplicationError):
    """The credentials of an anonymous login or refresh are not valid: a 401 in the vendor's
    `fault` shape, with `errorcode`."""

    status_code = 401
    errorcode = "oauth.v2.InvalidApiKey"


class InvalidRefreshToken(AnonymousTokenRefused):
    errorcode = "oauth.v2.InvalidRefreshToken"


@dataclass(frozen=True)
class AnonymousToken:
    """What a login or refresh hands out (the raw tokens exist only here)."""

    tenant: str
    session_id: str
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


_NOT_A_STOREFRONT_CLIENT = (
    "The client_id is not a storefront client of tenant {tenant}: anonymous tokens are issued "
    "only to clients marked as storefront clients."
)


def _checksum(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _lifetimes() -> tuple[int, int]:
    return settings.ANONYMOUS_TOKEN_EXPIRE_SECONDS, settings.ANONYMOUS_REFRESH_EXPIRE_SECONDS


def _storefront_client_locked(
    *, tenant: str, client_id: str, refusal: type[Exception]
) -> ApiClient:
    """The tenant's storefront client with this id, locked (FOR NO KEY UPDATE) until the
    transaction ends; `refusal` for a missing client, one of another tenant and a
    confidential one alike, so the answer says nothing about which.

    The lock is the one `services.api_client_update` and `api_client_delete` take (FOR
    UPDATE, which waits for it): an unmarking or a deletion either commits first (and the
    client is no storefront client here) or waits until this token is stored (and revokes
    it). Logins and refreshes of one client take turns, for the few milliseconds of their
    inserts; their rate is capped per client anyway."""
    client = (
        ApiClient.objects.select_for_update(no_key=True, of=("self",))
        .select_related("application")
        .filter(tenant_id=tenant, application__client_id=client_id, storefront=True)
        .first()
    )
    if client is None:
        raise refusal(_NOT_A_STOREFRONT_CLIENT.format(tenant=tenant))
    return client


def _new_access_token(
    client: ApiClient, tenant: str, now: datetime, lifetime: int
) -> tuple[AbstractAccessToken, str]:
    """A stored access token of the client and its raw value (which is not stored)."""
    raw = secrets.token_urlsafe(32)
    token = get_access_token_model()(
        application=client.application,
        expires=now + timedelta(seconds=lifetime),
        # What the vendor answers as the scope; the bearer lookup gives a visitor's token
        # the visitor's scopes whatever this column says.
        scope=f"tenant={tenant}",
    )
    set_token_value(token, raw)
    token.save()
    return token, raw


@transaction.atomic
def anonymous_login(*, tenant: str, client_id: str) -> AnonymousToken:
    """A new anonymous session of the tenant's storefront client, with its access and
    refresh tokens; AnonymousTokenRefused unless `client_id` is such a client."""
    client = _storefront_client_locked(
        tenant=tenant, client_id=client_id, refusal=AnonymousTokenRefused
    )
    lifetime, refresh_lifetime = _lifetimes()
    now = timezone.now()
    access, raw_access = _new_access_token(client, tenant, now, lifetime)
    raw_refresh = secrets.token_urlsafe(32)
    session = AnonymousSession.objects.create(
        tenant_id=tenant,
        api_client=client,
        access_token=access,
        refresh_token_checksum=_checksum(raw_refresh),
        refresh_expires=now + timedelta(seconds=refresh_lifetime),
    )
    return AnonymousToken(
        tenant=tenant,
        session_id=str(session.session_id),
        access_token=raw_access,
        expires_in=lifetime,
        refresh_token=raw_refresh,
        refresh_expires_in=refresh_lifetime,
    )


@transaction.atomic
def anonymous_refresh(*, tenant: str, client_id: str, refresh_token: str) -> AnonymousToken:
    """New access and refresh tokens for the session of `refresh_token`, which stops working
    (rotation), as does the session's previous access token. InvalidRefreshToken when the
    refresh token is unknown, used already, expired, of another tenant or client, or its
    client is no longer a storefront client.

    The client, then the session row are locked (the order of a client's deletion): of two
    refreshes with one token, the second finds it rotated.
    """
    client = _storefront_client_locked(
        tenant=tenant, client_id=client_id, refusal=InvalidRefreshToken
    )
    now = timezone.now()
    session = (
        AnonymousSession.objects.select_for_update()
        .filter(
            refresh_token_checksum=_checksum(refresh_token),
            refresh_expires__gt=now,
            tenant_id=tenant,
            api_client=client,
        )
        .first()
    )
    if session is None:
        raise InvalidRefreshToken(
            "The refresh token is not valid: unknown, already used, expired, or not of this "
            "tenant and client. Log in anew."
        )
    lifetime, refresh_lifetime = _lifetimes()
    previous = session.access_token_id
    access, raw_access = _new_access_token(client, tenant, now, lifetime)
    raw_refresh = secrets.token_urlsafe(32)
    session.access_token = access
    session.refresh_token_checksum = _checksum(raw_refresh)
    session.refresh_expires = now + timedelta(seconds=refresh_lifetime)
    session.refreshed_at = now
    session.save(
        update_fields=["access_token", "refresh_token_checksum", "refresh_expires", "refreshed_at"]
    )
    if previous is not None:
        get_access_token_model().objects.filter(pk=previous).delete()
    return AnonymousToken(
        tenant=tenant,
        session_id=str(session.session_id),
        access_token=raw_access,
        expires_in=lifetime,
        refresh_token=raw_refresh,
        refresh_expires_in=refresh_lifetime,
    )


def anonymous_sessions_revoke(*, api_client: ApiClient) -> int:
    """Ends every anonymous session of the client and deletes their access tokens; returns
    how many sessions there were. The caller holds the client's row lock."""
    sessions = AnonymousSession.objects.filter(api_client=api_client)
    get_access_token_model().objects.filter(
        pk__in=sessions.exclude(access_token=None).values("access_token_id")
    ).delete()
    deleted, _ = sessions.delete()
    return deleted


def anonymous_sessions_purge_expired(*, now: datetime | None = None) -> int:
    """Deletes the sessions whose refresh token has expired, with their access tokens;
    returns how many. Such a session can no longer be used: this only frees the rows."""
    expired = AnonymousSession.objects.filter(refresh_expires__lte=now or timezone.now())
    with transaction.atomic():
        get_access_token_model().objects.filter(
            pk__in=expired.exclude(access_token=None).values("access_token_id")
        ).delete()
        deleted, _ = expired.delete()
    return deleted
