"""Answers every resource shares: a projected document and the 207 of a bulk request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from rest_framework.request import Request
from rest_framework.response import Response

from .bulk import ElementFn, bulk_elements, run_bulk
from .projection import project, requested_fields


class BulkOutcome(Protocol):
    def as_entry(self, index: int) -> dict[str, Any]: ...


def projected(request: Request, document: dict[str, Any]) -> Response:
    """The document reduced to the request's `fields` parameter (all of it without one)."""
    return Response(project(document, requested_fields(request)))


def bulk_response(data: Any, apply: ElementFn) -> Response:
    """Applies `apply` to each element of the bulk body `data`; 207, one entry per element."""
    return Response([entry.as_dict() for entry in run_bulk(bulk_elements(data), apply)], status=207)


def outcomes_response(outcomes: Sequence[BulkOutcome]) -> Response:
    """The 207 of a bulk service that reports one outcome per element, in request order."""
    return Response([outcome.as_entry(index) for index, outcome in enumerate(outcomes)], status=207)
