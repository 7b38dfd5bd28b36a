"""The stored tree keys (`Category.tree_key`, the admin's tree order) stay right through
every write that places a category: the services' create, replace, patch (moves and new
positions) and delete, the import, the tree rebuild, and the migration that fills them."""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from catalog.models import Category
from catalog.services.categories import (
    category_create,
    category_delete,
    category_patch,
    category_tree_rebuild,
    category_upsert,
)
from segments_project.tenancy.models import Tenant

from ..conftest import OTHER_TENANT, TENANT
from ..imports import run_import, write_jsonl
from .factories import parent_link_order, tree_key_order

pytestmark = pytest.mark.django_db


def _create(category_id: str, parent: str | None = None, position: int | None = None) -> None:
    document = {"id": category_id, "parentId": parent, "localizedName": {"en": category_id}}
    if position is not None:
        document["position"] = position
    category_create(tenant=TENANT, document=document)


@pytest.fixture
def forest(db) -> None:
    """Ids that share prefixes, a position of 10 after 9 (numbers, not texts), siblings
    that share a position (ordered by id), three levels."""
    Tenant.objects.get_or_create(name=TENANT)
    Tenant.objects.get_or_create(name=OTHER_TENANT)
    _create("b", position=1)
    _create("a", position=1)
    _create("z", position=0)
    _create("ab", parent="a", position=10)
    _create("a-b", parent="a", position=9)
    _create("a!", parent="a", position=9)
    _create("A", parent="a", position=9)
    _create("ä", parent="a", position=9)
    _create("leaf", parent="ab")
    _create("leaf2", parent="ab")
    _create("deep", parent="leaf")
    category_create(tenant=OTHER_TENANT, document={"id": "a", "localizedName": {"en": "a"}})


def _assert_in_tree_order() -> list[str]:
    order = tree_key_order(TENANT)
    assert order == parent_link_order(TENANT)
    return order


def test_created_categories_are_in_tree_order(forest):
    order = _assert_in_tree_order()

    assert order == ["z", "a", "A", "a!", "a-b", "ä", "ab", "leaf", "deep", "leaf2", "b"]


def test_a_moved_subtree_takes_its_keys_along(forest):
    category_upsert(
        tenant=TENANT,
        category_id="ab",
        document={"localizedName": {"en": "ab"}, "parentId": "z", "position": 0},
    )
    _assert_in_tree_order()
    category_patch(tenant=TENANT, category_id="leaf", patch={"parentId": None})
    _assert_in_tree_order()
    category_patch(tenant=TENANT, category_id="z", patch={"parentId": "b"})

    # leaf (a root now, position 0) before a (1); z's subtree under b.
    assert _assert_in_tree_order() == [
        "leaf", "deep", "a", "A", "a!", "a-b", "ä", "b", "z", "ab", "leaf2"
    ]  # fmt: skip


def test_a_new_position_moves_the_subtree_among_its_siblings(forest):
    category_patch(tenant=TENANT, category_id="a", patch={"position": 7})
    assert _assert_in_tree_order()[:2] == ["z", "b"]

    category_patch(tenant=TENANT, category_id="ab", patch={"position": 0})
    order = _assert_in_tree_order()
    assert order[order.index("a") + 1 : order.index("a") + 5] == ["ab", "leaf", "deep", "leaf2"]


def test_a_rename_keeps_the_key_and_a_delete_leaves_the_rest_in_order(forest):
    before = dict(Category.objects.filter(tenant_id=TENANT).values_list("public_id", "tree_key"))
    category_patch(tenant=TENANT, category_id="ab", patch={"localizedName": {"en": "Renamed"}})
    after = dict(Category.objects.filter(tenant_id=TENANT).values_list("public_id", "tree_key"))
    assert after == before

    category_delete(tenant=TENANT, category_id="leaf", with_subcategories=True)
    category_delete(tenant=TENANT, category_id="z")

    assert _assert_in_tree_order() == ["a", "A", "a!", "a-b", "ä", "ab", "leaf2", "b"]


def test_an_import_keeps_the_order_of_new_moved_and_repositioned_categories(forest, tmp_path):
    path = write_jsonl(
        tmp_path / "categories.jsonl",
        [
            {"id": "new-root", "localizedName": {"en": "n"}, "position": 0},
            {"id": "new-child", "parentId": "new-root", "localizedName": {"en": "c"}},
            {"id": "ab", "parentId": "new-child", "localizedName": {"en": "ab"}},
            {"id": "A", "parentId": "a", "localizedName": {"en": "A"}, "position": 20},
            {"id": "z", "localizedName": {"en": "z"}, "position": 5},
        ],
    )

    run = run_import("categories", path, chunk_size=2, tenant=TENANT)

    assert run.ok, run.out
    assert _assert_in_tree_order() == [
        "new-root", "new-child", "ab", "leaf", "deep", "leaf2",
        "a", "a!", "a-b", "ä", "A",  # A moved to position 20
        "b", "z",  # z moved to position 5
    ]  # fmt: skip


def test_the_rebuild_repairs_a_wrong_key(forest):
    # The shared position 9 of a's children repaired (9, 10, 11, 12, then ab 13), their
    # keys and ab's subtree's with them.
    assert category_tree_rebuild(tenant=TENANT, root_category_id="a") == 7
    _assert_in_tree_order()
    Category.objects.filter(tenant_id=TENANT, public_id__in=["leaf", "z"]).update(tree_key="x")

    assert category_tree_rebuild(tenant=TENANT, root_category_id="a") == 1
    assert category_tree_rebuild(tenant=TENANT, root_category_id="z") == 1
    _assert_in_tree_order()


def test_the_migration_fills_every_key_from_the_parent_links(forest):
    stored = dict(Category.objects.values_list("pk", "tree_key"))
    Category.objects.update(tree_key="")
    migration = import_module("catalog.migrations.0005_category_tree_key_backfill")

    with connection.cursor() as cursor:
        # What the migration uses of its schema editor (SQLite's cannot open in a test's
        # transaction).
        migration.backfill(apps, SimpleNamespace(connection=connection, execute=cursor.execute))

    assert dict(Category.objects.values_list("pk", "tree_key")) == stored
