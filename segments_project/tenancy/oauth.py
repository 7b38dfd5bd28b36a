"""django-oauth-toolkit wiring: per-client scopes and customer-bound tokens."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.db import connection, connections, router
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749.errors import (
    CustomOAuth2Error,
    InvalidClientError,
    InvalidScopeError,
)

from .hooks import CUSTOMER_CHECK
from .models import ApiClient, CustomerTokenBinding
from .scopes import CUSTOMER_TOKEN_ISSUE, DESCRIPTIONS, grantable_scopes, parse_scopes

SUBJECT_ID_PATTERN = re.compile(r"^[^\s/?#%]{1,128}$")


def _api_client(application: Any) -> ApiClient | None:
    try:
        return application.api_client
    except ApiClient.DoesNotExist:
        return None


def _customer_request(request: Any) -> tuple[str, str | None] | None:
    params = getattr(request, "_params", {}) or {}
    customer_id = params.get("customer_id")
    if not customer_id:
        return None
    return customer_id, params.get("legal_entity_id") or None


class KnownScopes(BaseScopes):
    """Every scope of the catalogue exists; a client may be granted those it holds."""

    def get_all_scopes(self) -> dict[str, str]:
        return dict(DESCRIPTIONS)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        client = _api_client(application) if application is not None else None
        if client is None:
            return []
        for_customer = request is not None and _customer_request(request) is not None
        return sorted(grantable_scopes(client.scopes, for_customer=for_customer))

    def get_default_scopes(self, application=None, request=None, *args, **kwargs) -> list[str]:
        return self.get_available_scopes(application, request)


class TenantOAuth2Validator(OAuth2Validator):
    """Grants only a client's allowed scopes, and binds customer tokens to their customer."""

    def _load_application(self, client_id: str, request: Any) -> Any:
        """django-oauth-toolkit's, with the client's `ApiClient` in the same query (every
        check below reads it). An unknown id is None at once, as in DOT when Client ID
        Metadata Documents are off (they are: clients are only made by the services)."""
        if not request.client and client_id and "\x00" not in client_id:
            request.client = application_with_api_client(client_id)
            if request.client is None:
                return None
        return super()._load_application(client_id, request)

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        """django-oauth-toolkit's check of the client's credentials, and never a storefront
        client: its id is public and it yields anonymous tokens only (`anonymous.py`)."""
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        api_client = _api_client(request.client)
        return api_client is not None and not api_client.storefront

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        customer = _customer_request(request)
        if customer is not None:
            self._validate_customer_request(client, request, *customer)
        allowed = set(KnownScopes().get_available_scopes(application=client, request=request))
        if not set(scopes) <= allowed:
            raise InvalidScopeError(
                description="Scopes not granted to this client: "
                + " ".join(sorted(set(scopes) - allowed)),
                request=request,
            )
        return True

    def _validate_customer_request(
        self, client: Any, request: Any, customer_id: str, legal_entity_id: str | None
    ) -> None:
        api_client = _api_client(client)
        if api_client is None or CUSTOMER_TOKEN_ISSUE not in api_client.scopes:
            raise CustomOAuth2Error(
                error="unauthorized_client",
                description=f"Customer tokens need the {CUSTOMER_TOKEN_ISSUE} scope.",
                status_code=403,
                request=request,
            )
        for name, value in (("customer_id", customer_id), ("legal_entity_id", legal_entity_id)):
            if value is not None and not SUBJECT_ID_PATTERN.match(value):
                raise CustomOAuth2Error(
                    error="invalid_request",
                    description=f"{name} is not a valid id.",
                    request=request,
                )
        problem = CUSTOMER_CHECK(api_client.tenant_id, customer_id, legal_entity_id)
        if problem:
            raise CustomOAuth2Error(error="invalid_request", description=problem, request=request)

    def save_bearer_token(self, token: dict[str, Any], request: Any, *args, **kwargs) -> None:
        """django-oauth-toolkit's, in one statement on PostgreSQL for a client-credentials
        token (`_store_if_client_unchanged`); where that stores nothing, or elsewhere,
        DOT's transaction with `_create_access_token` below."""
        if (
            request.grant_type == "client_credentials"
            and "scope" in token
            and not token.get("refresh_token")
            and not token.get("id_token")
        ):
            self._check_and_set_request_resource(request)  # DOT's, before it stores a token
            request.user = None
            if self._store_if_client_unchanged(request, token):
                return
        super().save_bearer_token(token, request, *args, **kwargs)

    def _store_if_client_unchanged(self, request: Any, token: dict[str, Any]) -> bool:
        """Stores the token (and its customer binding) in one statement, without a transaction
        of its own, if the client's row is still the one this request was checked against: the
        same stored secret and allowed scopes, not a storefront client. False, having stored
        nothing, where it is not (or on a database other than PostgreSQL).

        The rows are locked FOR SHARE by the statement, as `_check_client_unchanged` locks
        them: a change by `services.api_client_update` (FOR UPDATE) either committed before,
        and the rows no longer match (PostgreSQL re-reads the rows it locks after waiting for
        them), or waits until the token is stored, and revokes it. On a mismatch the caller
        takes DOT's transaction, whose `_check_client_unchanged` refuses or, where the change
        still allows the token (scopes widened), issues it: the outcome is the same as it
        always was. Five round trips (BEGIN, the lock, two inserts, COMMIT) become one.
        """
        token_model = get_access_token_model()
        alias = router.db_for_write(token_model)
        db = connections[alias]
        api_client = _api_client(request.client)
        if db.vendor != "postgresql" or api_client is None:
            return False
        access_token = token_model(
            user=None,
            scope=token["scope"],
            expires=timezone.now()
            + timedelta(
                seconds=token.get("expires_in", oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
            ),
            application=request.client,
            resource=getattr(request, "resource", []),
        )
        self._set_token_value(access_token, token["access_token"])
        fields = [f for f in token_model._meta.concrete_fields if not f.primary_key]
        values = [f.get_db_prep_save(f.pre_save(access_token, True), db) for f in fields]
        customer = _customer_request(request) or (None, None)
        with db.cursor() as cursor:
            cursor.execute(
                _one_statement_sql(db, fields),
                [
                    request.client.pk,
                    request.client.client_secret,
                    api_client.allowed_scopes,
                    *values,
                    api_client.tenant_id,
                    customer[0],
                    customer[1] or "",
                    customer[0] is not None,
                ],
            )
            return cursor.fetchone() is not None

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        self._check_client_unchanged(request, token)
        access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        customer = _customer_request(request)
        if customer is not None:
            customer_id, legal_entity_id = customer
            CustomerTokenBinding.objects.create(
                access_token=access_token,
                tenant_id=request.client.api_client.tenant_id,
                customer_id=customer_id,
                legal_entity_id=legal_entity_id or "",
            )
        return access_token

    def _check_client_unchanged(self, request: Any, token: dict[str, Any]) -> None:
        """Refuses the token if the client's secret or scopes changed since the request was
        checked, or it became a storefront client.

        Runs in the transaction that stores the token, holding a share lock on the client's
        row, which conflicts with the update lock `services.api_client_update` takes: a
        change either committed before (and is seen here) or waits until this token is
        stored (and revokes it). A share lock, not an update lock, so that the tokens of
        one client are issued in parallel instead of one commit after the other.
        """
        current = _client_row_shared(request.client.pk)
        if current is None or current[1] != request.client.client_secret or current[2]:
            raise InvalidClientError(request=request)
        grantable = grantable_scopes(
            parse_scopes(current[0]), for_customer=_customer_request(request) is not None
        )
        if not parse_scopes(token.get("scope", "")) <= grantable:
            raise InvalidScopeError(
                description="The client's scopes changed; request the token again.",
                request=request,
            )


def _client_row_shared(application_id: int) -> tuple[str, str, bool] | None:
    """The client's scopes, stored secret and storefront mark, its rows (the API client's
    and the OAuth application's) locked FOR SHARE until the transaction ends (no lock where
    the database has none: SQLite serializes writers anyway). Both rows: after waiting for
    a change, PostgreSQL re-reads only the rows it locks, and the secret is the
    application's. Raw SQL: the ORM offers only FOR UPDATE."""
    client_table = connection.ops.quote_name(ApiClient._meta.db_table)
    application_table = connection.ops.quote_name(get_application_model()._meta.db_table)
    lock = " FOR SHARE OF c, a" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.allowed_scopes, a.client_secret, c.storefront "
            f"FROM {client_table} c JOIN {application_table} a ON a.id = c.application_id "
            f"WHERE c.application_id = %s{lock}",
            [application_id],
        )
        return cursor.fetchone()


def _one_statement_sql(db: Any, token_fields: list[Any]) -> str:
    """`_store_if_client_unchanged`'s statement: the client's row locked if unchanged, the
    token inserted only then, the binding only with a token and a customer."""
    q = db.ops.quote_name
    token_model = get_access_token_model()
    binding = CustomerTokenBinding._meta
    token_pk = q(token_model._meta.pk.column)
    columns = ", ".join(q(f.column) for f in token_fields)
    placeholders = ", ".join(f"CAST(%s AS {f.cast_db_type(db)})" for f in token_fields)
    binding_columns = ", ".join(
        q(binding.get_field(name).column)
        for name in ("access_token", "tenant", "customer_id", "legal_entity_id")
    )
    return (
        "WITH client AS ("
        f" SELECT 1 FROM {q(ApiClient._meta.db_table)} c"
        f" JOIN {q(get_application_model()._meta.db_table)} a ON a.id = c.application_id"
        " WHERE c.application_id = %s AND a.client_secret = %s AND c.allowed_scopes = %s"
        " AND NOT c.storefront FOR SHARE OF c, a"
        f"), token AS (INSERT INTO {q(token_model._meta.db_table)} ({columns})"
        f" SELECT {placeholders} FROM client RETURNING {token_pk}"
        f"), binding AS (INSERT INTO {q(binding.db_table)} ({binding_columns})"
        f" SELECT {token_pk}, %s, %s, %s FROM token WHERE %s)"
        f" SELECT {token_pk} FROM token"
    )


def application_with_api_client(client_id: str) -> Any:
    """The OAuth application with this client id and its `ApiClient` (cached on it: reading
    `application.api_client` costs no query, and raises `DoesNotExist` where there is none),
    or None. What `select_related("api_client").filter(client_id=...).first()` answers, by
    a statement compiled once per database: building that queryset cost a third of a token
    request's CPU, on every request."""
    application_model = get_application_model()
    alias = router.db_for_read(application_model)
    db = connections[alias]
    loader = _application_loaders.get(alias)
    if loader is None:
        loader = _application_loaders[alias] = _ApplicationLoader(db)
    with db.cursor() as cursor:
        cursor.execute(loader.sql, [client_id])
        row = cursor.fetchone()
    return None if row is None else loader.instances(alias, db, row)


class _ApplicationLoader:
    """The application's and its API client's columns in one row, with the converters the
    ORM would apply to each (SQLite's booleans and datetimes, for one)."""

    def __init__(self, db: Any) -> None:
        q = db.ops.quote_name
        self.application_fields = list(get_application_model()._meta.concrete_fields)
        self.client_fields = list(ApiClient._meta.concrete_fields)
        application_table = get_application_model()._meta.db_table
        columns = [f"a.{q(f.column)}" for f in self.application_fields] + [
            f"c.{q(f.column)}" for f in self.client_fields
        ]
        self.sql = (
            f"SELECT {', '.join(columns)} FROM {q(application_table)} a"
            f" LEFT JOIN {q(ApiClient._meta.db_table)} c ON c.application_id = a.id"
            " WHERE a.client_id = %s LIMIT 1"
        )
        self.converters = [
            _converters(field, table, db)
            for fields, table in (
                (self.application_fields, application_table),
                (self.client_fields, ApiClient._meta.db_table),
            )
            for field in fields
        ]

    def instances(self, alias: str, db: Any, row: tuple) -> Any:
        values = []
        for value, (column, converters) in zip(row, self.converters, strict=True):
            for converter in converters:
                value = converter(value, column, db)
            values.append(value)
        split = len(self.application_fields)
        application = get_application_model().from_db(
            alias, [f.attname for f in self.application_fields], values[:split]
        )
        api_client = None
        if values[split] is not None:  # the API client's primary key: the join found one
            api_client = ApiClient.from_db(
                alias, [f.attname for f in self.client_fields], values[split:]
            )
            ApiClient._meta.get_field("application").set_cached_value(api_client, application)
        ApiClient._meta.get_field("application").remote_field.set_cached_value(
            application, api_client
        )
        return application


_application_loaders: dict[str, _ApplicationLoader] = {}


def _converters(field: Any, table: str, db: Any) -> tuple[Any, list[Any]]:
    """The field's column and the converters of its raw values, in the ORM's order."""
    column = field.get_col(table)
    return column, [*db.ops.get_db_converters(column), *column.get_db_converters(db)]
