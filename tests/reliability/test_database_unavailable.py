"""A database that cannot be reached answers 503 JSON with Retry-After wherever the request
fails (authentication, a view, the token endpoint, middleware), drops the broken connection
and serves the next request; other errors stay a bare 500.

The outage is simulated by a cursor that raises OperationalError; the real one (PostgreSQL
stopped under load) is `test_postgres_restart.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.db import InterfaceError, OperationalError, connections
from django.db.backends.utils import CursorWrapper
from django.http import HttpRequest, HttpResponse
from django.test import Client

from segments.models import Segment
from tests.conftest import SECRET, TENANT
from tests.segments.factories import make_segment

SEGMENTS = f"/customer-segment/{TENANT}/segments"
UNAVAILABLE = {
    "code": 503,
    "status": "Service Unavailable",
    "message": "The service is temporarily unavailable.",
}


class FailingMiddleware:
    """Stands in for a middleware whose database work fails."""

    error: Exception = OperationalError("connection to server was lost")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raise self.error


class Outage:
    """Makes queries fail as when the database server is gone: every query, or only those
    naming `table`, until `end()`."""

    def __init__(self, patcher: pytest.MonkeyPatch) -> None:
        self.patcher = patcher

    def begin(self, table: str = "", error: Exception | None = None) -> None:
        real_execute = CursorWrapper.execute

        def execute(cursor, sql, params=None):
            if table in sql:
                raise error or OperationalError("server closed the connection unexpectedly")
            return real_execute(cursor, sql, params)

        self.patcher.setattr(CursorWrapper, "execute", execute)

    def end(self) -> None:
        self.patcher.undo()


@pytest.fixture
def outage(db) -> Iterator[Outage]:
    """Depends on `db` so that the outage ends before the test database is torn down."""
    with pytest.MonkeyPatch.context() as patcher:
        yield Outage(patcher)


def _client() -> Client:
    """A test client that answers as the server would instead of re-raising the error."""
    return Client(raise_request_exception=False)


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "5"


def test_an_outage_during_token_authentication_answers_503(issue_token, outage):
    token = issue_token()
    outage.begin()

    response = _client().get(SEGMENTS, HTTP_AUTHORIZATION=f"Bearer {token}")

    _assert_unavailable(response)


@pytest.mark.parametrize("error", [OperationalError("gone"), InterfaceError("closed")])
def test_an_outage_inside_a_view_answers_503(issue_token, outage, error):
    token = issue_token()
    make_segment(TENANT, "gold")
    outage.begin(table=Segment._meta.db_table, error=error)

    response = _client().get(SEGMENTS, HTTP_AUTHORIZATION=f"Bearer {token}")

    _assert_unavailable(response)


def test_an_outage_at_the_token_endpoint_answers_503(issue_token, outage):
    issue_token()  # registers the client acme-client-0
    outage.begin()
    form = {
        "grant_type": "client_credentials",
        "client_id": f"{TENANT}-client-0",
        "client_secret": SECRET,
    }

    response = _client().post("/oauth/token", form)

    _assert_unavailable(response)


def test_an_outage_in_the_admin_answers_503(admin_client, outage):
    outage.begin()

    admin_client.raise_request_exception = False
    response = admin_client.get("/admin/")

    _assert_unavailable(response)


def test_an_outage_in_middleware_answers_503(db, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.FailingMiddleware"]

    response = _client().get(SEGMENTS)

    _assert_unavailable(response)


def test_any_other_error_in_middleware_stays_a_bare_500(db, settings, monkeypatch):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.FailingMiddleware"]
    monkeypatch.setattr(FailingMiddleware, "error", RuntimeError("a bug"))

    response = _client().get(SEGMENTS)

    assert response.status_code == 500
    assert response.json()["message"] == "An unexpected error occurred."
    assert "Retry-After" not in response


@pytest.mark.django_db(transaction=True)
def test_the_failed_connection_is_closed_and_the_next_request_reconnects(
    issue_token, outage, monkeypatch
):
    token = issue_token()
    wrapper_class = type(connections["default"])
    real_close = wrapper_class.close
    closed: list[str] = []

    def close(self) -> None:
        closed.append(self.alias)
        real_close(self)

    monkeypatch.setattr(wrapper_class, "close", close)
    outage.begin()
    _assert_unavailable(_client().get(SEGMENTS, HTTP_AUTHORIZATION=f"Bearer {token}"))
    assert "default" in closed
    outage.end()

    response = _client().get(SEGMENTS, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200, response.content
