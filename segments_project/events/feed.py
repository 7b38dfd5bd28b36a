"""The changes feed: a tenant's events in commit order, after an opaque cursor.

A cursor stands for a `position`: the answer holds the events above it, and the cursor to
continue from. Positions are global (every tenant's events share them), so a tenant's
positions have gaps; a cursor below what retention deleted for the tenant is gone (410).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q

from segments_project.errors import ErrorDetail, Gone, ValidationFailed

from .models import Event, EventPruning, EventSequencer
from .sequencing import events_sequence
from .types import EventType

_PREFIX = "v1:"


def cursor_encode(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{position}".encode()).decode().rstrip("=")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[ErrorDetail(field, "invalid", message)])


def cursor_decode(cursor: str) -> int:
    """The position of a cursor this feed gave; a 400 for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not number.isdigit() or len(number) > 18:
        raise _invalid("after", "after must be a cursor this feed answered with.")
    return int(number)


def types_condition(patterns: Sequence[str]) -> Q:
    """The events of the types named: exact types, or `prefix.*` for every type under the
    prefix (`segment.member.*`). A 400 naming a pattern that matches no event type."""
    condition = Q()
    for pattern in patterns:
        if pattern.endswith(".*"):
            prefix = pattern[:-1]
            matched = [kind for kind in EventType if kind.startswith(prefix)]
        else:
            matched = [kind for kind in EventType if kind == pattern]
        if not matched:
            known = ", ".join(EventType)
            raise _invalid("types", f"types: {pattern!r} is no event type ({known}, or prefix.*).")
        condition |= Q(type__in=matched)
    return condition


@dataclass(frozen=True)
class FeedPage:
    events: list[Event]
    cursor: str


def events_feed(
    *, tenant: str, after: str | None, types: Sequence[str] = (), size: int
) -> FeedPage:
    """Up to `size` of the tenant's events above the cursor (from the oldest kept without
    one), in position order, with the cursor to continue from.

    Numbers the committed events first, so the page holds everything committed so far.
    410 when retention deleted events above the cursor."""
    condition = types_condition(types) if types else Q()
    position = None if after is None else cursor_decode(after)
    events_sequence()
    if position is None:
        position = _pruned_through(tenant)
    # Read before the events: every position up to it is committed and numbered, so a page
    # that is not full may move the cursor there without skipping an event numbered later.
    last_numbered = next(iter(EventSequencer.objects.values_list("last_position", flat=True)), 0)
    events = list(
        Event.objects.filter(condition, tenant_id=tenant, position__gt=position).order_by(
            "position"
        )[:size]
    )
    # After the events: retention that committed before they were read is seen here.
    if position < _pruned_through(tenant):
        raise Gone(
            "The cursor is older than the oldest retained event; start again without after.",
            details=[ErrorDetail("after", "gone", "Events after this cursor were deleted.")],
        )
    if len(events) == size:
        next_position = events[-1].position
    else:
        next_position = max(position, last_numbered, *(event.position for event in events[-1:]))
    return FeedPage(events=events, cursor=cursor_encode(next_position))


def _pruned_through(tenant: str) -> int:
    pruned = EventPruning.objects.filter(tenant_id=tenant).values_list("pruned_through", flat=True)
    return next(iter(pruned), 0)
