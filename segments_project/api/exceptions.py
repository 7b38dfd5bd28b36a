"""One exception handler: every API error becomes the vendor's error JSON."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from segments_project.admin_errors import admin_error_page, is_admin_request
from segments_project.errors import ApplicationError, ErrorDetail

logger = logging.getLogger("segments_project.api")

ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)

# How long a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE_MESSAGE = "The service is temporarily unavailable."

UNAUTHORIZED_BODY = {
    "fault": {
        "faultstring": "Invalid access token",
        "detail": {"errorcode": "oauth.v2.InvalidAccessToken"},
    }
}


def error_body(
    status: int,
    message: str,
    *,
    resource_id: str | None = None,
    details: list[ErrorDetail] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    if resource_id is not None:
        body["resourceId"] = resource_id
    if details:
        body["details"] = [detail.as_dict() for detail in details]
    return body


def _drf_details(detail: Any, prefix: str = "") -> list[ErrorDetail]:
    """Flattens DRF's nested error structure into `field/type/message` entries."""
    if isinstance(detail, dict):
        found: list[ErrorDetail] = []
        for key, value in detail.items():
            field = f"{prefix}.{key}" if prefix else str(key)
            found.extend(_drf_details(value, "" if key == "non_field_errors" else field))
        return found
    if isinstance(detail, list):
        found = []
        for index, value in enumerate(detail):
            nested = isinstance(value, dict | list)
            found.extend(_drf_details(value, f"{prefix}[{index}]" if nested else prefix))
        return found
    code = getattr(detail, "code", "invalid")
    return [ErrorDetail(field=prefix or "body", type=str(code), message=str(detail))]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Maps domain, Django and DRF exceptions to responses; logs and hides the unexpected."""
    for exception_types, convert in _CONVERTERS:
        if isinstance(exc, exception_types):
            return convert(exc)
    return _unexpected_error(exc)


def _application_error(exc: ApplicationError) -> Response:
    """A domain error: its own status, message, resource id and details."""
    return Response(
        error_body(exc.status_code, exc.message, resource_id=exc.resource_id, details=exc.details),
        status=exc.status_code,
    )


def _unauthorized(exc: drf.APIException) -> Response:
    """Missing or bad credentials: the vendor's OAuth fault body and a Bearer challenge."""
    response = Response(UNAUTHORIZED_BODY, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _not_found(exc: Exception) -> Response:
    """A 404 that says nothing about why (missing, or another tenant's)."""
    return Response(error_body(404, "The resource has not been found."), status=404)


def _forbidden(exc: Exception) -> Response:
    """A 403 with the vendor's wording."""
    message = "The access to the requested resource has been forbidden by the server."
    return Response(error_body(403, message), status=403)


def _django_validation_error(exc: DjangoValidationError) -> Response:
    """A 400 from `full_clean()`: every message, with one detail per field message."""
    details = (
        [
            ErrorDetail(field=field, type="invalid", message=str(message))
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
        if hasattr(exc, "error_dict")
        else []
    )
    return Response(error_body(400, "; ".join(exc.messages), details=details), status=400)


def _too_large(exc: RequestDataTooBig) -> Response:
    """A 413 for a body over Django's upload limit."""
    return Response(error_body(413, "The request body is too large."), status=413)


def _parse_error(exc: drf.ParseError) -> Response:
    """A 400 for a body the parser could not read, naming the parser's complaint."""
    return Response(error_body(400, f"Malformed request body: {exc.detail}"), status=400)


def _drf_validation_error(exc: drf.ValidationError) -> Response:
    """A 400 for a serializer's errors, flattened into `details`."""
    details = _drf_details(exc.detail)
    return Response(
        error_body(400, "Validation problem with request body.", details=details), status=400
    )


def _throttled(exc: drf.Throttled) -> Response:
    """A 429, with `Retry-After` in whole seconds (rounded up) when the wait is known."""
    response = Response(error_body(429, "Too many requests."), status=429)
    if exc.wait is not None:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


def _api_exception(exc: drf.APIException) -> Response:
    """Any other DRF error: its own status and detail."""
    return Response(error_body(exc.status_code, str(exc.detail)), status=exc.status_code)


def _unexpected_error(exc: Exception) -> Response:
    """Logs the error with its traceback; answers 503 with `Retry-After` for a database
    outage and a 500 that shows nothing of the error otherwise."""
    if is_database_unavailable(exc):
        logger.exception("Database unavailable")
        return retry_later(Response(error_body(503, DATABASE_UNAVAILABLE_MESSAGE), status=503))
    if isinstance(exc, DatabaseError):
        logger.exception("Database error")
    else:
        logger.exception("Unhandled API error")
    return Response(error_body(500, "An unexpected error occurred."), status=500)


# The first entry whose classes match converts the exception, so every specific DRF error
# comes before `drf.APIException`, the base class of them all.
_CONVERTERS: tuple[tuple[tuple[type[Exception], ...], Callable[[Any], Response]], ...] = (
    ((ApplicationError,), _application_error),
    ((drf.NotAuthenticated, drf.AuthenticationFailed), _unauthorized),
    ((Http404, drf.NotFound), _not_found),
    ((DjangoPermissionDenied, drf.PermissionDenied), _forbidden),
    ((DjangoValidationError,), _django_validation_error),
    ((RequestDataTooBig,), _too_large),
    ((drf.ParseError,), _parse_error),
    ((drf.ValidationError,), _drf_validation_error),
    ((drf.Throttled,), _throttled),
    ((drf.APIException,), _api_exception),
)


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether the error means the database cannot be reached (or dropped the connection)."""
    return isinstance(exc, OperationalError | InterfaceError)


def drop_database_connections() -> None:
    """Closes this thread's database connections after a connection failure, so the next
    request connects afresh instead of reusing a dead socket.

    A connection inside an atomic block is left alone: closing it would break the
    transaction's owner, which rolls back and closes it itself.
    """
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def retry_later(response: ResponseT) -> ResponseT:
    """The 503 of a database outage: drops the dead connections, tells when to retry."""
    drop_database_connections()
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def json_error_response(request: HttpRequest, status: int, message: str) -> JsonResponse:
    return JsonResponse(error_body(status, message), status=status)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_admin_request(request):
        return admin_error_page(request, 404)
    return json_error_response(request, 404, "The resource has not been found.")


def handler500(request: HttpRequest) -> JsonResponse:
    """Errors outside DRF views: the token endpoint, the admin, middleware.

    Django calls this while it handles the exception, without passing it, so the exception
    in flight tells a database outage (503, retry later) from a bug (500).
    """
    if is_database_unavailable(sys.exception()):
        return retry_later(json_error_response(request, 503, DATABASE_UNAVAILABLE_MESSAGE))
    return json_error_response(request, 500, "An unexpected error occurred.")


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return json_error_response(request, 400, "Bad request.")


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """JSON for the API; the admin's own page for the admin console (`admin_errors`)."""
    if is_admin_request(request):
        return admin_error_page(request, 403)
    return json_error_response(request, 403, "Forbidden.")
