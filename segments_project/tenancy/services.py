"""Writes for tenants and API clients.

Every change of an API client's secret or scopes goes through `api_client_update` (the
management command, the admin and the demo loader alike), so the revocation rules hold
everywhere:

- a new secret revokes every token of the client, so a leaked secret stops working at once;
- narrowed scopes revoke the tokens that carry a scope the client no longer grants, so a
  token never carries a scope its client does not hold.

The token endpoint takes the same row lock before it stores a token and re-checks both
(`oauth.TenantOAuth2Validator`), so a token requested while the client changes cannot slip
past the revocation.

A storefront (public) client has no usable secret and no scopes: it yields only anonymous
visitor tokens (`anonymous.py`), never client tokens. Marking a client as a storefront
client revokes every token it had; unmarking it ends every anonymous session and needs a
new secret, since the client becomes confidential again.

Every secret is stored by `_client_secret_set`: a secret the service generated
(`client_secret_generate`, 256 random bits) with a fast salted SHA-256, any other secret
(one a person chose: the admin's or the command's secret field) with Django's default,
key-stretching hasher (docs/security.md, "Client secrets").
"""

from __future__ import annotations

import re
import secrets

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.models import (
    AbstractApplication,
    get_access_token_model,
    get_application_model,
)

from segments_project.errors import AlreadyExists, ErrorDetail, NotFound, ValidationFailed

from .anonymous import anonymous_sessions_revoke
from .hashers import GeneratedSecretSHA256Hasher
from .models import ApiClient, CustomerTokenBinding, Tenant, tenant_name_validator
from .scopes import ALL_SCOPES, grantable_scopes, parse_scopes

MIN_SECRET_LENGTH = 16
GENERATED_SECRET_BYTES = 32  # 256 bits
# What an HTTP Basic header and a form can carry unambiguously (no `:`), and the column holds.
CLIENT_ID_PATTERN = re.compile(r"^[^\s:\x00-\x1f\x7f]{1,100}$")


def tenant_get_or_create(*, name: str) -> Tenant:
    try:
        tenant_name_validator(name)
    except ValidationError as exc:
        raise ValidationFailed(
            exc.messages[0], details=[ErrorDetail("tenant", "invalid", exc.messages[0])]
        ) from exc
    tenant, _ = Tenant.objects.get_or_create(name=name)
    return tenant


def api_client_check(
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    scopes: frozenset[str] | None = None,
    storefront: bool = False,
) -> None:
    """ValidationFailed, naming the field, unless the given values are acceptable (for a
    storefront client: no secret and no scopes at all)."""
    if storefront:
        if client_secret:
            message = "A storefront client has no secret: its id is public."
            raise ValidationFailed(
                message, details=[ErrorDetail("client_secret", "invalid", message)]
            )
        if scopes:
            message = (
                "A storefront client holds no scopes: its anonymous tokens carry the visitor's "
                "rights only."
            )
            raise ValidationFailed(message, details=[ErrorDetail("scopes", "invalid", message)])
        client_secret = None  # an empty one is its only acceptable value
    if client_id is not None and not CLIENT_ID_PATTERN.match(client_id):
        message = "A client id is 1 to 100 characters without spaces, colons or control characters."
        raise ValidationFailed(message, details=[ErrorDetail("client_id", "invalid", message)])
    if client_secret is not None and len(client_secret) < MIN_SECRET_LENGTH:
        message = f"A client secret has at least {MIN_SECRET_LENGTH} characters."
        raise ValidationFailed(message, details=[ErrorDetail("client_secret", "invalid", message)])
    unknown = (scopes or frozenset()) - ALL_SCOPES
    if unknown:
        message = f"Unknown scopes: {' '.join(sorted(unknown))}"
        raise ValidationFailed(message, details=[ErrorDetail("scopes", "invalid", message)])


class GeneratedSecret(str):
    """A client secret made by `client_secret_generate`; only such a secret is stored with
    the fast hasher. Any other string (and any string derived from one of these) is taken
    for a secret a person chose."""

    __slots__ = ()


def client_secret_generate() -> GeneratedSecret:
    """A new client secret of 256 random bits (URL-safe, 43 characters), to be shown once
    to whoever asked for it and then stored hashed only."""
    return GeneratedSecret(secrets.token_urlsafe(GENERATED_SECRET_BYTES))


def client_secret_hash(secret: str) -> str:
    """The stored form of a secret: a fast salted SHA-256 for a generated secret (nothing
    to stretch: it cannot be guessed), Django's default hasher (PBKDF2) for any other."""
    if type(secret) is GeneratedSecret:
        return make_password(secret, hasher=GeneratedSecretSHA256Hasher.algorithm)
    return make_password(secret)


def _client_secret_set(application: AbstractApplication, secret: str) -> None:
    """Sets (unsaved) the application's secret, hashed here, so that no string is ever
    stored as given (a secret that looks like a hash would otherwise be kept as one)."""
    application.client_secret = client_secret_hash(secret)
    application.hash_client_secret = True


def _unusable_secret() -> GeneratedSecret:
    """A storefront client's stored secret: random, hashed, never shown to anyone, so no
    secret works for it (the token endpoint refuses storefront clients anyway)."""
    return client_secret_generate()


@transaction.atomic
def api_client_create(
    *,
    tenant: str,
    client_id: str,
    client_secret: str = "",
    scopes: frozenset[str] = frozenset(),
    storefront: bool = False,
) -> ApiClient:
    """Creates the client (and its tenant); AlreadyExists when the client id is taken, by
    any tenant (client ids are global). A storefront client takes no secret and no scopes."""
    api_client_check(
        client_id=client_id, client_secret=client_secret, scopes=scopes, storefront=storefront
    )
    tenant_obj = tenant_get_or_create(name=tenant)
    application_model = get_application_model()
    if application_model.objects.filter(client_id=client_id).exists():
        raise AlreadyExists(f"The client id {client_id} is taken.")
    application = application_model(
        client_id=client_id,
        client_type=application_model.CLIENT_PUBLIC
        if storefront
        else application_model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application_model.GRANT_CLIENT_CREDENTIALS,
        name=f"{tenant}:{client_id}",
    )
    _client_secret_set(application, _unusable_secret() if storefront else client_secret)
    application.save()
    return ApiClient.objects.create(
        tenant=tenant_obj,
        application=application,
        allowed_scopes=" ".join(sorted(scopes)),
        storefront=storefront,
    )


def api_client_get_for_update(*, tenant: str, client_id: str) -> ApiClient:
    """The tenant's client, locked until the transaction ends; NotFound whether it does not
    exist or belongs to another tenant."""
    client = (
        ApiClient.objects.select_for_update(of=("self",))
        .select_related("application")
        .filter(tenant_id=tenant, application__client_id=client_id)
        .first()
    )
    if client is None:
        raise NotFound(f"The tenant {tenant} has no client {client_id}.")
    return client


@transaction.atomic
def api_client_update(
    *,
    tenant: str,
    client_id: str,
    client_secret: str | None = None,
    scopes: frozenset[str] | None = None,
    storefront: bool | None = None,
) -> ApiClient:
    """Sets a new secret, scopes and/or the storefront mark (None leaves one as it is),
    revoking the tokens they invalidate (module docstring). A scope no longer known may be
    kept, not added."""
    client = api_client_get_for_update(tenant=tenant, client_id=client_id)
    if storefront is not None and storefront != client.storefront:
        return _storefront_mark_change(client, storefront, client_secret, scopes)
    if client.storefront:
        api_client_check(client_secret=client_secret, scopes=scopes, storefront=True)
        return client
    api_client_check(client_secret=client_secret)
    if scopes is not None:
        api_client_check(scopes=scopes - client.scopes)
    application = client.application
    if client_secret is not None:
        _client_secret_set(application, client_secret)
        application.save(update_fields=["client_secret", "hash_client_secret", "updated"])
        application.accesstoken_set.all().delete()
    if scopes is not None and scopes != client.scopes:
        narrowed = not scopes >= client.scopes
        client.allowed_scopes = " ".join(sorted(scopes))
        client.save(update_fields=["allowed_scopes", "modified_at"])
        if narrowed:
            _revoke_tokens_beyond(client)
    return client


def _storefront_mark_change(
    client: ApiClient, storefront: bool, client_secret: str | None, scopes: frozenset[str] | None
) -> ApiClient:
    """Marks the (locked) client as a storefront client, revoking every token it had and
    dropping its secret and scopes; or unmarks it, ending its anonymous sessions and setting
    the new secret it then needs."""
    application = client.application
    if storefront:
        api_client_check(client_secret=client_secret, scopes=scopes, storefront=True)
        _client_secret_set(application, _unusable_secret())
        application.client_type = application.CLIENT_PUBLIC
        client.allowed_scopes = ""
    else:
        if not client_secret:
            message = "A client that stops being a storefront client needs a secret."
            raise ValidationFailed(
                message, details=[ErrorDetail("client_secret", "required", message)]
            )
        api_client_check(client_secret=client_secret, scopes=scopes)
        _client_secret_set(application, client_secret)
        application.client_type = application.CLIENT_CONFIDENTIAL
        client.allowed_scopes = " ".join(sorted(scopes or ()))
        anonymous_sessions_revoke(api_client=client)
    application.save(
        update_fields=["client_secret", "hash_client_secret", "client_type", "updated"]
    )
    application.accesstoken_set.all().delete()
    client.storefront = storefront
    client.save(update_fields=["storefront", "allowed_scopes", "modified_at"])
    return client


def _revoke_tokens_beyond(client: ApiClient) -> None:
    """Deletes the client's tokens that carry a scope it no longer grants.

    Set-based: the distinct scope strings of its client tokens and of its customer tokens
    are few, whatever the number of tokens.
    """
    tokens = get_access_token_model().objects.filter(application_id=client.application_id)
    for for_customer in (False, True):
        kind = tokens.filter(customer_binding__isnull=not for_customer)
        grantable = grantable_scopes(client.scopes, for_customer=for_customer)
        stale = [
            scope
            for scope in kind.values_list("scope", flat=True).distinct()
            if not parse_scopes(scope) <= grantable
        ]
        if stale:
            kind.filter(scope__in=stale).delete()


def api_client_upsert(
    *,
    tenant: str,
    client_id: str,
    client_secret: str = "",
    scopes: frozenset[str] = frozenset(),
    storefront: bool = False,
) -> tuple[ApiClient, bool]:
    """Creates the client (and its tenant), or sets the secret, scopes and storefront mark
    of the tenant's existing one (`api_client_update`: its tokens are revoked). Returns the
    client and whether it was created."""
    with transaction.atomic():
        exists = get_application_model().objects.filter(client_id=client_id).exists()
        if not exists:
            return api_client_create(
                tenant=tenant,
                client_id=client_id,
                client_secret=client_secret,
                scopes=scopes,
                storefront=storefront,
            ), True
        owner = ApiClient.objects.filter(application__client_id=client_id).first()
        if owner is None or owner.tenant_id != tenant:
            raise AlreadyExists(f"The client id {client_id} is taken.")
        return api_client_update(
            tenant=tenant,
            client_id=client_id,
            client_secret=client_secret or None,
            scopes=scopes,
            storefront=storefront,
        ), False


@transaction.atomic
def api_client_delete(*, tenant: str, client_id: str) -> None:
    """Deletes the tenant's client with its OAuth application and every token of it."""
    client = api_client_get_for_update(tenant=tenant, client_id=client_id)
    client.application.delete()


def customer_tokens_revoke(*, tenant: str, customer_id: str) -> int:
    """Revokes every token bound to the customer; returns how many there were."""
    token_ids = CustomerTokenBinding.objects.filter(
        tenant_id=tenant, customer_id=customer_id
    ).values("access_token_id")
    deleted, _ = get_access_token_model().objects.filter(pk__in=token_ids).delete()
    return deleted
