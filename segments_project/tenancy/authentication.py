"""Bearer-token authentication for the API: one indexed lookup per token, then its
verified caller is remembered until it lapses or is revoked (`token_cache`)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from django.db import connections, router
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from oauth2_provider.models import get_access_token_model
from rest_framework import HTTP_HEADER_ENCODING
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from . import token_cache
from .principal import Principal
from .scopes import VISITOR_SCOPES, parse_scopes

# What a Principal is built from. The joins are outer: a token without an application,
# an application without an API client (revoked), a token without a customer binding or
# without an anonymous session still comes back, with NULLs, and is judged in Python.
_PRINCIPAL_COLUMNS = (
    "pk",
    "scope",
    "application__client_id",
    "application__api_client__tenant_id",
    "customer_binding__customer_id",
    "customer_binding__legal_entity_id",
    "application__api_client__storefront",
    "anonymous_session__session_id",
    "anonymous_session__tenant_id",
    "expires",
)
_CHECKSUM_PLACEHOLDER = "checksum-placeholder"
_EXPIRY_PLACEHOLDER = datetime(2000, 1, 1, tzinfo=UTC)

# Compiling the ORM query took about half of the lookup's time, on every request: the SQL is
# compiled once per database alias and only the parameters change.
_compiled_lookups: dict[str, str] = {}


def _lookup_sql(alias: str) -> str:
    """The token lookup's SQL for the database `alias`, with the parameters (checksum,
    moment of the request) in that order."""
    sql = _compiled_lookups.get(alias)
    if sql is None:
        query = (
            get_access_token_model()
            .objects.using(alias)
            .filter(token_checksum=_CHECKSUM_PLACEHOLDER)
            .filter(expires__gt=_EXPIRY_PLACEHOLDER)
            .order_by()
            .values_list(*_PRINCIPAL_COLUMNS)
        )[:1]
        sql, params = query.query.get_compiler(alias).as_sql()
        if len(params) != 2 or params[0] != _CHECKSUM_PLACEHOLDER:
            raise RuntimeError(f"Unexpected parameters of the token lookup: {params!r}")
        _compiled_lookups[alias] = sql
    return sql


def principal_for_checksum(checksum: str) -> tuple[Principal, int] | None:
    """The caller behind the token with this SHA-256 checksum and the token's id, or None
    when no such token is unexpired or its client is gone."""
    found = _lookup(checksum)
    return None if found is None else found[0]


def _lookup(checksum: str) -> tuple[tuple[Principal, int], datetime] | None:
    """`principal_for_checksum`'s answer with the token's expiry, from the database."""
    alias = router.db_for_read(get_access_token_model())
    connection = connections[alias]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_lookup_sql(alias), [checksum, now])
        row = cursor.fetchone()
    if row is None:
        return None
    principal = _principal(row[:-1])
    return None if principal is None else (principal, _aware(row[-1]))


def _aware(value: datetime | str) -> datetime:
    """A raw row's datetime: PostgreSQL's is aware, SQLite's a naive UTC string."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        raise RuntimeError(f"Unreadable token expiry {value!r}")
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _principal(row: tuple) -> tuple[Principal, int] | None:
    """The caller a token row names and the token's id, or None when the row grants none."""
    (
        token_pk,
        scope,
        client_id,
        tenant,
        customer_id,
        legal_entity_id,
        storefront,
        session_id,
        session_tenant,
    ) = row
    if client_id is None or tenant is None:
        return None
    if session_id is not None:
        # An anonymous visitor's token: only from a storefront client, of the session's own
        # tenant, and with the visitor's scopes whatever the token row says.
        if not storefront or session_tenant != tenant or customer_id is not None:
            return None
        principal = Principal(
            tenant=tenant,
            client_id=client_id,
            scopes=VISITOR_SCOPES,
            # The raw row holds a UUID (PostgreSQL) or its 32 hex digits (SQLite).
            session_id=str(uuid.UUID(str(session_id))),
        )
        return principal, token_pk
    if storefront:
        return None  # a storefront client yields anonymous tokens only (fail closed)
    principal = Principal(
        tenant=tenant,
        client_id=client_id,
        scopes=parse_scopes(scope),
        customer_id=customer_id,
        legal_entity_id=legal_entity_id or None,
    )
    return principal, token_pk


class BearerTokenAuthentication(BaseAuthentication):
    """Resolves `Authorization: Bearer <token>` to a Principal (`request.auth` is the
    token's id).

    Tokens are stored by django-oauth-toolkit as SHA-256 checksums only, so the
    lookup hashes the presented token the same way.
    """

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Principal, int] | None:
        checksum = self._checksum(request)
        if checksum is None:
            return None
        remembered = token_cache.recall(checksum)
        if remembered is not None:
            return remembered
        since = token_cache.mark()
        found = _lookup(checksum)
        if found is None:
            raise AuthenticationFailed("Invalid access token")
        verified, expires = found
        token_cache.remember(
            checksum,
            verified,
            token_seconds_left=(expires - timezone.now()).total_seconds(),
            since=since,
        )
        return verified

    def remembered(self, request: HttpRequest | Request) -> tuple[Principal, int] | None:
        """`authenticate`'s answer if the token was verified recently (`token_cache`), else
        None: never a database lookup."""
        checksum = self._checksum(request)
        return None if checksum is None else token_cache.recall(checksum)

    def _checksum(self, request: HttpRequest | Request) -> str | None:
        """The SHA-256 checksum of the request's bearer token, None without one."""
        # DRF's `get_authorization_header` reads `request.headers`, which Django builds from
        # the whole environ on first use: a warm read's only use of it.
        header = request.META.get("HTTP_AUTHORIZATION", b"")
        if isinstance(header, str):
            header = header.encode(HTTP_HEADER_ENCODING)
        parts = header.split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Invalid access token")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed("Invalid access token") from exc
        return hashlib.sha256(raw.encode("ascii")).hexdigest()

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
