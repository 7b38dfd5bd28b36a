"""The browser's middleware (sessions, the session user, messages), skipped for
bearer-token API requests, which use none of them.

The API authenticates by bearer token only (`REST_FRAMEWORK` has no session
authentication and no browsable renderer), so for a request to an API path carrying
`Authorization: Bearer ...` these middleware only cost time. Every other request (the
admin, the API docs, a token request, an API path without a bearer token) passes through
them as before. Django's own CSRF middleware stays for every request (its deploy check
asks for it by name; API views are exempt from it anyway).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Messages
from django.contrib.sessions.middleware import SessionMiddleware as _Sessions
from django.http import HttpRequest

# The first path segment of every API service (Emporix's service names).
API_SERVICES = (
    "customer-segment",
    "coupon",
    "category",
    "product",
    "customer",
    "customerlogin",
    "webhook",
)
_API_PREFIXES = tuple(f"/{service}/" for service in API_SERVICES)


def is_bearer_api_request(request: HttpRequest) -> bool:
    return (
        request.path_info.startswith(_API_PREFIXES)
        and request.META.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer "
    )


class _BrowserOnly:
    get_response: Any
    async_mode: bool

    def __call__(self, request: HttpRequest) -> Any:
        # Served asynchronously (ASGI), Django's own call handles it as before. `async_mode`
        # is Django's own answer, found once (`MiddlewareMixin.__init__`).
        if not self.async_mode and is_bearer_api_request(request):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class SessionMiddleware(_BrowserOnly, _Sessions):
    pass


class AuthenticationMiddleware(_BrowserOnly, _Authentication):
    pass


class MessageMiddleware(_BrowserOnly, _Messages):
    pass
