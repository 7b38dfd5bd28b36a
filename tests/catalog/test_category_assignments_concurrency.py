"""Overlapping concurrent bulks of category assignments neither deadlock nor duplicate."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from catalog.models import CategoryAssignment
from catalog.services import assignments as services

from ..concurrency import run_concurrently
from ..conftest import TENANT
from .factories import make_category, make_product

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]

WRITERS = 6


def test_overlapping_bulk_upserts_into_one_category_apply_each_product_once():
    make_category(TENANT, "tools")
    product_ids = [make_product(TENANT, f"p{index}").public_id for index in range(150)]
    choices = [random.Random(index).sample(product_ids, 100) for index in range(WRITERS)]

    outcomes = run_concurrently(
        lambda index: services.category_assignments_upsert_bulk(
            tenant=TENANT,
            category_id="tools",
            documents=[{"ref": {"id": product_id}} for product_id in choices[index]],
        ),
        WRITERS,
    )

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    created = [o.product_id for result in outcomes for o in result if o.created]
    assert len(created) == len(set(created))
    stored = list(CategoryAssignment.objects.values_list("product__public_id", flat=True))
    assert sorted(stored) == sorted(set(created))
