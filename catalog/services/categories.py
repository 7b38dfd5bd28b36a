"""Writes of the category forest.

Structural writes of one tenant's forest are serialized by a lock on the tenant row
(saleor's `lock_objects` idea), so two moves can never build a cycle between them, and
each move rewrites its whole subtree's paths in one UPDATE.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from segments_project.api.documents import check_version, clean_id, generate_id, requested_version
from segments_project.api.patch import apply_patch
from segments_project.checkpoints import Checkpoint, reached
from segments_project.errors import (
    AlreadyExists,
    NotFound,
    ValidationFailed,
    field_error,
)
from segments_project.tenancy.models import Tenant
from segments_project.tenancy.versions import content_changed

from ..documents.categories import (
    CATEGORY_READ_ONLY_PATHS,
    DOCUMENT_FIELDS,
    category_document,
    category_values,
)
from ..hooks import ROWS_DELETING, STOREFRONT_CHANGED
from ..models import Category, tree_key_part
from .tree_keys import tree_keys_refresh


def _lock_forest(tenant: str) -> None:
    """Waits for, then holds until commit, the tenant's tree-write lock."""
    if not list(Tenant.objects.select_for_update().filter(name=tenant).values_list("pk")):
        raise NotFound(f"The tenant {tenant} does not exist.", resource_id=tenant)


def _locked(tenant: str, category_id: str) -> Category | None:
    return (
        Category.objects.select_for_update(of=("self",))
        .select_related("parent")
        .filter(tenant_id=tenant, public_id=category_id)
        .first()
    )


def _resolve_parent(tenant: str, parent_id: str | None) -> Category | None:
    parent = None
    if parent_id is not None:
        parent = Category.objects.filter(tenant_id=tenant, public_id=parent_id).first()
        if parent is None:
            raise field_error("parentId", f"The parent category {parent_id} does not exist.")
    reached(Checkpoint.CATEGORY_PARENT_RESOLVED, parent=parent)
    return parent


def _next_position(tenant: str, parent: Category | None) -> int:
    siblings = Category.objects.filter(tenant_id=tenant, parent=parent)
    highest = siblings.aggregate(highest=Max("position"))["highest"]
    return 0 if highest is None else highest + 1


def _check_code_free(tenant: str, code: str | None, exclude_pk: int | None) -> None:
    if code is None:
        return
    taken = Category.objects.filter(tenant_id=tenant, code=code).exclude(pk=exclude_pk).exists()
    if taken:
        raise AlreadyExists(f"The category code {code} is already used.", resource_id=code)


def _insert(tenant: str, category_id: str, values: dict[str, Any]) -> Category:
    parent = _resolve_parent(tenant, values.pop("parent_id"))
    _check_code_free(tenant, values["code"], None)
    if values["position"] is None:
        values["position"] = _next_position(tenant, parent)
    now = timezone.now()
    category = Category(
        tenant_id=tenant,
        public_id=category_id,
        parent=parent,
        path="",
        depth=parent.depth + 1 if parent else 0,
        tree_key=(parent.tree_key if parent else "")
        + tree_key_part(values["position"], category_id),
        version=1,
        created_at=now,
        modified_at=now,
        **values,
    )
    try:
        with transaction.atomic():
            category.save(force_insert=True)
    except IntegrityError as exc:
        raise AlreadyExists(
            f"A category with id {category_id} already exists.", resource_id=category_id
        ) from exc
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    category.save(update_fields=["path"])
    # The trees showing its parent's subtree show it.
    STOREFRONT_CHANGED(tenant, categories=[category.pk])
    return category


def _move(category: Category, parent: Category | None) -> None:
    """Re-parents the category, rewriting its subtree's paths and depths in one UPDATE."""
    if parent is not None and parent.path.startswith(category.path):
        raise field_error(
            "parentId",
            f"Category {category.public_id} cannot move under itself or its descendant "
            f"{parent.public_id}.",
        )
    old_prefix = category.path
    new_prefix = f"{parent.path if parent else '/'}{category.pk}/"
    depth_change = (parent.depth + 1 if parent else 0) - category.depth
    Category.objects.filter(tenant_id=category.tenant_id, path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1)),
        depth=F("depth") + depth_change,
    )
    category.parent = parent
    category.path = new_prefix
    category.depth += depth_change


def _update(category: Category, values: dict[str, Any]) -> Category:
    parent = _resolve_parent(category.tenant_id, values.pop("parent_id"))
    _check_code_free(category.tenant_id, values["code"], category.pk)
    if values["position"] is None:
        values["position"] = category.position
    changed = [field for field, value in values.items() if getattr(category, field) != value]
    touched = [category.pk]
    if parent != category.parent:
        # The trees that showed it under its old parent change too.
        touched += [category.parent_id] if category.parent_id else []
        _move(category, parent)
        changed += ["parent"]
    if not changed:
        return category
    for field in changed:
        if field != "parent":
            setattr(category, field, values[field])
    category.version += 1
    category.modified_at = timezone.now()
    category.save(update_fields=[*changed, "version", "modified_at"])
    if "parent" in changed or "position" in changed:
        # Its place in the admin's tree order, and its subtree's with it.
        tree_keys_refresh(tenant=category.tenant_id, pks=[category.pk])
    STOREFRONT_CHANGED(category.tenant_id, categories=touched)
    return category


@transaction.atomic
def category_create(
    *, tenant: str, document: dict[str, Any], content_language: str | None = None
) -> Category:
    """Creates a category (a root, or under `parentId`); 409 if the id or code is taken."""
    values = category_values(document, content_language=content_language)
    category_id = clean_id(document["id"]) if document.get("id") is not None else generate_id()
    _lock_forest(tenant)
    return _insert(tenant, category_id, values)


@transaction.atomic
def category_upsert(
    *,
    tenant: str,
    category_id: str,
    document: dict[str, Any],
    content_language: str | None = None,
) -> tuple[Category, bool]:
    """Replaces or creates the category; a changed `parentId` moves its whole subtree."""
    clean_id(category_id)
    if isinstance(document, dict) and document.get("id") not in (None, category_id):
        raise field_error("id", "The id in the body differs from the id in the path.")
    _lock_forest(tenant)
    current = _locked(tenant, category_id)
    values = category_values(document, content_language=content_language, current=current)
    if current is None:
        return _insert(tenant, category_id, values), True
    check_version(
        current=current.version, requested=requested_version(document), resource_id=category_id
    )
    return _update(current, values), False


@transaction.atomic
def category_patch(
    *, tenant: str, category_id: str, patch: Any, content_language: str | None = None
) -> Category:
    """Applies a JSON Patch or merge patch; the result must be a valid category."""
    _lock_forest(tenant)
    current = _locked(tenant, category_id)
    if current is None:
        raise NotFound(
            f"The category with id {category_id} has not been found.", resource_id=category_id
        )
    parent_id = current.parent.public_id if current.parent else None
    document = apply_patch(
        category_document(current, parent_public_id=parent_id),
        patch,
        read_only=CATEGORY_READ_ONLY_PATHS,
    )
    unknown = set(document) - DOCUMENT_FIELDS
    if unknown:
        raise field_error(sorted(unknown)[0], f"Unknown category field: {sorted(unknown)[0]}.")
    if document.get("id") != category_id:
        raise field_error("id", "The id of a category cannot be changed.")
    check_version(
        current=current.version, requested=requested_version(document), resource_id=category_id
    )
    values = category_values(document, content_language=None, current=current)
    return _update(current, values)


@transaction.atomic
def category_delete(*, tenant: str, category_id: str, with_subcategories: bool = False) -> bool:
    """Deletes the category; with `with_subcategories`, its whole subtree. False if missing.

    Without `with_subcategories`, a category that has subcategories is a 400 and stays.
    Product assignments of every deleted category go with it.
    """
    _lock_forest(tenant)
    category = _locked(tenant, category_id)
    if category is None:
        return False
    subtree = Category.objects.filter(tenant_id=tenant, path__startswith=category.path)
    if not with_subcategories and category.children.exists():
        raise ValidationFailed(
            f"The category {category_id} has subcategories; "
            "delete it with withSubcategories=true to remove them too.",
            resource_id=category_id,
        )
    for hook in ROWS_DELETING:
        hook(model=Category, tenant=tenant, pks=subtree.values("pk"))
    STOREFRONT_CHANGED(tenant, categories=[category.pk])
    subtree.delete()
    return True


def _rebuilt_levels(tenant: str, root: Category) -> list[Category]:
    """The root's tree with paths, depths and sibling positions recomputed from the parent
    links, which are the truth the paths are derived from; rows come back level by level
    (one query per level), the wrong ones changed in memory and marked `_repaired`."""
    nodes = [root]
    frontier = [root]
    while frontier:
        by_pk = {node.pk: node for node in frontier}
        children = (
            Category.objects.filter(tenant_id=tenant, parent_id__in=list(by_pk))
            .order_by("parent_id", "position", "public_id")
            .only(
                "pk",
                "parent_id",
                "public_id",
                "path",
                "depth",
                "position",
                "tree_key",
                "version",
                "modified_at",
            )
        )
        previous: dict[int, int] = {}
        frontier = []
        for child in children:
            parent = by_pk[child.parent_id]
            # Siblings keep their order and gaps; only a repeated position moves up.
            position = max(child.position, previous.get(child.parent_id, -1) + 1)
            expected = {
                "path": f"{parent.path}{child.pk}/",
                "depth": parent.depth + 1,
                "position": position,
                "tree_key": parent.tree_key + tree_key_part(position, child.public_id),
            }
            previous[child.parent_id] = expected["position"]
            child._repaired = [f for f, value in expected.items() if getattr(child, f) != value]
            for field in child._repaired:
                setattr(child, field, expected[field])
            frontier.append(child)
        nodes.extend(frontier)
    return nodes


@transaction.atomic
def category_tree_rebuild(*, tenant: str, root_category_id: str) -> int:
    """Verifies the stored materialized paths, depths, sibling positions and tree keys of
    the tree of a root category, and repairs the rows that disagree with the parent links.

    Positions are repaired only where siblings share one: the later sibling (by position,
    then id) moves up, so the order and any gaps stay. A repaired position is a change of
    the category (its version grows); a path, depth or tree key is not part of its document.
    Returns the number of repaired categories; NotFound unless the id names a root.
    """
    _lock_forest(tenant)
    root = (
        Category.objects.select_for_update(of=("self",))
        .filter(tenant_id=tenant, public_id=root_category_id, parent__isnull=True)
        .first()
    )
    if root is None:
        raise NotFound(
            f"Category tree for category with id {root_category_id} not found.",
            resource_id=root_category_id,
        )
    expected = {
        "path": f"/{root.pk}/",
        "depth": 0,
        "tree_key": tree_key_part(root.position, root.public_id),
    }
    root._repaired = [field for field, value in expected.items() if getattr(root, field) != value]
    root.path, root.depth, root.tree_key = expected["path"], 0, expected["tree_key"]
    repaired = [node for node in _rebuilt_levels(tenant, root) if node._repaired]
    if not repaired:
        return 0
    now = timezone.now()
    for node in repaired:
        if "position" in node._repaired:
            node.version += 1
            node.modified_at = now
    Category.objects.bulk_update(
        repaired,
        ["path", "depth", "position", "tree_key", "version", "modified_at"],
        batch_size=500,
    )
    content_changed(tenant=tenant)
    return len(repaired)
