"""JSON answers for paths under the API prefixes that match no endpoint."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .error_shapes import error_body


@csrf_exempt
def unknown_api_path(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body(404, f"No endpoint at {request.path}.", path=request.path), status=404
    )
