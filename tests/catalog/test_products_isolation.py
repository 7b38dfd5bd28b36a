"""Products are visible to every token of their own tenant (published ones) and writable
by its product scopes only."""

from __future__ import annotations

import pytest

from catalog.models import Product
from segments_project.tenancy import scopes

from ..conftest import OTHER_TENANT, TENANT, Caller

pytestmark = pytest.mark.django_db

BASE = f"/product/{TENANT}/products"
VALID = {"id": "chair", "code": "CH", "name": {"en": "Chair"}}

OPERATIONS = [
    ("GET", BASE, None),
    ("POST", BASE, {**VALID, "id": "intruder"}),
    ("POST", f"{BASE}/search", {"q": "code:CH"}),
    ("GET", f"{BASE}/chair", None),
    ("PUT", f"{BASE}/chair", {**VALID, "code": "stolen"}),
    ("PATCH", f"{BASE}/chair", [{"op": "replace", "path": "/code", "value": "stolen"}]),
    ("DELETE", f"{BASE}/chair", None),
    ("PUT", f"{BASE}/bulk", [{**VALID, "code": "stolen"}, {**VALID, "id": "intruder"}]),
]
IDS = [f"{method} {path}" for method, path, _ in OPERATIONS]
READS = [op for op in OPERATIONS if op[0] == "GET" or op[1].endswith("/search")]
WRITES = [op for op in OPERATIONS if op not in READS]


@pytest.fixture
def stored(manager) -> list[dict]:
    assert manager.post(BASE, VALID).status_code == 201
    return list(Product.objects.values())


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
def test_another_tenants_token_gets_403_and_changes_nothing(stored, outsider, method, path, body):
    response = outsider.request(method, path, body)

    assert response.status_code == 403
    assert response.json()["code"] == 403
    assert response.json()["status"] == "Forbidden"
    assert list(Product.objects.values()) == stored


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
def test_a_token_without_product_scopes_gets_403_for_writes_and_changes_nothing(
    stored, issue_token, method, path, body
):
    coupon_reader = Caller(issue_token(granted=frozenset({scopes.COUPON_READ})))

    response = coupon_reader.request(method, path, body)

    assert response.status_code == 403
    assert response.json()["code"] == 403
    assert list(Product.objects.values()) == stored


@pytest.mark.parametrize(("method", "path", "body"), READS, ids=[f"{m} {p}" for m, p, _ in READS])
def test_a_token_without_product_scopes_reads_published_products(
    stored, issue_token, method, path, body
):
    coupon_reader = Caller(issue_token(granted=frozenset({scopes.COUPON_READ})))

    response = coupon_reader.request(method, path, body)

    assert response.status_code == 200
    assert "chair" in str(response.json())


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS, ids=IDS)
def test_the_other_tenants_own_products_do_not_mix_with_ours(stored, outsider, method, path, body):
    own_path = path.replace(f"/{TENANT}/", f"/{OTHER_TENANT}/")

    response = outsider.request(method, own_path, body)

    assert response.status_code in {200, 201, 204, 207, 404}
    ours = Product.objects.get(tenant_id=TENANT, public_id="chair")
    assert (ours.code, ours.version) == ("CH", 1)
    assert not Product.objects.filter(tenant_id=TENANT).exclude(public_id="chair").exists()
    if method == "GET" and path == BASE:
        assert response.json() == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", BASE, None),
        ("POST", BASE, VALID),
        ("POST", f"{BASE}/search", {"q": "code:CH"}),
        ("GET", f"{BASE}/chair", None),
        ("DELETE", f"{BASE}/chair", None),
        ("PUT", f"{BASE}/bulk", [VALID]),
    ],
)
@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no token", "unknown token"])
def test_missing_or_invalid_tokens_are_a_401_fault(stored, method, path, body, token):
    response = Caller(token).request(method, path, body)

    assert response.status_code == 401
    assert response.json()["fault"]["detail"]["errorcode"] == "oauth.v2.InvalidAccessToken"
    assert list(Product.objects.values()) == stored


def test_a_mismatching_emporix_tenant_header_is_a_400(stored, manager):
    response = manager.get(BASE, headers={"Emporix-Tenant": OTHER_TENANT})

    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "Emporix-Tenant"


def test_list_takes_a_constant_number_of_queries(stored, manager, django_assert_max_num_queries):
    template = Product.objects.get()
    Product.objects.bulk_create(
        Product(
            tenant_id=TENANT,
            public_id=f"bulk{index}",
            name={"en": f"Bulk {index}"},
            mixins={"index": index},
            created_at=template.created_at,
            modified_at=template.modified_at,
        )
        for index in range(50)
    )

    # token lookup + page + count
    with django_assert_max_num_queries(3):
        response = manager.get(
            f"{BASE}?pageSize=100&q=published:true&sort=name.en:desc",
            headers={"X-Total-Count": "true"},
        )
    assert len(response.json()) == 51
    assert response["X-Total-Count"] == "51"
