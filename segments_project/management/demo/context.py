"""What the demo steps share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from segments_project.errors import ApplicationError

DEMO_TENANT = "demo"


@dataclass
class DemoContext:
    """The tenant and the credentials read from (and saved to) the credentials file."""

    tenant: str
    credentials: dict[str, str]


# A step loads one kind of demo data and returns a short line saying what it did.
DemoStep = Callable[[DemoContext], str]


class Outcome(Protocol):
    """One element's outcome of a bulk service (items, members, products in categories)."""

    @property
    def code(self) -> int: ...

    @property
    def error(self) -> ApplicationError | None: ...


def created_count(outcomes: Sequence[Outcome]) -> int:
    """How many elements a bulk upsert created (201); the demo's elements must all pass, so
    the first refused one is raised."""
    for outcome in outcomes:
        if outcome.error is not None:
            raise outcome.error
    return sum(outcome.code == 201 for outcome in outcomes)


def summary(noun: str, total: int, created: int) -> str:
    """The line a step prints: `36 products: 0 created`."""
    return f"{total} {noun}: {created} created"
