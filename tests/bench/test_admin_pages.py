"""The admin page benchmark (`bench/admin_pages.py`): its login and page loads write nothing
to the measured database (it also measures a shared one it may only read), and its table
gives each page's second scale as a ratio to the first's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from bench.admin_pages import compare

pytestmark = pytest.mark.django_db

READ_ONLY_LOGIN = {
    "SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies",
    "AUTHENTICATION_BACKENDS": ["bench.admin_auth.ReadOnlyAdminBackend"],
}


@override_settings(**READ_ONLY_LOGIN)
def test_logging_in_and_loading_admin_pages_writes_nothing(monkeypatch):
    monkeypatch.setenv("BENCH_ADMIN_PASSWORD", "secret-for-the-test")
    client = Client()

    with CaptureQueriesContext(connection) as queries:
        refused = client.post("/admin/login/", {"username": "bench-admin", "password": "wrong"})
        login = client.post(
            "/admin/login/", {"username": "bench-admin", "password": "secret-for-the-test"}
        )
        pages = [client.get(path) for path in ("/admin/", "/admin/segments/segment/")]

    assert refused.status_code == 200  # the form again
    assert login.status_code == 302
    assert [page.status_code for page in pages] == [200, 200]
    writes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []


@override_settings(**READ_ONLY_LOGIN)
def test_without_a_configured_password_nobody_logs_in(monkeypatch):
    monkeypatch.delenv("BENCH_ADMIN_PASSWORD", raising=False)

    response = Client().post("/admin/login/", {"username": "bench-admin", "password": ""})

    assert response.status_code == 200


def test_the_table_gives_ratios_of_the_second_scale(tmp_path: Path):
    def results(scale: str, load: float, server: float) -> str:
        path = tmp_path / f"{scale}.json"
        page = {"path": "/admin/", "load_ms": load, "server_ms": server, "loads_ms": [load]}
        path.write_text(json.dumps({"scale": scale, "pages": {"list: segments": page}}))
        return str(path)

    table = compare(results("S", 200.0, 100.0), results("L", 300.0, 50.0))

    assert "| page | S load ms | L load ms | L/S load |" in table
    assert "| list: segments | 200 | 300 | 1.50 | 100 | 50 | 0.50 |" in table
