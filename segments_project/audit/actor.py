"""Who is acting right now: the API client or customer, the admin user, or the command.

The entry points set the actor once (`acting_as`); the write services read it through
`record`, so a service never takes the actor as a parameter. A context variable keeps
concurrent requests (threads, asyncio tasks) apart. Nothing set means `system`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

from django.db import models


class ActorKind(models.TextChoices):
    CLIENT = "client", "API client"
    CUSTOMER = "customer", "Customer"
    ADMIN = "admin", "Admin user"
    COMMAND = "command", "Management command"
    SYSTEM = "system", "System"


@dataclass(frozen=True)
class Actor:
    kind: str
    name: str
    request_id: str = ""


SYSTEM = Actor(kind=ActorKind.SYSTEM, name="")

_current: ContextVar[Actor] = ContextVar("audit_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


def set_actor(actor: Actor) -> Token[Actor]:
    """Sets the actor until `reset_actor(token)`; for hooks that cannot use a `with` block."""
    return _current.set(actor)


def reset_actor(token: Token[Actor]) -> None:
    _current.reset(token)


@contextmanager
def acting_as(kind: str, actor: str, *, request_id: str = "") -> Iterator[Actor]:
    """Everything recorded inside the block is attributed to `actor` of `kind`."""
    token = set_actor(Actor(kind=ActorKind(kind), name=actor, request_id=request_id))
    try:
        yield _current.get()
    finally:
        reset_actor(token)
