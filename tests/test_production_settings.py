"""Production settings: `check --deploy` is clean, and request logs are structured and safe."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import TENANT

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
    "ALLOWED_HOSTS": "segments.example.com",
    "DATABASE_URL": "sqlite:///" + str(ROOT / "unused.sqlite3"),
}


def _manage(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    env.update(PRODUCTION_ENV | (extra_env or {}))
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", extra_env={"SECRET_KEY": ""})

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_request_logs_carry_timings_but_no_token(manager, caplog):
    with caplog.at_level(logging.INFO, logger="segments_project.requests"):
        manager.get(f"/customer-segment/{TENANT}/segments?q=siteCode:main")

    [record] = [r for r in caplog.records if r.name == "segments_project.requests"]
    assert record.status == 200
    assert record.method == "GET"
    assert record.path == f"/customer-segment/{TENANT}/segments"
    assert record.duration_ms >= 0
    assert record.tenant == TENANT
    assert manager.token not in json.dumps(record.__dict__, default=str)


@pytest.mark.django_db
def test_the_request_log_does_not_load_a_session_user(client, django_user_model, caplog):
    """Outside the API the user is the session's lazy one: logging must not query for it."""
    user = django_user_model.objects.create_user("viewer", password="pw")
    client.force_login(user)

    with (
        caplog.at_level(logging.INFO, logger="segments_project.requests"),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert not any("django_session" in query["sql"] for query in queries)
    [record] = [r for r in caplog.records if r.name == "segments_project.requests"]
    assert record.status == 404
    assert not hasattr(record, "tenant")


def _gunicorn_settings(monkeypatch, **env: str) -> dict:
    import runpy

    for key in ("GUNICORN_MAX_REQUESTS",):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "segments_project" / "gunicorn.conf.py"))


def test_gunicorn_workers_are_replaced_rarely_and_not_together(monkeypatch):
    # At 10,000 requests the benchmark's 4 workers all restarted within one 20 s phase.
    settings = _gunicorn_settings(monkeypatch)
    assert settings["max_requests"] == 200_000
    assert settings["max_requests_jitter"] == 20_000
    settings = _gunicorn_settings(monkeypatch, GUNICORN_MAX_REQUESTS="5000")
    assert (settings["max_requests"], settings["max_requests_jitter"]) == (5000, 500)
