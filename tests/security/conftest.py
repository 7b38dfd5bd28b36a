"""Fixtures of the security suite: one of everything seeded in tenant acme."""

from __future__ import annotations

import pytest

from .routes import seed_everything


@pytest.fixture
def world(manager) -> dict[str, str]:
    """acme with one of everything (tests/security/routes.py); answers the path values."""
    return seed_everything(manager)
