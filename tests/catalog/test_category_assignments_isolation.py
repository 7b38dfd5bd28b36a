"""Tenants never see nor change each other's products in categories."""

from __future__ import annotations

import pytest

from catalog.models import CategoryAssignment

from ..conftest import OTHER_TENANT, TENANT
from .factories import make_assignment, make_category, make_product

pytestmark = pytest.mark.django_db

BASE = f"/category/{TENANT}"
CATEGORY = f"{BASE}/categories/c1/assignments"
REF = {"ref": {"id": "p2", "type": "PRODUCT"}}


@pytest.fixture
def acme():
    """Tenant acme: category c1 holding p1; p2 exists but is in no category."""
    category = make_category(TENANT, "c1")
    assignment = make_assignment(category, make_product(TENANT, "p1"))
    make_product(TENANT, "p2")
    return assignment


def _operations(assignment_id: str) -> list[tuple[str, str, object]]:
    return [
        ("GET", CATEGORY, None),
        ("GET", f"{CATEGORY}?withSubcategories=true&showUnpublished=true", None),
        ("POST", CATEGORY, REF),
        ("DELETE", CATEGORY, None),
        ("POST", f"{CATEGORY}/bulk", [REF]),
        ("PUT", f"{CATEGORY}/references/bulk", [{"ref": {"id": "p2"}}]),
        ("PUT", f"{CATEGORY}/references/p2", None),
        ("DELETE", f"{CATEGORY}/references/p1", None),
        ("DELETE", f"{CATEGORY}/{assignment_id}", None),
        ("GET", f"{BASE}/assignments/references/p1?expandSupercategoriesIds=true", None),
        ("DELETE", f"{BASE}/assignments/references/p1", None),
    ]


OPERATION_NAMES = [f"{method} {path}" for method, path, _ in _operations("{assignmentId}")]


def _snapshot() -> list[dict]:
    return list(CategoryAssignment.objects.order_by("pk").values())


@pytest.mark.parametrize("operation", range(len(OPERATION_NAMES)), ids=OPERATION_NAMES)
def test_another_tenants_token_gets_403_and_changes_nothing(outsider, acme, operation):
    method, path, body = _operations(acme.public_id)[operation]
    before = _snapshot()

    response = outsider.request(method, path, body)

    assert response.status_code == 403
    assert response.json()["code"] == 403
    assert _snapshot() == before


@pytest.mark.parametrize("operation", range(len(OPERATION_NAMES)), ids=OPERATION_NAMES)
def test_the_other_tenants_own_paths_never_reach_our_data(outsider, acme, operation):
    method, path, body = _operations(acme.public_id)[operation]
    before = _snapshot()

    response = outsider.request(method, path.replace(f"/{TENANT}/", f"/{OTHER_TENANT}/"), body)

    # globex has no category c1 and no products: not found, or nothing to answer.
    assert response.status_code in {200, 204, 404}
    if method == "GET" and response.status_code == 200:
        assert response.json() == []
    assert _snapshot() == before


def test_a_product_of_another_tenant_cannot_be_assigned(manager, acme):
    make_product(OTHER_TENANT, "foreign")

    single = manager.post(CATEGORY, {"ref": {"id": "foreign", "type": "PRODUCT"}})
    upsert = manager.put(f"{CATEGORY}/references/foreign")
    bulk = manager.post(f"{CATEGORY}/bulk", [{"ref": {"id": "foreign", "type": "PRODUCT"}}])
    bulk_upsert = manager.put(f"{CATEGORY}/references/bulk", [{"ref": {"id": "foreign"}}])

    assert (single.status_code, upsert.status_code) == (400, 400)
    assert "foreign" in single.json()["message"]
    assert bulk.json()[0]["code"] == 400
    assert bulk_upsert.json()[0]["code"] == 400
    assert not CategoryAssignment.objects.filter(product__public_id="foreign").exists()


def test_the_same_product_id_in_both_tenants_resolves_to_our_own(manager, acme):
    make_product(OTHER_TENANT, "twin")
    refused = manager.post(CATEGORY, {"ref": {"id": "twin", "type": "PRODUCT"}})
    ours = make_product(TENANT, "twin")

    accepted = manager.post(CATEGORY, {"ref": {"id": "twin", "type": "PRODUCT"}})

    assert refused.status_code == 400
    assert accepted.status_code == 201
    assignment = CategoryAssignment.objects.get(public_id=accepted.json()["id"])
    assert assignment.product == ours
    assert assignment.tenant_id == TENANT


def test_a_category_of_another_tenant_is_not_found(manager, acme):
    foreign = make_category(OTHER_TENANT, "c9")
    make_assignment(foreign, make_product(OTHER_TENANT, "p1"))
    path = f"{BASE}/categories/c9/assignments"

    responses = [
        manager.get(path),
        manager.post(path, REF),
        manager.post(f"{path}/bulk", [REF]),
        manager.put(f"{path}/references/bulk", [{"ref": {"id": "p2"}}]),
        manager.put(f"{path}/references/p2"),
        manager.delete(path),
        manager.delete(f"{path}/references/p1"),
    ]

    assert [response.status_code for response in responses] == [404] * len(responses)
    assert CategoryAssignment.objects.filter(tenant_id=OTHER_TENANT).count() == 1


def test_same_category_and_product_ids_in_both_tenants_stay_apart(manager, outsider, acme):
    theirs = make_assignment(make_category(OTHER_TENANT, "c1"), make_product(OTHER_TENANT, "p1"))

    ours = manager.get(CATEGORY).json()
    their_list = outsider.get(f"/category/{OTHER_TENANT}/categories/c1/assignments").json()
    our_categories = manager.get(f"{BASE}/assignments/references/p1").json()

    assert [entry["id"] for entry in ours] == [acme.public_id]
    assert [entry["id"] for entry in their_list] == [theirs.public_id]
    assert len(our_categories) == 1

    assert manager.delete(f"{CATEGORY}/{theirs.public_id}").status_code == 204
    assert manager.delete(f"{BASE}/assignments/references/p1").status_code == 204

    assert CategoryAssignment.objects.filter(pk=theirs.pk).exists()
    assert not CategoryAssignment.objects.filter(tenant_id=TENANT).exists()


def test_with_subcategories_never_reaches_into_another_tenants_tree(manager, acme):
    # Paths hold surrogate ids shared across tenants: a foreign row whose path starts with
    # ours must still stay out.
    ours = CategoryAssignment.objects.get().category
    foreign = make_category(OTHER_TENANT, "f1")
    foreign.path = f"{ours.path}{foreign.pk}/"
    foreign.save(update_fields=["path"])
    make_assignment(foreign, make_product(OTHER_TENANT, "stranger"))

    response = manager.get(f"{CATEGORY}?withSubcategories=true&showUnpublished=true")

    assert [entry["ref"]["id"] for entry in response.json()] == ["p1"]
