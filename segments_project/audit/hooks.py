"""The actor of each entry point: API callers, admin users and management commands."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse

from segments_project.admin_errors import is_admin_request
from segments_project.tenancy.principal import Principal

from .actor import SYSTEM, Actor, ActorKind, acting_as

# A request id set by a proxy is kept only when it cannot smuggle anything into the trail.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id_of(meta: Mapping[str, Any]) -> str:
    """The request's X-Request-ID if well-formed, from its environ (`request.META`: the
    `headers` view of it is built on first use, which a request may otherwise not need)."""
    value = meta.get("HTTP_X_REQUEST_ID", "")
    return value if _REQUEST_ID.match(value) else ""


def principal_actor(principal: Any, meta: Mapping[str, Any]) -> Actor:
    """The customer of a customer token, else the API client; system if unauthenticated."""
    if not isinstance(principal, Principal):
        return SYSTEM
    request_id = request_id_of(meta)
    if principal.customer_id:
        return Actor(ActorKind.CUSTOMER, principal.customer_id, request_id)
    return Actor(ActorKind.CLIENT, principal.client_id, request_id)


class AdminActorMiddleware:
    """Attributes the admin console's writes to the logged-in staff user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only the admin's paths: elsewhere reading the session user would cost a query.
        if not is_admin_request(request):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated or not user.is_staff:
            return self.get_response(request)
        with acting_as(
            ActorKind.ADMIN, user.get_username(), request_id=request_id_of(request.META)
        ):
            return self.get_response(request)
