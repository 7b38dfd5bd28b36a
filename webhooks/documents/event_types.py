"""The event types a subscription may name, and the patterns (`segment.member.*`) that
stand for several of them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from segments_project.api.documents import invalid
from segments_project.events.types import EventType

# The types the outbox emits (docs/events.md, "Event types").
KNOWN_EVENT_TYPES: tuple[str, ...] = tuple(EventType)
# A type, or a prefix of whole words followed by `.*`, or `*` alone.
_PATTERN = re.compile(r"^(\*|[a-z]+(\.[a-z]+)*(\.\*)?)$")
MAX_PATTERNS = 50


def pattern_matches(pattern: str, event_type: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


def clean_event_types(value: object) -> list[str]:
    """A non-empty list of distinct patterns, each matching at least one known type."""
    if not isinstance(value, list) or not value:
        raise invalid("eventTypes", "eventTypes must be a non-empty array of event types.")
    if len(value) > MAX_PATTERNS:
        raise invalid("eventTypes", f"eventTypes holds at most {MAX_PATTERNS} entries.")
    cleaned: list[str] = []
    for pattern in value:
        if not isinstance(pattern, str) or not _PATTERN.match(pattern):
            raise invalid(
                "eventTypes",
                f"{pattern!r} is not an event type nor a pattern such as segment.member.*.",
            )
        if not any(pattern_matches(pattern, known) for known in KNOWN_EVENT_TYPES):
            raise invalid(
                "eventTypes",
                f"{pattern} matches no event type; known types: {', '.join(KNOWN_EVENT_TYPES)}.",
                type="unknown",
            )
        if pattern not in cleaned:
            cleaned.append(pattern)
    return cleaned


class TypeMatcher:
    """Whether an event type is one a subscription's patterns name (memoized per type)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = tuple(patterns)
        self._answers: dict[str, bool] = {}

    def __call__(self, event_type: str) -> bool:
        answer = self._answers.get(event_type)
        if answer is None:
            answer = any(pattern_matches(p, event_type) for p in self._patterns)
            self._answers[event_type] = answer
        return answer
