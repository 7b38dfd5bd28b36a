"""One structured log line per request: who called what, the answer and how long it took.

Never logs headers, bodies or query strings, so no token, secret or customer data ends up
in the logs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from segments_project.tenancy.principal import Principal

logger = logging.getLogger("segments_project.requests")


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        # DRF stores its Principal on the request; anything else there is the session's lazy
        # user, which this line must not load (a query, and during an outage an error).
        principal = request.__dict__.get("user")
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        if type(principal) is Principal:
            fields.update(tenant=principal.tenant, client_id=principal.client_id)
            if principal.customer_id:
                fields["customer_token"] = True
        logger.info("request", extra=fields)
        return response
