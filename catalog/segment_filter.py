"""The hook through which the segments app tells the catalog which categories segments hold.

The catalog sits below the segments app and cannot import it; the segments app registers
a provider here from its `AppConfig.ready()`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

# (tenant, segment ids) -> the Category rows assigned to any of those segments.
SegmentCategories = Callable[[str, list[str]], QuerySet]

_provider: SegmentCategories | None = None


def register_segment_categories(provider: SegmentCategories) -> None:
    global _provider
    _provider = provider


def categories_of_segments(tenant: str, segment_ids: list[str]) -> QuerySet:
    if _provider is None:
        raise RuntimeError("No segments app registered a segment category provider.")
    return _provider(tenant, segment_ids)
