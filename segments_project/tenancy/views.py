"""The OAuth2 token endpoint, answering errors in the service's JSON shape."""

from __future__ import annotations

import base64
import binascii
import json
from http import HTTPStatus
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider.views import TokenView

ERROR_MESSAGES = {
    "invalid_client": "Invalid client credentials.",
    "unsupported_grant_type": "Only the client_credentials grant is supported.",
    "invalid_scope": "A requested scope is not granted to this client.",
}


def _basic_credentials(request: HttpRequest) -> str:
    """The decoded `Authorization: Basic` credentials as django-oauth-toolkit reads them
    (empty when there are none or they do not decode)."""
    kind, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() != "basic":
        return ""
    try:
        return unquote_plus(base64.b64decode(encoded).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError):
        return ""


def carries_nul(request: HttpRequest) -> bool:
    """Whether a parameter or the Basic credentials hold a NUL character.

    django-oauth-toolkit looks parameters up in the database and stores some of them (the
    `resource` of a token, for one), and PostgreSQL refuses NUL in text: such a request
    must not reach it.
    """
    texts = [_basic_credentials(request)]
    for params in (request.GET, request.POST):
        for name, values in params.lists():
            texts += [name, *values]
    return any("\x00" in text for text in texts)


def oauth_error_response(status: int, error: str, description: str | None) -> HttpResponse:
    """An OAuth error in the service's `{code, status, message}` JSON, with the OAuth code."""
    body = {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "message": description or ERROR_MESSAGES.get(error, error),
        "error": error,
    }
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


@method_decorator(csrf_exempt, name="dispatch")
class TenantTokenView(TokenView):
    """django-oauth-toolkit's token view; failures become `{code, status, message}` JSON."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if carries_nul(request):
            return oauth_error_response(
                400, "invalid_request", "A parameter contains a NUL character."
            )
        response = super().post(request, *args, **kwargs)
        if response.status_code < 400:
            return response
        try:
            oauth_error = json.loads(response.content or b"{}")
        except ValueError:
            oauth_error = {}
        wrapped = oauth_error_response(
            response.status_code,
            oauth_error.get("error", "invalid_request"),
            oauth_error.get("error_description"),
        )
        for header in ("WWW-Authenticate", "Cache-Control", "Pragma"):
            if header in response:
                wrapped[header] = response[header]
        return wrapped

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(
        self, request: HttpRequest, *args, **kwargs
    ) -> HttpResponse:
        """DOT's, without reading back the token it has just stored to send its
        `app_authorized` signal: nothing here listens to it, and the read is one of the
        few queries a token costs."""
        _, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response
