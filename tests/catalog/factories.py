"""Direct-to-database builders of catalog rows for test set-up (no API round trips)."""

from __future__ import annotations

import uuid

from django.utils import timezone

from catalog.models import Category, CategoryAssignment, Product, tree_key_part
from segments_project.tenancy.models import Tenant


def make_product(
    tenant: str, product_id: str, *, name: str | None = None, published: bool = True, code: str = ""
) -> Product:
    Tenant.objects.get_or_create(name=tenant)
    now = timezone.now()
    return Product.objects.create(
        tenant_id=tenant,
        public_id=product_id,
        code=code or f"code-{product_id}",
        name={"en": name or f"Product {product_id}"},
        published=published,
        created_at=now,
        modified_at=now,
    )


def make_category(
    tenant: str,
    category_id: str,
    *,
    parent: Category | None = None,
    position: int = 0,
    published: bool = True,
    name: str | None = None,
) -> Category:
    Tenant.objects.get_or_create(name=tenant)
    now = timezone.now()
    category = Category.objects.create(
        tenant_id=tenant,
        public_id=category_id,
        parent=parent,
        path="",
        depth=parent.depth + 1 if parent else 0,
        tree_key=(parent.tree_key if parent else "") + tree_key_part(position, category_id),
        name={"en": name or f"Category {category_id}"},
        position=position,
        published=published,
        created_at=now,
        modified_at=now,
    )
    category.path = f"{parent.path if parent else '/'}{category.pk}/"
    category.save(update_fields=["path"])
    return category


def make_assignment(category: Category, product: Product) -> CategoryAssignment:
    now = timezone.now()
    return CategoryAssignment.objects.create(
        tenant_id=category.tenant_id,
        public_id=str(uuid.uuid4()),
        category=category,
        product=product,
        created_at=now,
        modified_at=now,
    )


def parent_link_order(tenant: str) -> list[str]:
    """The tenant's categories depth first, siblings by position then id, worked out from
    the parent links alone: what the stored tree keys must order them as."""
    rows = Category.objects.filter(tenant_id=tenant).values_list(
        "pk", "parent_id", "position", "public_id"
    )
    children: dict[int | None, list[tuple[int, str, int]]] = {}
    for pk, parent, position, public_id in rows:
        children.setdefault(parent, []).append((position, public_id, pk))
    ids = {pk: public_id for pk, _, _, public_id in rows}
    ordered: list[str] = []
    stack = sorted(children.get(None, []), reverse=True)
    while stack:
        _, _, pk = stack.pop()
        ordered.append(ids[pk])
        stack.extend(sorted(children.get(pk, []), reverse=True))
    return ordered


def tree_key_order(tenant: str) -> list[str]:
    """The tenant's categories in the order of their stored tree keys, compared bytewise
    as the admin's tree list compares them."""
    from django.db.models import F

    from segments_project.tenancy.admin_ranking import BytewiseText

    return list(
        Category.objects.filter(tenant_id=tenant)
        .order_by(BytewiseText(F("tree_key")))
        .values_list("public_id", flat=True)
    )
