"""Anonymous logins and refreshes racing each other and the client's changes (PostgreSQL):
two refreshes with one refresh token give one new pair; a deletion or unmarking of the
client during a login waits for it, then ends its session."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from oauth2_provider.models import get_access_token_model

from segments_project.tenancy import anonymous
from segments_project.tenancy.anonymous import (
    InvalidRefreshToken,
    anonymous_login,
    anonymous_refresh,
)
from segments_project.tenancy.models import AnonymousSession
from segments_project.tenancy.services import api_client_delete, api_client_update

from ..concurrency import run_concurrently
from ..conftest import SECRET, TENANT
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


@pytest.mark.parametrize("change", ["delete", "unmark"])
def test_a_deletion_or_unmarking_during_a_login_waits_and_then_ends_its_session(
    monkeypatch, change
):
    """The client is deleted (or unmarked) while a login holds it: the change waits for the
    login to commit, then takes the new session and token with it."""
    make_storefront_client()
    locked = anonymous._storefront_client_locked
    changer: list[threading.Thread] = []
    outcome: dict[str, object] = {}

    def change_client() -> None:
        try:
            if change == "delete":
                api_client_delete(tenant=TENANT, client_id=STOREFRONT_CLIENT)
            else:
                api_client_update(
                    tenant=TENANT, client_id=STOREFRONT_CLIENT, client_secret=SECRET,
                    storefront=False,
                )  # fmt: skip
            outcome["done"] = True
        except Exception as exc:  # asserted on below
            outcome["error"] = exc
        finally:
            connections.close_all()

    def locked_then_changed(**kwargs):
        client = locked(**kwargs)
        changer.append(threading.Thread(target=change_client))
        changer[0].start()
        time.sleep(0.5)  # the change is now waiting for the client's row lock
        assert "done" not in outcome
        return client

    monkeypatch.setattr(anonymous, "_storefront_client_locked", locked_then_changed)

    issued = anonymous_login(tenant=TENANT, client_id=STOREFRONT_CLIENT)
    changer[0].join()

    assert issued.access_token
    assert outcome == {"done": True}
    assert not AnonymousSession.objects.exists()
    assert not get_access_token_model().objects.exists()
