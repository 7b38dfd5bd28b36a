"""What the segments app shows from the apps above it (which it cannot import).

`PREVIEW_PANELS`: each hook takes the preview's scope (a `StorefrontScope`: whose
storefront, on which site, at which moment) and returns one `PreviewPanel` for the admin's
storefront preview, rendered after the products. Connected by coupons (the coupons the
customer could redeem).

`SEGMENT_PAGE_PANELS`: each hook takes a stored segment and returns one `PreviewPanel`
shown on the segment's change page, after its fields. Connected by coupons (the coupons
restricted to the segment).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from segments_project.registry import Hooks


class PreviewScope(Protocol):
    """The parts of `segments.selectors.storefront_scope.StorefrontScope` a panel may read."""

    @property
    def tenant(self) -> str: ...
    @property
    def customer_id(self) -> str | None: ...
    @property
    def legal_entity_id(self) -> str | None: ...
    @property
    def site_code(self) -> str | None: ...
    @property
    def at(self) -> datetime: ...


@dataclass(frozen=True)
class PreviewPanel:
    """A part of the preview page (or of a segment's page): `template` is rendered with
    `panel` set to `context`. `name` is the key under which the preview's result also
    carries the context."""

    name: str
    template: str
    context: dict[str, Any]


PREVIEW_PANELS: Hooks[Callable[[PreviewScope], PreviewPanel]] = Hooks(
    "segments.preview_panels", provided_by=("coupons",)
)


class SegmentOnPage(Protocol):
    """The parts of a stored `segments.models.Segment` a segment page panel may read."""

    @property
    def tenant_id(self) -> str: ...
    @property
    def public_id(self) -> str: ...


SEGMENT_PAGE_PANELS: Hooks[Callable[[SegmentOnPage], PreviewPanel]] = Hooks(
    "segments.segment_page_panels", provided_by=("coupons",)
)
