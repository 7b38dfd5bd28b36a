"""One status vocabulary for everything with a switch and a validity window (segments,
coupons): Active, Scheduled, Expired, Inactive, decided here for every list, page and
filter of the admin.

The API keeps its own words (a segment's `status`, a coupon's derived `status`); the admin
shows them in the badge's title.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import admin
from django.db.models import Q, QuerySet, TextChoices
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html


class Lifecycle(TextChoices):
    ACTIVE = "active", "Active"
    SCHEDULED = "scheduled", "Scheduled"
    EXPIRED = "expired", "Expired"
    INACTIVE = "inactive", "Inactive"
    # Coupons only: every allowed redemption was made.
    USED_UP = "used", "Used up"


MEANINGS = {
    Lifecycle.ACTIVE: "switched on and valid now",
    Lifecycle.SCHEDULED: "switched on, not yet valid: its validity starts later",
    Lifecycle.EXPIRED: "its validity has ended",
    Lifecycle.INACTIVE: "switched off",
    Lifecycle.USED_UP: "every allowed redemption has been made",
}


def lifecycle(
    *,
    switched_on: bool,
    valid_from: datetime | None,
    valid_to: datetime | None,
    at: datetime,
    used_up: bool = False,
) -> Lifecycle:
    """Where the thing stands at `at`; the window's ends belong to it, as in the
    storefront's `SegmentQuerySet.valid_at` and the coupon's redemption check."""
    if not switched_on:
        return Lifecycle.INACTIVE
    if valid_from is not None and valid_from > at:
        return Lifecycle.SCHEDULED
    if valid_to is not None and valid_to < at:
        return Lifecycle.EXPIRED
    if used_up:
        return Lifecycle.USED_UP
    return Lifecycle.ACTIVE


def lifecycle_q(
    status: str,
    *,
    at: datetime,
    switched_on: Q,
    valid_from: str = "valid_from",
    valid_to: str = "valid_to",
    used_up: Q | None = None,
) -> Q:
    """The rows `lifecycle` puts in `status` at `at`, as one filter (fields named)."""
    scheduled = Q(**{f"{valid_from}__gt": at})
    expired = Q(**{f"{valid_to}__lt": at})
    in_window = ~scheduled & ~expired
    used = used_up if used_up is not None else Q(pk__in=[])
    conditions = {
        Lifecycle.INACTIVE: ~switched_on,
        Lifecycle.SCHEDULED: switched_on & scheduled,
        Lifecycle.EXPIRED: switched_on & ~scheduled & expired,
        Lifecycle.USED_UP: switched_on & in_window & used,
        Lifecycle.ACTIVE: switched_on & in_window & ~used,
    }
    return conditions[Lifecycle(status)]


def lifecycle_badge(status: Lifecycle, *, api_status: str = "") -> str:
    """The status as a coloured badge; its title says what it means (and the API's word)."""
    title = MEANINGS[status] + (f" (API status {api_status})" if api_status else "")
    return format_html(
        '<span class="seg-badge seg-{}" title="{}">{}</span>', status.value, title, status.label
    )


class LifecycleFilter(admin.SimpleListFilter):
    """The list filter of the vocabulary; a subclass says how rows are switched on
    (`switched_on`), which fields hold the window and which statuses it offers."""

    title = "status"
    parameter_name = "lifecycle"
    statuses: tuple[Lifecycle, ...] = (
        Lifecycle.ACTIVE,
        Lifecycle.SCHEDULED,
        Lifecycle.EXPIRED,
        Lifecycle.INACTIVE,
    )
    switched_on: Q = Q()
    valid_from = "valid_from"
    valid_to = "valid_to"
    used_up: Q | None = None

    def lookups(self, request: HttpRequest, model_admin: object) -> list[tuple[str, str]]:
        return [(status.value, status.label) for status in self.statuses]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in {status.value for status in self.statuses}:
            return queryset
        return queryset.filter(
            lifecycle_q(
                self.value(),
                at=timezone.now(),
                switched_on=self.switched_on,
                valid_from=self.valid_from,
                valid_to=self.valid_to,
                used_up=self.used_up,
            )
        )
