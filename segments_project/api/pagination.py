"""The vendor's list format: `pageNumber`/`pageSize`, plain JSON arrays, `X-Total-Count`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict

from segments_project.errors import ErrorDetail, ValidationFailed

DEFAULT_PAGE_SIZE = 60
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class PageRequest:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def _positive_int(params: QueryDict, name: str, default: int, maximum: int | None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        limit = f" and at most {maximum}" if maximum else ""
        message = f"{name} must be a whole number of at least 1{limit}."
        raise ValidationFailed(message, details=[ErrorDetail(name, "invalid", message)])
    return value


def page_request(params: QueryDict, *, default_size: int = DEFAULT_PAGE_SIZE) -> PageRequest:
    size = _positive_int(params, "pageSize", default_size, MAX_PAGE_SIZE)
    number = _positive_int(params, "pageNumber", 1, 1_000_000)
    return PageRequest(number=number, size=size)


def wants_total_count(headers: Any) -> bool:
    return str(headers.get("X-Total-Count", "")).strip().lower() == "true"


def paginate(queryset: QuerySet, page: PageRequest) -> list[Any]:
    return list(queryset[page.offset : page.offset + page.size])
