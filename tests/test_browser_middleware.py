"""Bearer-token API requests skip the browser's middleware; everything else keeps it: the
admin's sessions, CSRF checks and messages work as before."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import Client

from .conftest import TENANT, Caller

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"


@pytest.fixture
def browser_calls(monkeypatch) -> list[str]:
    """The names of Django's session and messages request hooks, each time one runs."""
    calls: list[str] = []
    for middleware in (SessionMiddleware, MessageMiddleware):
        real = middleware.process_request

        def spy(self, request, _real=real, _name=middleware.__name__):
            calls.append(_name)
            return _real(self, request)

        monkeypatch.setattr(middleware, "process_request", spy)
    return calls


def test_a_bearer_api_request_skips_sessions_and_messages(manager: Caller, browser_calls):
    response = manager.get(SEGMENTS)

    assert response.status_code == 200
    assert browser_calls == []
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


def test_an_api_request_without_a_bearer_token_keeps_them(anonymous: Caller, browser_calls):
    assert anonymous.get(SEGMENTS).status_code == 401
    assert set(browser_calls) == {"SessionMiddleware", "MessageMiddleware"}


def test_a_bearer_header_on_an_admin_page_keeps_them(browser_calls):
    response = Client().get("/admin/", HTTP_AUTHORIZATION="Bearer whatever")

    assert response.status_code == 302  # to the login page, no error
    assert set(browser_calls) == {"SessionMiddleware", "MessageMiddleware"}


def test_the_admin_still_logs_in_with_its_session_and_csrf_token():
    User.objects.create_superuser("root", "root@example.com", "pw")
    browser = Client(enforce_csrf_checks=True)
    token = browser.get("/admin/login/").cookies["csrftoken"].value

    refused = browser.post("/admin/login/", {"username": "root", "password": "pw"})
    logged_in = browser.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": "pw", "csrfmiddlewaretoken": token},
    )

    assert refused.status_code == 403
    assert (logged_in.status_code, logged_in["Location"]) == (302, "/admin/")
    assert browser.get("/admin/").status_code == 200
