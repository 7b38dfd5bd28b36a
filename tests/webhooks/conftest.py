"""Fixtures of the webhook tests: a manager token, local receivers, permissive sending."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from segments_project.tenancy import scopes

from ..conftest import Caller
from .receiver import Receiver

WEBHOOK_SCOPES = frozenset({scopes.WEBHOOK_MANAGE, scopes.WEBHOOK_READ})


@pytest.fixture
def webhook_manager(issue_token) -> Caller:
    return Caller(issue_token(granted=WEBHOOK_SCOPES))


@pytest.fixture
def local_delivery(settings) -> None:
    """Lets subscriptions use http://127.0.0.1 and deliveries reach it (the tests' receivers
    are local); production refuses both."""
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    """Started receivers, stopped at the end: `receivers.append(Receiver(...).start())`."""
    started: list[Receiver] = []
    yield started
    for receiver in started:
        receiver.stop()
