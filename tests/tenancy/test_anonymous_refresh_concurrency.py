"""Two refreshes with one refresh token at the same moment: one new pair, one refusal (the
session row is locked, so the second finds the token rotated away)."""

from __future__ import annotations

import pytest
from django.db import connection
from oauth2_provider.models import get_access_token_model

from segments_project.tenancy.anonymous import (
    InvalidRefreshToken,
    anonymous_login,
    anonymous_refresh,
)
from segments_project.tenancy.models import AnonymousSession

from ..concurrency import run_concurrently
from ..conftest import TENANT
from .visitors import STOREFRONT_CLIENT, make_storefront_client

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]

REFRESHERS = 4


def test_a_refresh_token_is_used_once_however_many_refresh_at_once():
    make_storefront_client()
    issued = anonymous_login(tenant=TENANT, client_id=STOREFRONT_CLIENT)

    outcomes = run_concurrently(
        lambda _: anonymous_refresh(
            tenant=TENANT, client_id=STOREFRONT_CLIENT, refresh_token=issued.refresh_token
        ),
        REFRESHERS,
    )

    refused = [outcome for outcome in outcomes if isinstance(outcome, InvalidRefreshToken)]
    granted = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    assert (len(granted), len(refused)) == (1, REFRESHERS - 1), outcomes
    session = AnonymousSession.objects.get()
    assert str(session.session_id) == granted[0].session_id == issued.session_id
    assert get_access_token_model().objects.count() == 1
