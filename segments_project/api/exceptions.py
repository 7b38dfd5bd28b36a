"""One exception handler: every API error becomes the vendor's error JSON.

Converters turn an exception into an `ApiError` (status, message, details); the body is
then shaped for the request path's API family (`error_shapes.error_body`), so every
converter and Django's own error handlers answer each family in its own shape.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
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

from .error_shapes import error_body

logger = logging.getLogger("segments_project.api")

ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)

# How long a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE_MESSAGE = "The service is temporarily unavailable."
NOT_FOUND_MESSAGE = "The resource has not been found."
FORBIDDEN_MESSAGE = "The access to the requested resource has been forbidden by the server."

UNAUTHORIZED_BODY = {
    "fault": {
        "faultstring": "Invalid access token",
        "detail": {"errorcode": "oauth.v2.InvalidAccessToken"},
    }
}


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


@dataclass
class ApiError:
    """What a converter makes of an exception, before it is shaped for the API family."""

    status: int
    message: str
    resource_id: str | None = None
    details: list[ErrorDetail] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Maps domain, Django and DRF exceptions to responses; logs and hides the unexpected."""
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return _unauthorized()
    request = context.get("request")
    error = next(
        (convert(exc) for types, convert in _CONVERTERS if isinstance(exc, types)), None
    ) or _unexpected_error(exc)
    body = error_body(
        error.status,
        error.message,
        path=getattr(request, "path", None),
        resource_id=error.resource_id,
        details=error.details,
    )
    response = Response(body, status=error.status, headers=error.headers)
    return retry_later(response) if error.status == 503 else response


def _unauthorized() -> Response:
    """Missing or bad credentials: the vendor's OAuth fault body and a Bearer challenge."""
    response = Response(UNAUTHORIZED_BODY, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _application_error(exc: ApplicationError) -> ApiError:
    """A domain error: its own status, message, resource id and details."""
    return ApiError(exc.status_code, exc.message, exc.resource_id, list(exc.details))


def _not_found(exc: Exception) -> ApiError:
    """A 404 that says nothing about why (missing, or another tenant's)."""
    return ApiError(404, NOT_FOUND_MESSAGE)


def _forbidden(exc: Exception) -> ApiError:
    """A 403 with the vendor's wording."""
    return ApiError(403, FORBIDDEN_MESSAGE)


def _django_validation_error(exc: DjangoValidationError) -> ApiError:
    """A 400 from `full_clean()`: every message, with one detail per field message."""
    details = (
        [
            ErrorDetail(field=name, type="invalid", message=str(message))
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
        if hasattr(exc, "error_dict")
        else []
    )
    return ApiError(400, "; ".join(exc.messages), details=details)


def _too_large(exc: RequestDataTooBig) -> ApiError:
    """A 413 for a body over Django's upload limit."""
    return ApiError(413, "The request body is too large.")


def _parse_error(exc: drf.ParseError) -> ApiError:
    """A 400 for a body the parser could not read, naming the parser's complaint."""
    return ApiError(400, f"Malformed request body: {exc.detail}")


def _drf_validation_error(exc: drf.ValidationError) -> ApiError:
    """A 400 for a serializer's errors, flattened into `details`."""
    return ApiError(400, "Validation problem with request body.", details=_drf_details(exc.detail))


def _throttled(exc: drf.Throttled) -> ApiError:
    """A 429, with `Retry-After` in whole seconds (rounded up) when the wait is known."""
    headers = {} if exc.wait is None else {"Retry-After": str(int(exc.wait) + 1)}
    return ApiError(429, "Too many requests.", headers=headers)


def _api_exception(exc: drf.APIException) -> ApiError:
    """Any other DRF error: its own status and detail."""
    return ApiError(exc.status_code, str(exc.detail))


def _unexpected_error(exc: Exception) -> ApiError:
    """Logs the error with its traceback; a 503 for a database outage (answered with
    `retry_later`) and a 500 that shows nothing of the error otherwise."""
    if is_database_unavailable(exc):
        logger.exception("Database unavailable")
        return ApiError(503, DATABASE_UNAVAILABLE_MESSAGE)
    if isinstance(exc, DatabaseError):
        logger.exception("Database error")
    else:
        logger.exception("Unhandled API error")
    return ApiError(500, "An unexpected error occurred.")


# The first entry whose classes match converts the exception, so every specific DRF error
# comes before `drf.APIException`, the base class of them all.
_CONVERTERS: tuple[tuple[tuple[type[Exception], ...], Callable[[Any], ApiError]], ...] = (
    ((ApplicationError,), _application_error),
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
    """An error outside DRF views, in the shape of the request path's API family."""
    return JsonResponse(error_body(status, message, path=request.path), status=status)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_admin_request(request):
        return admin_error_page(request, 404)
    return json_error_response(request, 404, NOT_FOUND_MESSAGE)


def handler500(request: HttpRequest) -> JsonResponse:
    """Errors outside DRF views: the token endpoint, the admin, middleware.

    Django calls this while it handles the exception, without passing it, so the exception
    in flight tells a database outage (503, retry later) from a bug (500).
    """
    if is_database_unavailable(sys.exception()):
        return retry_later(json_error_response(request, 503, DATABASE_UNAVAILABLE_MESSAGE))
    return json_error_response(request, 500, "An unexpected error occurred.")


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_admin_request(request):
        return admin_error_page(request, 400)
    return json_error_response(request, 400, "Bad request.")


CSRF_REASON = (
    "The form was sent from a page that is no longer valid (your session ended or the page "
    "is outdated). Go back, reload the page and send it again."
)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """`CSRF_FAILURE_VIEW`: an admin form sent with a stale token gets the admin's page with
    what to do; anything else the API's 403."""
    if is_admin_request(request):
        return admin_error_page(request, 403, reason=CSRF_REASON)
    return json_error_response(request, 403, "Forbidden.")


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """JSON for the API; the admin's own page for the admin console (`admin_errors`)."""
    if is_admin_request(request):
        return admin_error_page(request, 403)
    return json_error_response(request, 403, "Forbidden.")
