"""The query parameters of the changes feed (`GET /events`), as a django-filter filter set."""

from __future__ import annotations

from segments_project.api.filters import QueryFilterSet, StringParameter
from segments_project.events.feed import cursor_decode
from segments_project.events.models import Event


def _types(raw: str, name: str) -> list[str]:
    return [pattern.strip() for pattern in raw.split(",") if pattern.strip()]


def _cursor(raw: str, name: str) -> str:
    cursor_decode(raw)  # a 400 now for a cursor this feed never gave
    return raw


class EventFeedFilterSet(QueryFilterSet):
    """Where to continue from and which event types to answer."""

    after = StringParameter(
        parse=_cursor,
        help_text="The cursor the previous page answered with (X-Next-Cursor); absent: from "
        "the oldest retained event.",
    )
    types = StringParameter(
        parse=_types,
        help_text="Comma-separated event types, or `prefix.*` patterns "
        "(`segment.member.*,coupon.redeemed`); absent: every type.",
    )

    class Meta:
        model = Event
        fields = ()
