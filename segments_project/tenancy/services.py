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
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.models import get_access_token_model, get_application_model

from segments_project.errors import AlreadyExists, ErrorDetail, NotFound, ValidationFailed

from .models import ApiClient, CustomerTokenBinding, Tenant, tenant_name_validator
from .scopes import ALL_SCOPES, grantable_scopes, parse_scopes

MIN_SECRET_LENGTH = 16
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
) -> None:
    """ValidationFailed, naming the field, unless the given values are acceptable."""
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


@transaction.atomic
def api_client_create(
    *, tenant: str, client_id: str, client_secret: str, scopes: frozenset[str]
) -> ApiClient:
    """Creates the client (and its tenant); AlreadyExists when the client id is taken, by
    any tenant (client ids are global)."""
    api_client_check(client_id=client_id, client_secret=client_secret, scopes=scopes)
    tenant_obj = tenant_get_or_create(name=tenant)
    application_model = get_application_model()
    if application_model.objects.filter(client_id=client_id).exists():
        raise AlreadyExists(f"The client id {client_id} is taken.")
    application = application_model.objects.create(
        client_id=client_id,
        client_secret=client_secret,
        hash_client_secret=True,
        client_type=application_model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application_model.GRANT_CLIENT_CREDENTIALS,
        name=f"{tenant}:{client_id}",
    )
    return ApiClient.objects.create(
        tenant=tenant_obj, application=application, allowed_scopes=" ".join(sorted(scopes))
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
) -> ApiClient:
    """Sets a new secret and/or scopes (None leaves one as it is), revoking the tokens
    they invalidate (module docstring). A scope no longer known may be kept, not added."""
    api_client_check(client_secret=client_secret)
    client = api_client_get_for_update(tenant=tenant, client_id=client_id)
    if scopes is not None:
        api_client_check(scopes=scopes - client.scopes)
    application = client.application
    if client_secret is not None:
        application.client_secret = client_secret
        application.hash_client_secret = True
        application.save(update_fields=["client_secret", "hash_client_secret", "updated"])
        application.accesstoken_set.all().delete()
    if scopes is not None and scopes != client.scopes:
        narrowed = not scopes >= client.scopes
        client.allowed_scopes = " ".join(sorted(scopes))
        client.save(update_fields=["allowed_scopes", "modified_at"])
        if narrowed:
            _revoke_tokens_beyond(client)
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
    *, tenant: str, client_id: str, client_secret: str, scopes: frozenset[str]
) -> tuple[ApiClient, bool]:
    """Creates the client (and its tenant), or sets the secret and scopes of the tenant's
    existing one (`api_client_update`: its tokens are revoked). Returns the client and
    whether it was created."""
    with transaction.atomic():
        exists = get_application_model().objects.filter(client_id=client_id).exists()
        if not exists:
            return api_client_create(
                tenant=tenant, client_id=client_id, client_secret=client_secret, scopes=scopes
            ), True
        owner = ApiClient.objects.filter(application__client_id=client_id).first()
        if owner is None or owner.tenant_id != tenant:
            raise AlreadyExists(f"The client id {client_id} is taken.")
        return api_client_update(
            tenant=tenant, client_id=client_id, client_secret=client_secret, scopes=scopes
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
