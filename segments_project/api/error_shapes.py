"""The error body of each vendor API family, chosen by the request path's first segment.

The service answers under the paths of several Emporix APIs whose error bodies differ, and
clients parse them (docs/compatibility.md lists where the service departs from a spec):

* customer-segment (and customer, and anything else): `code`, `status` (the reason
  phrase), `message`, optional `resourceId`, optional `details` of `field/type/message`;
* coupon: `status` is the integer code, `type` names the kind of error, `message`,
  optional `details` of `field/type/message` (no `code`, no `resourceId`);
* category: `code`, `status`, `message`, optional `resourceId` and a `details` list of
  strings that is always present;
* product: `code`, `status`, `message`, optional `details` of `field/type/message`, and
  `productId` where the customer-segment shape says `resourceId`.

The 401 body (`fault`) is the same in every family and is not built here.
"""

from __future__ import annotations

import enum
import re
from http import HTTPStatus
from typing import Any

from segments_project.errors import ErrorDetail


class ErrorFamily(enum.StrEnum):
    CUSTOMER_SEGMENT = "customer-segment"
    COUPON = "coupon"
    CATEGORY = "category"
    PRODUCT = "product"


_FAMILY_BY_PREFIX = {
    "coupon": ErrorFamily.COUPON,
    "category": ErrorFamily.CATEGORY,
    "product": ErrorFamily.PRODUCT,
}

# The coupon spec's own error types (its examples); other statuses use their reason phrase.
_COUPON_TYPES = {
    400: "validation_violation",
    403: "insufficient_permissions",
    404: "element_resource_non_existing",
    409: "conflict_resource",
    500: "internal_service_error",
}
_NOT_A_LETTER = re.compile(r"[^a-z]+")


def family_for_path(path: str | None) -> ErrorFamily:
    """The API family of a request path (`/coupon/acme/coupons` is a coupon path)."""
    first = (path or "").lstrip("/").split("/", 1)[0]
    return _FAMILY_BY_PREFIX.get(first, ErrorFamily.CUSTOMER_SEGMENT)


def coupon_error_type(status: int) -> str:
    """The coupon API's `type` of an error status, lowercase with underscores."""
    if status in _COUPON_TYPES:
        return _COUPON_TYPES[status]
    return _NOT_A_LETTER.sub("_", HTTPStatus(status).phrase.lower()).strip("_")


def detail_text(detail: ErrorDetail) -> str:
    """A detail as one string, for the category family whose `details` are strings."""
    return f"{detail.field}: {detail.message}" if detail.field else detail.message


def error_body(
    status: int,
    message: str,
    *,
    path: str | None = None,
    resource_id: str | None = None,
    details: list[ErrorDetail] | None = None,
) -> dict[str, Any]:
    """The error JSON for a request to `path`, in the shape of the path's API family."""
    family = family_for_path(path)
    details = details or []
    if family is ErrorFamily.COUPON:
        body: dict[str, Any] = {
            "status": status,
            "type": coupon_error_type(status),
            "message": message,
        }
    else:
        body = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
        if resource_id is not None:
            body["productId" if family is ErrorFamily.PRODUCT else "resourceId"] = resource_id
    if family is ErrorFamily.CATEGORY:
        body["details"] = [detail_text(detail) for detail in details]
    elif details:
        body["details"] = [detail.rendered() for detail in details]
    return body
