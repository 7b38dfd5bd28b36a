"""A write whose authentication fails is not authenticated a second time afterwards."""

from __future__ import annotations

from django.db import OperationalError

from segments_project.tenancy.authentication import BearerTokenAuthentication
from tests.conftest import TENANT, Caller


def test_a_database_error_during_authentication_is_one_attempt_and_a_503(db, monkeypatch):
    attempts = []

    def unreachable(self, request):
        attempts.append(request.path)
        raise OperationalError("connection refused")

    monkeypatch.setattr(BearerTokenAuthentication, "authenticate", unreachable)

    response = Caller("some-token").put(
        f"/customer-segment/{TENANT}/segments/gold", {"name": {"en": "Gold"}}, check_schema=False
    )

    assert response.status_code == 503
    assert response["Retry-After"]
    assert len(attempts) == 1
