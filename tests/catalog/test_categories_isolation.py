"""A token of another tenant can neither read nor change categories or trees."""

from __future__ import annotations

import pytest

from catalog.models import Category

from ..conftest import TENANT
from .factories import make_category

pytestmark = pytest.mark.django_db

BASE = f"/category/{TENANT}"
VALID = {"localizedName": {"en": "Stolen"}, "published": True}

OPERATIONS = [
    ("GET", f"{BASE}/categories", None),
    ("POST", f"{BASE}/categories", {**VALID, "id": "intruder"}),
    ("POST", f"{BASE}/categories/search", {"q": "published:true"}),
    ("GET", f"{BASE}/categories/tools", None),
    ("PUT", f"{BASE}/categories/tools", VALID),
    ("PATCH", f"{BASE}/categories/tools", {"position": 9}),
    ("DELETE", f"{BASE}/categories/tools?withSubcategories=true", None),
    ("GET", f"{BASE}/categories/tools/subcategories", None),
    ("GET", f"{BASE}/categories/drills/parents", None),
    ("GET", f"{BASE}/category-trees", None),
    ("GET", f"{BASE}/category-trees/tools", None),
    ("POST", f"{BASE}/category-trees/search", {"categoryIds": ["tools"]}),
    ("POST", f"{BASE}/category-trees/tools/rebuild", None),
    ("GET", f"{BASE}/categories/categoryTree", None),
]


@pytest.fixture
def tree(db):
    tools = make_category(TENANT, "tools")
    make_category(TENANT, "drills", parent=tools)


def _snapshot():
    return list(Category.objects.order_by("pk").values())


@pytest.mark.parametrize(
    ("method", "path", "body"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_another_tenants_token_gets_403_and_changes_nothing(tree, outsider, method, path, body):
    before = _snapshot()

    response = outsider.request(method, path, body)

    assert response.status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_the_same_ids_in_another_tenant_are_other_categories(tree, outsider, method, path, body):
    before = _snapshot()

    response = outsider.request(method, path.replace(f"/{TENANT}/", "/globex/"), body)

    assert response.status_code in {200, 201, 204, 404}
    assert [row for row in _snapshot() if row["tenant_id"] == TENANT] == before
    if method == "GET" and response.status_code == 200:
        assert response.json() in ([], {}) or "tools" not in str(response.json())


def test_a_token_without_category_scopes_reads_published_categories_but_writes_nothing(
    tree, reader
):
    assert reader.get(f"{BASE}/categories").status_code == 200
    assert reader.get(f"{BASE}/category-trees").status_code == 200
    assert reader.post(f"{BASE}/categories", VALID).status_code == 403
    assert reader.post(f"{BASE}/category-trees/tools/rebuild").status_code == 403
    assert reader.delete(f"{BASE}/categories/drills").status_code == 403
