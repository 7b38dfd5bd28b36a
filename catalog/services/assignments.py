"""Writes of products in categories. The API and the admin come through here.

Every request is validated and applied as sets: the referenced products are looked up in
one query, the assignments already there in another, and new rows are inserted together.
The unique (tenant, category, product) constraint settles races with concurrent writers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from segments_project.api.documents import clean_id
from segments_project.checkpoints import Checkpoint, reached
from segments_project.errors import (
    AlreadyExists,
    ApplicationError,
    ErrorDetail,
    NotFound,
    ValidationFailed,
)

from ..documents.assignments import AssignmentOutcome, referenced_product_id
from ..hooks import STOREFRONT_CHANGED
from ..models import Category, CategoryAssignment, Product


def _category_locked(*, tenant: str, category_id: str) -> Category:
    """The category, locked until commit: writers of one category's assignments take turns,
    so overlapping concurrent bulks cannot deadlock on each other's unique-index entries."""
    category = (
        Category.objects.select_for_update().filter(tenant_id=tenant, public_id=category_id).first()
    )
    if category is None:
        raise NotFound(
            f"The category with id {category_id} has not been found.", resource_id=category_id
        )
    return category


def _unknown_product(product_id: str) -> ValidationFailed:
    message = f"The product with id {product_id} has not been found."
    return ValidationFailed(
        message, resource_id=product_id, details=[ErrorDetail("ref.id", "not_found", message)]
    )


def _already_assigned(product_id: str, category: Category) -> AlreadyExists:
    return AlreadyExists(
        f"The product {product_id} is already assigned to the category {category.public_id}.",
        resource_id=product_id,
    )


def _parse(documents: Sequence[Any], *, type_required: bool) -> list[str | ApplicationError]:
    parsed: list[str | ApplicationError] = []
    for document in documents:
        try:
            parsed.append(referenced_product_id(document, type_required=type_required))
        except ApplicationError as exc:
            parsed.append(exc)
    return parsed


def _assign(
    *, tenant: str, category: Category, requested: Sequence[str | ApplicationError], upsert: bool
) -> list[AssignmentOutcome]:
    """Assigns the requested products to the category; one outcome per request, in order.

    A product that is already in the category is a 409, or with `upsert` a 204 carrying
    the existing assignment's id. Valid elements are applied even when others fail.
    """
    product_ids = {item for item in requested if isinstance(item, str)}
    products = dict(
        Product.objects.filter(tenant_id=tenant, public_id__in=product_ids)
        .order_by()
        .values_list("public_id", "pk")
    )
    existing = dict(
        CategoryAssignment.objects.filter(
            tenant_id=tenant, category=category, product_id__in=products.values()
        )
        .order_by()
        .values_list("product_id", "public_id")
    )
    now = timezone.now()
    outcomes: list[AssignmentOutcome] = []
    new_rows: dict[str, CategoryAssignment] = {}  # product id -> row to insert
    for item in requested:
        if isinstance(item, ApplicationError):
            outcomes.append(AssignmentOutcome(product_id=None, error=item))
        elif item not in products:
            outcomes.append(AssignmentOutcome(product_id=item, error=_unknown_product(item)))
        elif products[item] in existing or item in new_rows:
            assignment_id = existing.get(products[item]) or new_rows[item].public_id
            error = None if upsert else _already_assigned(item, category)
            outcomes.append(
                AssignmentOutcome(product_id=item, assignment_id=assignment_id, error=error)
            )
        else:
            new_rows[item] = CategoryAssignment(
                tenant_id=tenant,
                public_id=str(uuid.uuid4()),
                category=category,
                product_id=products[item],
                created_at=now,
                modified_at=now,
            )
            outcomes.append(
                AssignmentOutcome(
                    product_id=item, assignment_id=new_rows[item].public_id, created=True
                )
            )
    if new_rows:
        reached(Checkpoint.CATEGORY_ASSIGNMENTS_INSERTING)
        CategoryAssignment.objects.bulk_create(new_rows.values(), ignore_conflicts=True)
        # Trees that graft the products' categories show it.
        STOREFRONT_CHANGED(tenant, product_categories=[row.product_id for row in new_rows.values()])
        return _settle_races(tenant=tenant, category=category, outcomes=outcomes, upsert=upsert)
    return outcomes


def _settle_races(
    *, tenant: str, category: Category, outcomes: list[AssignmentOutcome], upsert: bool
) -> list[AssignmentOutcome]:
    """Corrects the outcomes of rows a concurrent writer inserted first (ignored conflicts).

    The product is in the category then, under the other writer's assignment id.
    """
    claimed = {o.assignment_id: o.product_id for o in outcomes if o.created}
    inserted = set(
        CategoryAssignment.objects.filter(tenant_id=tenant, public_id__in=claimed.keys())
        .order_by()
        .values_list("public_id", flat=True)
    )
    lost = {key: product_id for key, product_id in claimed.items() if key not in inserted}
    if not lost:
        return outcomes
    winners = dict(
        CategoryAssignment.objects.filter(
            tenant_id=tenant, category=category, product__public_id__in=lost.values()
        )
        .order_by()
        .values_list("product__public_id", "public_id")
    )
    settled = []
    for outcome in outcomes:
        if outcome.assignment_id in lost:
            product_id = outcome.product_id
            error = outcome.error
            if outcome.created and not upsert:
                error = _already_assigned(product_id, category)
            outcome = AssignmentOutcome(
                product_id=product_id, assignment_id=winners.get(product_id), error=error
            )
        settled.append(outcome)
    return settled


def _raise_or_return(outcome: AssignmentOutcome) -> AssignmentOutcome:
    if outcome.error is not None:
        raise outcome.error
    return outcome


@transaction.atomic
def category_assignment_create(
    *, tenant: str, category_id: str, document: Any
) -> CategoryAssignment:
    """Assigns the product `{"ref": {"id", "type": "PRODUCT"}}` names to the category.

    404 for an unknown category; 400 for a malformed reference or an unknown product;
    409 when the product is already in the category.
    """
    category = _category_locked(tenant=tenant, category_id=category_id)
    product_id = referenced_product_id(document, type_required=True)
    outcome = _raise_or_return(
        _assign(tenant=tenant, category=category, requested=[product_id], upsert=False)[0]
    )
    return CategoryAssignment.objects.get(tenant_id=tenant, public_id=outcome.assignment_id)


@transaction.atomic
def category_assignment_upsert(
    *, tenant: str, category_id: str, product_id: str
) -> tuple[str, bool]:
    """Puts the product in the category unless it is there; returns the assignment id and
    whether it was created. 404 for an unknown category, 400 for an unknown product."""
    category = _category_locked(tenant=tenant, category_id=category_id)
    clean_id(product_id, "referenceId")
    outcome = _raise_or_return(
        _assign(tenant=tenant, category=category, requested=[product_id], upsert=True)[0]
    )
    return outcome.assignment_id, outcome.created


@transaction.atomic
def category_assignments_create_bulk(
    *, tenant: str, category_id: str, documents: Sequence[Any]
) -> list[AssignmentOutcome]:
    """Assigns each referenced product; one outcome per document, in order.

    404 (for the whole request) for an unknown category. Per element: 201, or 400 for a
    malformed reference or an unknown product, or 409 when the product is already in the
    category (also when the request names it twice).
    """
    category = _category_locked(tenant=tenant, category_id=category_id)
    requested = _parse(documents, type_required=True)
    return _assign(tenant=tenant, category=category, requested=requested, upsert=False)


@transaction.atomic
def category_assignments_upsert_bulk(
    *, tenant: str, category_id: str, documents: Sequence[Any]
) -> list[AssignmentOutcome]:
    """Puts each referenced product (`{"ref": {"id"}}`) in the category unless it is there.

    Per element: 201 created, 204 already there (with its assignment id), or 400.
    """
    category = _category_locked(tenant=tenant, category_id=category_id)
    requested = _parse(documents, type_required=False)
    return _assign(tenant=tenant, category=category, requested=requested, upsert=True)


@transaction.atomic
def category_assignments_delete_all(*, tenant: str, category_id: str) -> int:
    """Removes every product from the category; returns how many; 404 for an unknown one."""
    category = _category_locked(tenant=tenant, category_id=category_id)
    assignments = CategoryAssignment.objects.filter(tenant_id=tenant, category=category)
    _storefront_changed(tenant, assignments)
    deleted, _ = assignments.delete()
    return deleted


@transaction.atomic
def category_assignment_delete(*, tenant: str, category_id: str, assignment_id: str) -> bool:
    """Removes the assignment from the category; False if it was not there (idempotent)."""
    return _delete_in_category(tenant=tenant, category_id=category_id, public_id=assignment_id)


@transaction.atomic
def category_assignment_delete_by_product(
    *, tenant: str, category_id: str, product_id: str
) -> bool:
    """Takes the product out of the category; False if it was not in it (idempotent)."""
    return _delete_in_category(
        tenant=tenant, category_id=category_id, product__public_id=product_id
    )


def _delete_in_category(*, tenant: str, category_id: str, **match: str) -> bool:
    """Deletes the category's assignment that `match` names, under the category's lock;
    whether there was one."""
    category = _category_locked(tenant=tenant, category_id=category_id)
    assignments = CategoryAssignment.objects.filter(tenant_id=tenant, category=category, **match)
    _storefront_changed(tenant, assignments)
    deleted, _ = assignments.delete()
    return bool(deleted)


@transaction.atomic
def product_assignments_delete(*, tenant: str, product_id: str) -> int:
    """Takes the product out of every category of the tenant; returns how many (idempotent)."""
    assignments = CategoryAssignment.objects.filter(tenant_id=tenant, product__public_id=product_id)
    _storefront_changed(tenant, assignments)
    deleted, _ = assignments.delete()
    return deleted


def _storefront_changed(tenant: str, assignments: QuerySet[CategoryAssignment]) -> None:
    """Marks the trees that graft the categories of these assignments' products stale
    (before the assignments go)."""
    STOREFRONT_CHANGED(tenant, product_categories=assignments.values("product_id"))
