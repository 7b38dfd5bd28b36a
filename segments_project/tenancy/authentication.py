"""Bearer-token authentication for the API: one indexed lookup per request."""

from __future__ import annotations

import hashlib

from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from .models import ApiClient, CustomerTokenBinding
from .principal import Principal
from .scopes import parse_scopes


class BearerTokenAuthentication(BaseAuthentication):
    """Resolves `Authorization: Bearer <token>` to a Principal.

    Tokens are stored by django-oauth-toolkit as SHA-256 checksums only, so the
    lookup hashes the presented token the same way.
    """

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Principal, object] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Invalid access token")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed("Invalid access token") from exc
        checksum = hashlib.sha256(raw.encode("ascii")).hexdigest()
        access_token = (
            get_access_token_model()
            .objects.select_related("application__api_client__tenant", "customer_binding")
            .filter(token_checksum=checksum)
            .first()
        )
        if access_token is None or access_token.expires <= timezone.now():
            raise AuthenticationFailed("Invalid access token")
        try:
            client = access_token.application.api_client
        except (ApiClient.DoesNotExist, AttributeError) as exc:
            raise AuthenticationFailed("Invalid access token") from exc
        try:
            binding = access_token.customer_binding
        except CustomerTokenBinding.DoesNotExist:
            binding = None
        principal = Principal(
            tenant=client.tenant_id,
            client_id=access_token.application.client_id,
            scopes=parse_scopes(access_token.scope),
            customer_id=binding.customer_id if binding else None,
            legal_entity_id=(binding.legal_entity_id or None) if binding else None,
            content_version=client.tenant.content_version,
        )
        return principal, access_token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
