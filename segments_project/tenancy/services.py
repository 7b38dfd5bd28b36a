"""Writes for tenants and API clients."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from oauth2_provider.models import get_access_token_model, get_application_model

from segments_project.errors import ErrorDetail, ValidationFailed

from .models import ApiClient, CustomerTokenBinding, Tenant, tenant_name_validator
from .scopes import ALL_SCOPES


def tenant_get_or_create(*, name: str) -> Tenant:
    try:
        tenant_name_validator(name)
    except ValidationError as exc:
        raise ValidationFailed(
            exc.messages[0], details=[ErrorDetail("tenant", "invalid", exc.messages[0])]
        ) from exc
    tenant, _ = Tenant.objects.get_or_create(name=name)
    return tenant


@transaction.atomic
def api_client_upsert(
    *, tenant: str, client_id: str, client_secret: str, scopes: frozenset[str]
) -> tuple[ApiClient, bool]:
    """Creates the client (and its tenant) or updates its secret and scopes.

    Returns the client and whether it was created. Rotating the secret revokes the
    client's existing tokens, so a leaked secret stops working everywhere at once.
    """
    unknown = scopes - ALL_SCOPES
    if unknown:
        raise ValidationFailed(f"Unknown scopes: {' '.join(sorted(unknown))}")
    if len(client_secret) < 16:
        raise ValidationFailed("A client secret has at least 16 characters.")
    tenant_obj = tenant_get_or_create(name=tenant)
    application_model = get_application_model()
    application = application_model.objects.filter(client_id=client_id).first()
    created = application is None
    if application is None:
        application = application_model(
            client_id=client_id,
            client_type=application_model.CLIENT_CONFIDENTIAL,
            authorization_grant_type=application_model.GRANT_CLIENT_CREDENTIALS,
            name=f"{tenant}:{client_id}",
        )
    else:
        existing = ApiClient.objects.filter(application=application).first()
        if existing is not None and existing.tenant_id != tenant:
            raise ValidationFailed(f"Client {client_id} belongs to another tenant.")
        application.accesstoken_set.all().delete()
    application.client_secret = client_secret
    application.hash_client_secret = True
    application.save()
    api_client, _ = ApiClient.objects.update_or_create(
        application=application,
        defaults={"tenant": tenant_obj, "allowed_scopes": " ".join(sorted(scopes))},
    )
    return api_client, created


def customer_tokens_revoke(*, tenant: str, customer_id: str) -> int:
    """Revokes every token bound to the customer; returns how many there were."""
    token_ids = CustomerTokenBinding.objects.filter(
        tenant_id=tenant, customer_id=customer_id
    ).values("access_token_id")
    deleted, _ = get_access_token_model().objects.filter(pk__in=token_ids).delete()
    return deleted
