"""A token of another tenant can neither read nor change anything through any segments operation."""

from __future__ import annotations

import pytest

from segments.models import Segment

from ..conftest import TENANT

pytestmark = pytest.mark.django_db

BASE = f"/customer-segment/{TENANT}/segments"
VALID = {"id": "gold", "name": {"en": "Gold"}, "siteCode": "main"}

OPERATIONS = [
    ("GET", BASE, None),
    ("POST", BASE, {**VALID, "id": "intruder"}),
    ("POST", f"{BASE}/search", {"q": "siteCode:main"}),
    ("GET", f"{BASE}/gold", None),
    ("PUT", f"{BASE}/gold", {**VALID, "siteCode": "stolen"}),
    ("PATCH", f"{BASE}/gold", [{"op": "replace", "path": "/siteCode", "value": "stolen"}]),
    ("DELETE", f"{BASE}/gold?forceDelete=true", None),
    ("POST", f"{BASE}/bulk", [{**VALID, "id": "intruder"}]),
    ("PUT", f"{BASE}/bulk", [{**VALID, "siteCode": "stolen"}]),
    ("DELETE", f"{BASE}/bulk?forceDelete=true", ["gold"]),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_another_tenants_token_gets_403_and_changes_nothing(manager, outsider, method, path, body):
    manager.post(BASE, VALID)
    before = list(Segment.objects.values())

    response = outsider.request(method, path, body)

    assert response.status_code == 403
    assert response.json()["code"] == 403
    assert list(Segment.objects.values()) == before


@pytest.mark.parametrize(
    ("method", "path", "body"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_the_other_tenants_own_data_does_not_mix_with_ours(manager, outsider, method, path, body):
    manager.post(BASE, VALID)
    own_path = path.replace(f"/{TENANT}/", "/globex/")

    response = outsider.request(method, own_path, body)

    assert response.status_code in {200, 201, 204, 207, 404}
    assert Segment.objects.get(tenant_id=TENANT, public_id="gold").site_code == "main"
    if method == "GET" and response.status_code == 200 and isinstance(response.json(), list):
        assert response.json() == []
