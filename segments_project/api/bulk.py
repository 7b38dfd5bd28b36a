"""Bulk requests: at most 200 elements, answered 207 with one entry per element."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from segments_project.errors import ApplicationError, ErrorDetail, ValidationFailed

from .documents import clean_id, invalid

MAX_BULK_ELEMENTS = 200


def status_text(code: int) -> str:
    """The reason phrase of an entry's code (204 is "No Content"), as error bodies say it."""
    return HTTPStatus(code).phrase


# (index, element) -> (code, id) of the element's entry, or a raised domain error
ElementFn = Callable[[int, Any], tuple[int, str | None]]


@dataclass(frozen=True)
class BulkEntry:
    index: int
    code: int
    id: str | None = None
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"index": self.index}
        if self.id is not None:
            entry["id"] = self.id
        entry["code"] = self.code
        entry["status"] = status_text(self.code)
        if self.message:
            entry["message"] = self.message
        return entry


def bulk_elements(data: Any) -> list[Any]:
    """The request's elements, or a 400 when the body is not an array within the limit."""
    if not isinstance(data, list):
        message = "The request body must be a JSON array."
        raise ValidationFailed(message, details=[ErrorDetail("body", "invalid", message)])
    if len(data) > MAX_BULK_ELEMENTS:
        message = (
            f"At most {MAX_BULK_ELEMENTS} elements are allowed in one request, got {len(data)}."
        )
        raise ValidationFailed(message, details=[ErrorDetail("body", "max_size", message)])
    return data


def run_bulk(elements: list[Any], apply: ElementFn) -> list[BulkEntry]:
    """Applies each element on its own; `apply` returns (code, id) or raises a domain error.

    Each element is its own transaction (the service's), so one bad element never stops
    or undoes the others.
    """
    entries = []
    for index, element in enumerate(elements):
        try:
            code, resource_id = apply(index, element)
            entries.append(BulkEntry(index=index, code=code, id=resource_id))
        except ApplicationError as exc:
            entries.append(
                BulkEntry(
                    index=index, code=exc.status_code, id=exc.resource_id, message=_message(exc)
                )
            )
    return entries


def upsert_element(
    label: str,
    upsert: Callable[[str, dict[str, Any]], tuple[Any, bool]],
    *,
    create: Callable[[dict[str, Any]], Any] | None = None,
) -> ElementFn:
    """The element function of a bulk PUT: an element with an `id` goes to `upsert(id, element)`
    (201 or 204), one without to `create(element)` (201), or is a 400 when there is no `create`.

    Both return the stored row; its `public_id` is the entry's id.
    """
    shape = "a JSON object" if create else "a JSON object with an id"

    def apply(index: int, element: Any) -> tuple[int, str]:
        if not isinstance(element, dict):
            raise invalid("body", f"A {label} must be {shape}.")
        if element.get("id") is None:
            if create is None:
                raise invalid("id", "id is required.", type="required")
            return 201, create(element).public_id
        row, created = upsert(clean_id(element["id"]), element)
        return (201 if created else 204), row.public_id

    return apply


def _message(exc: ApplicationError) -> str:
    if not exc.details:
        return exc.message
    fields = "; ".join(f"{detail.field}: {detail.message}" for detail in exc.details)
    return fields if exc.message in fields else f"{exc.message} ({fields})"
