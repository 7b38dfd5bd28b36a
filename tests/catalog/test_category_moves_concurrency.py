"""Concurrent category moves keep the tree a tree (PostgreSQL, real connections).

Each move is valid on its own; together some of them would close a cycle or leave a
subtree's paths pointing at a parent's old place. The tenant's tree-write lock serializes
them, so every later move sees the earlier ones.
"""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.models import Category
from catalog.services import categories
from segments_project.checkpoints import Checkpoint
from segments_project.errors import ValidationFailed
from segments_project.tenancy.services import tenant_get_or_create

from ..concurrency import run_concurrently

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]

TENANT = "acme"


def _run_concurrently(works: list) -> list[object]:
    return run_concurrently(lambda index: works[index](), len(works))


@pytest.fixture
def slow_parent_lookup(pause_at):
    """Widens the gap between reading the new parent and rewriting paths, so that a
    missing lock would let both writers plan their move on the same old tree."""
    pause_at(Checkpoint.CATEGORY_PARENT_RESOLVED, 0.1)


def _create(category_id: str, parent_id: str | None = None) -> None:
    document = {"localizedName": {"en": category_id.title()}}
    if parent_id is not None:
        document["parentId"] = parent_id
    categories.category_upsert(tenant=TENANT, category_id=category_id, document=document)


def _move(category_id: str, parent_id: str | None):
    def move():
        current = Category.objects.get(tenant_id=TENANT, public_id=category_id)
        document = {"localizedName": current.name}
        if parent_id is not None:
            document["parentId"] = parent_id
        return categories.category_upsert(tenant=TENANT, category_id=category_id, document=document)

    return move


def _assert_consistent_tree() -> None:
    """Every path is the parent's path plus the category's own key; depths match."""
    rows = {row.pk: row for row in Category.objects.filter(tenant_id=TENANT)}
    for row in rows.values():
        parent = rows.get(row.parent_id)
        expected_prefix = parent.path if parent else "/"
        assert row.path == f"{expected_prefix}{row.pk}/", row.public_id
        assert row.depth == (parent.depth + 1 if parent else 0), row.public_id
        assert row.path.count("/") - 2 == row.depth


def test_crossing_moves_cannot_close_a_cycle(slow_parent_lookup):
    tenant_get_or_create(name=TENANT)
    _create("a")
    _create("a-child", "a")
    _create("b")
    _create("b-child", "b")

    outcomes = _run_concurrently([_move("a", "b-child"), _move("b", "a-child")])

    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationFailed)]
    applied = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    assert len(applied) == 1 and len(refused) == 1, outcomes
    assert "cannot move under itself or its descendant" in str(refused[0])
    _assert_consistent_tree()
    roots = Category.objects.filter(tenant_id=TENANT, parent__isnull=True)
    assert roots.count() == 1


def test_a_move_under_a_moving_parent_uses_the_parents_new_place(slow_parent_lookup):
    """One writer moves `shelf` to another root while another moves `leaf` under `shelf`:
    whichever goes second must build its paths from the first one's result."""
    tenant_get_or_create(name=TENANT)
    _create("root-1")
    _create("root-2")
    _create("shelf", "root-2")
    _create("leaf", "root-1")
    _create("leaf-child", "leaf")

    outcomes = _run_concurrently([_move("shelf", "root-1"), _move("leaf", "shelf")])

    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    _assert_consistent_tree()
    leaf_child = Category.objects.get(tenant_id=TENANT, public_id="leaf-child")
    root_1 = Category.objects.get(tenant_id=TENANT, public_id="root-1")
    assert leaf_child.path.startswith(root_1.path)
    assert leaf_child.depth == 3
