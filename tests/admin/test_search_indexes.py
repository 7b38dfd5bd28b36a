"""The admin's search, sort and ranking indexes (segments migrations 0010, 0013 to 0015,
catalog 0002, 0003 and 0006) serve the queries the admin makes: on PostgreSQL each query's
plan can use its index (sequential scans off, so that a small table does not hide an
expression that no longer matches the index); on SQLite the migrations created nothing.
(The members page's search, and the plans at 100,000 customers: `test_scale.py`.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.admin import site
from django.db import connection
from django.db.models import F

from catalog.admin.categories import CategoryAdmin
from catalog.admin.products import ProductAdmin
from catalog.models import Category, Product
from segments.admin.directory import CustomerAdmin
from segments.admin.segments import SegmentAdmin
from segments.models import Customer, Segment
from segments_project.db.search import matching
from segments_project.tenancy.admin_ranking import BestMatchFirst, BytewiseText, by_name

pytestmark = pytest.mark.django_db

# A picker's prefix rank reads each ranked text's matches from its own index.
RANKED = {
    "customer": (Customer, CustomerAdmin, ("id", "email", "name")),
    "product": (Product, ProductAdmin, ("id", "code", "name")),
    "category": (Category, CategoryAdmin, ("id", "code", "name")),
    "segment": (Segment, SegmentAdmin, ("id", "name")),
}
BYTEWISE = {
    f"{prefix}_{text}_bytewise": (prefix, position)
    for prefix, (_, _, texts) in RANKED.items()
    for position, text in enumerate(texts)
}
INDEXES = ("customer_search_trgm", "customer_name_sort", "product_search_trgm",
           "product_name_sort", "category_search_trgm", "segment_search_trgm",
           "segment_name_sort", "category_tree_order", "customer_last_name_bytewise",
           *BYTEWISE)  # fmt: skip


# The queries without their tenant condition (a superuser's), so that the tenant's own
# index cannot stand in for the one checked.
def _searched(model: Any, admin: Any) -> Callable[[], Any]:
    return lambda: matching(model.objects.all(), "schmidt", *admin.search_text_fields)


def _by_name(model: Any, name: Any) -> Callable[[], Any]:
    return lambda: model.objects.order_by(by_name(model, name), "pk")[:50]


def _prefixed(prefix: str, position: int) -> Callable[[], Any]:
    """The prefix rank's query of a picker's ranked text (its page: 21 rows)."""

    def query() -> Any:
        model, admin_class, _ = RANKED[prefix]
        admin = admin_class(model, site)
        match, name = admin.autocomplete_ranking()
        ranked = BestMatchFirst(model.objects.all(), "schmidt", match=match, name=name)
        return ranked.prefixed[position][:21]

    return query


def _worded() -> Any:
    """The word rank's query of the customer picker (its page: 21 rows)."""
    match, name = CustomerAdmin(Customer, site).autocomplete_ranking()
    ranked = BestMatchFirst(
        Customer.objects.all(), "schmidt", match=match, name=name,
        words=CustomerAdmin.autocomplete_words,
    )  # fmt: skip
    return ranked.worded[0][:21]


QUERIES = {
    "customer_search_trgm": _searched(Customer, CustomerAdmin),
    "customer_name_sort": _by_name(Customer, CustomerAdmin.autocomplete_name),
    "product_search_trgm": _searched(Product, ProductAdmin),
    "product_name_sort": _by_name(Product, "name"),
    "category_search_trgm": _searched(Category, CategoryAdmin),
    "segment_search_trgm": _searched(Segment, SegmentAdmin),
    "segment_name_sort": _by_name(Segment, "name"),
    # The category list's tree, a page of it (`CategoryTreeChangeList`).
    "category_tree_order": lambda: Category.objects.order_by(
        "tenant_id", BytewiseText(F("tree_key"))
    ).values_list("pk", flat=True)[:100],
    **{index: _prefixed(*ranked) for index, ranked in BYTEWISE.items()},
    "customer_last_name_bytewise": _worded,
}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN indexes: PostgreSQL only")
@pytest.mark.parametrize("index", sorted(QUERIES))
def test_the_admins_query_can_use_its_index(index):
    # A trigram index is read by a bitmap scan: plain index scans off too, so that another
    # index read in order (the model's ordering) cannot stand in for it. An index that
    # exists for the list's order: sorts off, as on these tiny tables sorting a few rows
    # read through another index costs about the same (the pick flips with the statistics).
    off = ["enable_seqscan"]
    if index.endswith("_trgm"):
        off.append("enable_indexscan")
    elif index.endswith(("_sort", "_order")):
        off += ["enable_sort", "enable_incremental_sort"]
    with connection.cursor() as cursor:
        for setting in off:
            cursor.execute(f"SET LOCAL {setting} = off")
        try:
            plan = QUERIES[index]().explain()
        finally:
            for setting in off:
                cursor.execute(f"SET LOCAL {setting} = on")

    assert index in plan, plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_on_sqlite_the_migrations_create_none_of_them():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        names = {row[0] for row in cursor.fetchall()}

    assert not names & set(INDEXES)
