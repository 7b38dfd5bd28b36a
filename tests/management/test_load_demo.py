"""`manage.py load_demo`: idempotent demo data, stable generated credentials, a working token."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, identify_hasher
from django.core.management import call_command
from oauth2_provider.models import get_application_model
from rest_framework.test import APIClient

from coupons.models import ReferralSettings
from segments.models import Segment
from segments_project.management.demo import segments as demo_segments
from segments_project.tenancy.hashers import GeneratedSecretSHA256Hasher
from segments_project.tenancy.models import ApiClient, Tenant
from segments_project.tenancy.scopes import ALL_SCOPES

from .demo_run import load_demo as _load_demo
from .demo_run import printed as _printed

pytestmark = pytest.mark.django_db

DEMO_SEGMENT_IDS = sorted(segment.id for segment in demo_segments.SEGMENTS)


def _password(output: str) -> str:
    match = re.search(r"^Admin login:\s+admin / (\S+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def _segments(token: str):
    return APIClient().get("/customer-segment/demo/segments", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_running_twice_loads_everything_once_and_keeps_the_password(tmp_path):
    credentials_file = tmp_path / "demo-credentials.json"

    first = _load_demo(credentials_file)
    second = _load_demo(credentials_file)

    assert list(Tenant.objects.values_list("name", flat=True)) == ["demo"]
    segments = Segment.objects.filter(tenant_id="demo").order_by("public_id")
    assert [segment.public_id for segment in segments] == DEMO_SEGMENT_IDS
    assert {segment.version for segment in segments} == {1}, "a re-run changed the segments"
    client = ApiClient.objects.get(tenant_id="demo", storefront=False)
    assert client.application.client_id == "demo-client"
    storefront = ApiClient.objects.get(tenant_id="demo", storefront=True)
    assert storefront.application.client_id == "demo-storefront"
    assert client.scopes == ALL_SCOPES
    password = _password(first)
    assert _password(second) == password
    assert len(password) >= 16
    assert json.loads(credentials_file.read_text())["admin_password"] == password
    settings = ReferralSettings.objects.get(tenant_id="demo")
    assert (settings.discount_amount, settings.discount_currency) == (10, "EUR")
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(password)


def test_the_printed_token_reads_the_demo_segments(tmp_path):
    output = _load_demo(tmp_path / "credentials.json")
    token = _printed(output, "Bearer token")

    response = _segments(token)

    assert response.status_code == 200, response.content
    assert sorted(segment["id"] for segment in response.json()) == DEMO_SEGMENT_IDS
    gold = next(segment for segment in response.json() if segment["id"] == "gold")
    assert gold["name"] == {"en": "Gold customers", "de": "Goldkunden"}
    assert gold["status"] == "ACTIVE"
    assert gold["siteCode"] == "main"
    assert gold["validity"]["from"] == "2025-01-01T00:00:00.000Z"
    expected_curl = (
        f'curl -H "Authorization: Bearer {token}" '
        "http://127.0.0.1:8000/customer-segment/demo/segments"
    )
    assert expected_curl in output
    assert "http://127.0.0.1:8000/api/docs/" in output
    assert "http://127.0.0.1:8000/admin/" in output


def test_a_rerun_keeps_earlier_tokens_working(tmp_path):
    credentials_file = tmp_path / "credentials.json"
    first_token = _printed(_load_demo(credentials_file), "Bearer token")

    second_token = _printed(_load_demo(credentials_file), "Bearer token")

    assert second_token != first_token
    assert _segments(first_token).status_code == 200
    assert _segments(second_token).status_code == 200


def test_a_lost_credentials_file_gives_the_admin_a_new_generated_password(tmp_path):
    credentials_file = tmp_path / "credentials.json"
    old_password = _password(_load_demo(credentials_file))
    credentials_file.unlink()

    output = _load_demo(credentials_file)

    new_password = _password(output)
    assert new_password != old_password
    assert credentials_file.exists()
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password(new_password)
    assert not admin.check_password(old_password)
    assert _segments(_printed(output, "Bearer token")).status_code == 200


def test_printed_urls_follow_host_and_port(tmp_path):
    output = _load_demo(tmp_path / "credentials.json", host="localhost", port="9001")

    assert _printed(output, "API docs") == "http://localhost:9001/api/docs/"
    assert _printed(output, "Admin") == "http://localhost:9001/admin/"
    assert "http://localhost:9001/customer-segment/demo/segments" in output


def test_the_credentials_file_defaults_to_the_setting(tmp_path, settings):
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "from-settings.json"

    call_command("load_demo", stdout=StringIO())

    stored = json.loads((tmp_path / "from-settings.json").read_text())
    assert stored["client_id"] == "demo-client"
    assert len(stored["client_secret"]) >= 16
    assert (tmp_path / "from-settings.json").stat().st_mode & 0o077 == 0


def test_the_printed_anonymous_login_gives_a_visitor_token(tmp_path):
    output = _load_demo(tmp_path / "credentials.json")
    match = re.search(
        r"curl '(http://127.0.0.1:8000)(/customerlogin/auth/anonymous/login\S*)'", output
    )
    assert match, output

    login = APIClient().get(match.group(2))

    assert login.status_code == 200, login.content
    visitor = login.json()["access_token"]
    assert _segments(visitor).status_code == 403


def test_the_demo_client_gets_a_generated_secret_stored_with_the_fast_hasher(tmp_path):
    path = tmp_path / "credentials.json"
    _load_demo(path)
    secret = json.loads(path.read_text())["client_secret"]

    stored = get_application_model().objects.get(client_id="demo-client").client_secret
    assert identify_hasher(stored).algorithm == GeneratedSecretSHA256Hasher.algorithm
    assert check_password(secret, stored)


def test_a_stale_secret_in_the_file_is_replaced_by_a_generated_one(tmp_path):
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"client_secret": "a-secret-someone-typed-in"}))

    _load_demo(path)

    secret = json.loads(path.read_text())["client_secret"]
    stored = get_application_model().objects.get(client_id="demo-client").client_secret
    assert secret != "a-secret-someone-typed-in"
    assert identify_hasher(stored).algorithm == GeneratedSecretSHA256Hasher.algorithm
    assert check_password(secret, stored)
