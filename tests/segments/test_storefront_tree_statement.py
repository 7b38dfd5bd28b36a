"""The category forest of a storefront, computed in one statement on PostgreSQL (ORM
queries elsewhere, and with grafted product categories), checked against a brute-force
reading of its definition on generated catalogs: the same nodes, fields, order and
segment ids."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from catalog.documents.categories import category_node
from catalog.models import Category, CategoryAssignment
from segments.models import SegmentItemAssignment
from segments.selectors.storefront_scope import StorefrontScope
from segments.selectors.storefront_trees import segment_category_forest
from segments_project.api.localization import ALL_LANGUAGES, LanguagePreference

from ..catalog.factories import make_assignment, make_category, make_product
from ..conftest import TENANT
from .factories import assign_customer, assign_item, make_customer, make_segment

pytestmark = pytest.mark.django_db

GERMAN_THEN_ENGLISH = LanguagePreference(("de", "en"))


def _generated_shop(seed: int) -> None:
    """A random forest of 120 categories (some unpublished, ties in position, names in
    mixed-case languages, descriptions, slugs, numbers, validity); customer c1 in three
    of four segments, each assigning random categories and products; products placed in
    one to three categories."""
    rng = random.Random(seed)
    categories: list[Category] = []
    for index in range(120):
        parent = rng.choice(categories) if categories and rng.random() < 0.85 else None
        category = make_category(
            TENANT,
            f"cat-{rng.randrange(10**6):06d}-{index}",
            parent=parent,
            position=rng.randrange(3),
            published=rng.random() < 0.85,
        )
        category.name = {"en": f"Category {index}", rng.choice(["de", "DE", "fr"]): f"K {index}"}
        category.description = {"en": "about"} if index % 3 == 0 else {}
        category.slug = {"de": f"k-{index}"} if index % 4 == 0 else {}
        category.code = f"C{index}" if index % 2 == 0 else None
        category.ecn = [f"E{index}"] if index % 5 == 0 else []
        category.valid_to = timezone.now() + timedelta(days=index) if index % 7 else None
        category.save()
        categories.append(category)
    products = [make_product(TENANT, f"p{index}") for index in range(40)]
    for product in products:
        for category in rng.sample(categories, rng.randint(1, 3)):
            make_assignment(category, product)
    customer = make_customer(TENANT, "c1")
    for index in range(4):
        segment = make_segment(TENANT, f"seg-{index}")
        if index < 3:
            assign_customer(segment, customer)
        for item in rng.sample(categories, 6) + rng.sample(products, 8):
            assign_item(segment, item)


def _by_definition(scope: StorefrontScope, languages, *, graft: bool) -> list[dict[str, Any]]:
    """Every node read from the whole catalog: shown when published, under a shown parent,
    and an ancestor of a given category or in an assigned category's subtree."""
    segment_ids = dict(scope.segments().values_list("pk", "public_id"))
    assigned: dict[int, set[str]] = defaultdict(set)
    grafted: dict[int, set[str]] = defaultdict(set)
    for item in SegmentItemAssignment.objects.filter(segment_id__in=segment_ids):
        if item.category_id is not None:
            assigned[item.category_id].add(segment_ids[item.segment_id])
        elif graft:
            for placement in CategoryAssignment.objects.filter(product_id=item.product_id):
                grafted[placement.category_id].add(segment_ids[item.segment_id])
    everything = {category.pk: category for category in Category.objects.all()}

    def lineage(category: Category) -> list[int]:
        chain = [category.pk]
        while everything[chain[-1]].parent_id is not None:
            chain.append(everything[chain[-1]].parent_id)
        return chain

    wanted = {pk for given in [*assigned, *grafted] for pk in lineage(everything[given])}
    wanted |= {pk for pk, c in everything.items() if set(lineage(c)) & set(assigned)}

    def shown(category: Category) -> bool:
        return all(everything[pk].published for pk in lineage(category))

    def render(category: Category) -> dict[str, Any] | None:
        kids = sorted(
            (c for c in everything.values() if c.parent_id == category.pk and c.pk in wanted),
            key=lambda c: (c.position, c.public_id),
        )
        kept = [node for child in kids if shown(child) and (node := render(child))]
        granted = set().union(*(assigned[pk] for pk in lineage(category) if pk in assigned))
        ids = granted | grafted.get(category.pk, set())
        ids = ids.union(*(node["segmentIds"] for node in kept))
        if not ids:
            return None
        parent = everything.get(category.parent_id)
        node = category_node(category, languages, parent.public_id if parent else None)
        node["name"] = node.pop("localizedName")
        node["isSegmentAssigned"] = bool(granted)
        node["segmentIds"] = sorted(ids)
        node["subcategories"] = kept
        return node

    roots = sorted(
        (c for c in everything.values() if c.parent_id is None and c.pk in wanted and shown(c)),
        key=lambda c: (c.position, c.public_id),
    )
    return [node for root in roots if (node := render(root))]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("graft", [False, True])
@pytest.mark.parametrize("languages", [ALL_LANGUAGES, GERMAN_THEN_ENGLISH])
def test_the_forest_is_its_definition_on_a_generated_catalog(seed, graft, languages):
    _generated_shop(seed)
    at = timezone.now()
    for customer_id in ("c1", None):  # a customer's view, and a tenant-wide reader's
        scope = StorefrontScope(
            tenant=TENANT, customer_id=customer_id, legal_entity_id=None, site_code=None, at=at
        )

        forest = segment_category_forest(scope, languages, include_product_categories=graft)

        assert forest == _by_definition(scope, languages, graft=graft)
        assert forest  # the generated catalog gives every view some trees


def test_a_cold_forest_is_one_statement_on_postgresql(django_assert_num_queries):
    _generated_shop(4)
    scope = StorefrontScope(
        tenant=TENANT, customer_id="c1", legal_entity_id=None, site_code=None, at=timezone.now()
    )
    segment_category_forest(scope, ALL_LANGUAGES)  # compiles the membership statement

    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        forest = segment_category_forest(scope, ALL_LANGUAGES)
    with django_assert_num_queries(3):
        grafted = segment_category_forest(scope, ALL_LANGUAGES, include_product_categories=True)
    assert forest and grafted


def test_a_visitor_gets_no_forest_and_no_query(django_assert_num_queries):
    _generated_shop(5)
    visitor = StorefrontScope(
        tenant=TENANT,
        customer_id=None,
        legal_entity_id=None,
        site_code=None,
        at=timezone.now(),
        visitor=True,
    )

    with django_assert_num_queries(0):
        assert segment_category_forest(visitor, ALL_LANGUAGES) == []
