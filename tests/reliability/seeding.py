"""Test data written through the API of a running server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .http_api import ApiClient

BULK_LIMIT = 200


def _put_bulk(api: ApiClient, path: str, elements: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(elements), BULK_LIMIT):
        answer = api.expect("PUT", path, list(elements[start : start + BULK_LIMIT]), status=207)
        failed = [entry for entry in answer.json() if entry["code"] not in (201, 204)]
        assert not failed, failed


def seed(
    api: ApiClient,
    tenant: str,
    *,
    segment_ids: Sequence[str],
    customer_ids: Sequence[str] = (),
    product_ids: Sequence[str] = (),
) -> None:
    """Creates the segments, customers and products (or leaves them as they are)."""
    segments = [{"id": id_, "name": {"en": id_}, "siteCode": "main"} for id_ in segment_ids]
    _put_bulk(api, f"/customer-segment/{tenant}/segments/bulk", segments)
    customers = [{"id": id_, "firstName": id_} for id_ in customer_ids]
    _put_bulk(api, f"/customer/{tenant}/customers/bulk", customers)
    products = [{"id": id_, "code": id_, "name": {"en": id_}} for id_ in product_ids]
    _put_bulk(api, f"/product/{tenant}/products/bulk", products)
