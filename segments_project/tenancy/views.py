"""The OAuth2 token endpoint, answering errors in the service's JSON shape."""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.views import TokenView

ERROR_MESSAGES = {
    "invalid_client": "Invalid client credentials.",
    "unsupported_grant_type": "Only the client_credentials grant is supported.",
    "invalid_scope": "A requested scope is not granted to this client.",
}


@method_decorator(csrf_exempt, name="dispatch")
class TenantTokenView(TokenView):
    """django-oauth-toolkit's token view; failures become `{code, status, message}` JSON."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        if response.status_code < 400:
            return response
        try:
            oauth_error = json.loads(response.content or b"{}")
        except ValueError:
            oauth_error = {}
        error = oauth_error.get("error", "invalid_request")
        status = response.status_code
        body = {
            "code": status,
            "status": HTTPStatus(status).phrase,
            "message": oauth_error.get("error_description") or ERROR_MESSAGES.get(error, error),
            "error": error,
        }
        wrapped = HttpResponse(json.dumps(body), status=status, content_type="application/json")
        for header in ("WWW-Authenticate", "Cache-Control", "Pragma"):
            if header in response:
                wrapped[header] = response[header]
        return wrapped
