"""The vendor's anonymous token endpoints for storefronts: log a visitor in, refresh.

`GET /customerlogin/auth/anonymous/login?tenant=&client_id=` and
`GET /customerlogin/auth/anonymous/refresh?tenant=&client_id=&refresh_token=`. No bearer
token and no secret: the client must be a storefront client of the tenant
(`tenancy.anonymous`). Issuance is rate-limited per source address, then per client.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from segments_project.errors import ErrorDetail, ValidationFailed
from segments_project.tenancy.anonymous import (
    AnonymousToken,
    AnonymousTokenRefused,
    anonymous_login,
    anonymous_refresh,
)
from segments_project.tenancy.models import TENANT_NAME_PATTERN

from .parsers import has_unstorable_text
from .schema_components import ErrorSerializer, UnauthorizedSerializer
from .throttling import AnonymousIssuePerAddressThrottle, AnonymousIssuePerClientThrottle

_TENANT_RE = re.compile(TENANT_NAME_PATTERN)
MAX_PARAMETER_LENGTH = 512


def _required(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise ValidationFailed(
            f"The query parameter {name} is required.",
            details=[ErrorDetail(name, "required", f"{name} is required.")],
        )
    if len(value) > MAX_PARAMETER_LENGTH or has_unstorable_text(value):
        raise ValidationFailed(
            f"The query parameter {name} is not valid.",
            details=[ErrorDetail(name, "invalid", "Too long, or not storable text.")],
        )
    return value


def _tenant(request: Request) -> str:
    tenant = _required(request, "tenant")
    if not _TENANT_RE.match(tenant):
        raise ValidationFailed(
            f"{tenant!r} is not a valid tenant name.",
            details=[ErrorDetail("tenant", "invalid", "3 to 16 lowercase letters and digits.")],
        )
    return tenant


def _token_response(issued: AnonymousToken) -> Response:
    body = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "refresh_token": issued.refresh_token,
        "refresh_token_expires_in": issued.refresh_expires_in,
        "sessionId": issued.session_id,
        "scope": f"tenant={issued.tenant}",
    }
    # RFC 6749 5.1: token answers are never cached.
    return Response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


class AnonymousTokenResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.CharField(help_text="Always Bearer.")
    expires_in = serializers.IntegerField(help_text="Seconds the access token lives.")
    refresh_token = serializers.CharField()
    refresh_token_expires_in = serializers.IntegerField(
        help_text="Seconds the refresh token lives."
    )
    sessionId = serializers.CharField(help_text="Kept by every refresh of the session.")
    scope = serializers.CharField(help_text="tenant={tenant}")


_TENANT_PARAMETER = OpenApiParameter(
    "tenant", OpenApiTypes.STR, required=True, description="Name of the tenant (lowercase)."
)
_CLIENT_PARAMETER = OpenApiParameter(
    "client_id",
    OpenApiTypes.STR,
    required=True,
    description="The id of a storefront (public) client of the tenant.",
)
_SESSION_CONTEXT = [
    OpenApiParameter(
        name,
        OpenApiTypes.STR,
        description="Accepted for compatibility; not stored (no session context service here).",
    )
    for name in ("currency", "siteCode", "language", "targetLocation")
]
_RESPONSES = {
    200: AnonymousTokenResponseSerializer,
    400: OpenApiResponse(ErrorSerializer, description="A parameter is missing or not valid."),
    401: OpenApiResponse(
        UnauthorizedSerializer,
        description="Not a storefront client of the tenant, or the refresh token is not valid.",
    ),
    429: OpenApiResponse(
        ErrorSerializer, description="Too many tokens issued to this client or address."
    ),
}


class AnonymousTokenView(APIView):
    """Shared by the login and the refresh: no authentication, the issuance limits, and a
    refused credential answered in the vendor's 401 `fault` shape."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    # The address first: a caller over its own limit spends nothing of the client's.
    throttle_classes = [AnonymousIssuePerAddressThrottle, AnonymousIssuePerClientThrottle]
    operation_ids: dict[str, str] = {}

    def check_throttles(self, request: Request) -> None:
        for throttle in self.get_throttles():
            if not throttle.allow_request(request, self):
                raise Throttled(throttle.wait())

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, AnonymousTokenRefused):
            body = {"fault": {"faultstring": exc.message, "detail": {"errorcode": exc.errorcode}}}
            response = Response(body, status=401)
            response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        return super().handle_exception(exc)


@extend_schema(
    tags=["Anonymous tokens"],
    summary="Requesting an anonymous token",
    description="A new anonymous session of a storefront client: an access token (the "
    "visitor's: published catalog reads, the storefront's items and trees with no "
    "memberships, validation of coupons that allow anonymous use) and a refresh token.",
    parameters=[_TENANT_PARAMETER, _CLIENT_PARAMETER, *_SESSION_CONTEXT],
    responses=_RESPONSES,
    auth=[],
)
class AnonymousLoginView(AnonymousTokenView):
    operation_ids = {"GET": "GET-oauth-generate-anonymous-access-token"}

    def get(self, request: Request) -> Response:
        tenant = _tenant(request)
        client_id = _required(request, "client_id")
        return _token_response(anonymous_login(tenant=tenant, client_id=client_id))


@extend_schema(
    tags=["Anonymous tokens"],
    summary="Refreshing an anonymous token",
    description="New access and refresh tokens for the same session: the refresh token is "
    "single-use, and the session's previous access token stops working. The deprecated "
    "`anonymous_token` parameter is not supported (docs/security.md).",
    parameters=[
        _TENANT_PARAMETER,
        _CLIENT_PARAMETER,
        OpenApiParameter(
            "refresh_token",
            OpenApiTypes.STR,
            required=True,
            description="The refresh token of the last login or refresh.",
        ),
    ],
    responses=_RESPONSES,
    auth=[],
)
class AnonymousRefreshView(AnonymousTokenView):
    operation_ids = {"GET": "GET-oauth-refresh-anonymous-access-token"}

    def get(self, request: Request) -> Response:
        tenant = _tenant(request)
        client_id = _required(request, "client_id")
        refresh_token = _required(request, "refresh_token")
        issued = anonymous_refresh(tenant=tenant, client_id=client_id, refresh_token=refresh_token)
        return _token_response(issued)
