"""A segment with 100,000 members among 100,000 customers: its pages stay fast, because
nothing lists or loads every member or customer (paged lists, counts in the database,
autocompletes without counts, a streamed download), and each page takes the same number of
queries with two members as with 100,000. On PostgreSQL the customer searches and the
customer list's order are read from their indexes (migration 0010), not from every row.

The timings at scales S and L (a million customers) are `bench/admin_pages.py`'s
(docs/benchmarks.md, "Admin pages at S and L")."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.admin import site
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from segments.admin.views.pages import customer_search
from segments.admin.views.preview import members_to_preview_as
from segments.models import Customer, SegmentCustomerAssignment

from .conftest import TENANT

MEMBERS = 100_000

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _picker(admin_name: str, source: tuple[str, str, str], term: str) -> str:
    app_label, model_name, field_name = source
    query = {"tenant": TENANT, "term": term, "app_label": app_label,
             "model_name": model_name, "field_name": field_name}  # fmt: skip
    return f"{reverse(f'admin:{admin_name}_scoped_autocomplete')}?{urlencode(query)}"


def _pages(shop: dict[str, Any]) -> dict[str, str]:
    """The pages issue 20 names at scale L: lists, the segment's pages, pickers, preview."""
    gold, alice = shop["gold"], shop["alice"]
    members = reverse("admin:segments_segment_members", args=[gold.pk])
    preview = reverse("admin:segments_segment_preview")
    member_of = ("segments", "segmentcustomerassignment", "customer")
    return {
        "segments": reverse("admin:segments_segment_changelist"),
        "customers": reverse("admin:segments_customer_changelist"),
        "customers searched": reverse("admin:segments_customer_changelist") + "?q=alice",
        "products": reverse("admin:catalog_product_changelist"),
        "categories": reverse("admin:catalog_category_changelist"),
        "coupons": reverse("admin:coupons_coupon_changelist"),
        "segment": reverse("admin:segments_segment_change", args=[gold.pk]),
        "members": members,
        "members, page 1500": f"{members}?p=1500",
        "members searched": f"{members}?q=alice",
        "members sorted by name": f"{members}?o=name",
        "delete": reverse("admin:segments_segment_delete", args=[gold.pk]),
        "picker: customer by id": _picker("segments_customer", member_of, "alice"),
        # A text every customer's email holds: ranked a page at a time, not every match.
        "picker: customer by email": _picker("segments_customer", member_of, "@example.com"),
        "picker: segment": _picker("segments_segment", member_of, "gold"),
        "preview as a customer": f"{preview}?customer={alice.pk}",
        "preview of the segment": f"{preview}?segment={gold.pk}",
        "preview: a tree level": f"{preview}tree/?customer={alice.pk}&category=clothing",
    }


def _query_counts(
    client: Client, pages: dict[str, str], unbounded: Callable[..., list[str]] | None = None
) -> dict[str, int]:
    """Each page's number of queries, none of them an unbounded read (`_unbounded_reads`
    unless told)."""
    unbounded = unbounded or _unbounded_reads
    counts = {}
    for label, url in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (label, url, response.status_code)
        assert not unbounded(queries), (label, unbounded(queries))
        counts[label] = len(queries)
    return counts


def _bulk_members(gold: Any) -> None:
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        (
            Customer(
                tenant_id=TENANT,
                public_id=f"bulk-{number:06d}",
                email=f"bulk-{number:06d}@example.com",
                first_name="Bulk",
                last_name=f"Customer {number:06d}",
                created_at=now,
                modified_at=now,
            )
            for number in range(MEMBERS)
        ),
        batch_size=5000,
    )
    SegmentCustomerAssignment.objects.bulk_create(
        (
            SegmentCustomerAssignment(
                tenant_id=TENANT, segment=gold, customer=customer, created_at=now, modified_at=now
            )
            for customer in customers
        ),
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        # Statistics, as autovacuum keeps them: without them the planner sorts every member.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def test_a_segment_with_100000_members_stays_fast(merchandiser, shop):
    gold = shop["gold"]
    pages = _pages(shop)
    _query_counts(merchandiser, pages)  # the session and the per-process caches are warm
    small = _query_counts(merchandiser, pages)

    _bulk_members(gold)
    large = _query_counts(merchandiser, pages)

    assert large == small  # the same queries with 2 members and with 100,002
    # The preview as a customer also validates each live coupon of the tenant for them (at
    # most 50, `coupons.admin.preview`): here a few, whatever the members.
    limits = {"preview as a customer": 40}
    assert all(count < limits.get(label, 30) for label, count in large.items()), large
    # Counted up to 10,000 (`pages.COUNT_CAP`), not over every member on each load.
    assert "more than 10,000 members" in merchandiser.get(pages["segment"]).content.decode()
    searched = merchandiser.get(pages["members"] + "?q=bulk-09999").context
    assert searched["total_count"] == 10  # bulk-099990 ... bulk-099999
    picked = merchandiser.get(_picker(
        "segments_customer", ("segments", "segmentcustomerassignment", "customer"), "bulk-0999"
    )).json()  # fmt: skip
    assert [row["id"] for row in picked["results"]][:1] and picked["pagination"]["more"]

    download = merchandiser.get(reverse("admin:segments_segment_members_export", args=[gold.pk]))
    lines = sum(chunk.count(b"\n") for chunk in download.streaming_content)
    assert lines == MEMBERS + 2 + 1  # the header, alice, bob and the bulk members

    if connection.vendor == "postgresql":
        _searches_and_the_name_order_use_their_indexes(gold)
        _a_common_word_reads_about_a_page(merchandiser, gold)


# The pages searched by a word that all 100,000 bulk customers share.
COMMON_WORD_PAGES = {
    "members searched by a common word": ("members", "bulk"),
    "picker: customer by a common word": ("picker", "bulk"),
}


def _a_common_word_reads_about_a_page(client: Client, gold: Any) -> None:
    """Searched by a word that every one of the 100,000 customers holds, the members page
    and the customer picker read about a page of rows, not every match: the members page
    walks the segment's members in its order, checking each one's customer (and counts up
    to 100), the picker's rest rank reads one row when the prefix rank fills the page.
    Measured from the plans as run (EXPLAIN ANALYZE): every row a scan returned or filtered
    out, over all the page's queries."""
    members = reverse("admin:segments_segment_members", args=[gold.pk])
    member_of = ("segments", "segmentcustomerassignment", "customer")
    urls = {
        "members": f"{members}?{urlencode({'q': 'bulk'})}",
        "picker": _picker("segments_customer", member_of, "bulk"),
    }
    read = {}
    for label, (page, _) in COMMON_WORD_PAGES.items():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(urls[page]).status_code == 200
        read[label] = sum(_rows_read(query["sql"]) for query in queries.captured_queries)
    assert all(rows < 5_000 for rows in read.values()), read


def _customers(names: Any) -> None:
    now = timezone.now()
    Customer.objects.bulk_create(
        (
            Customer(tenant_id=TENANT, public_id=public_id, email=f"{public_id}@example.com",
                     first_name=first, last_name=last, created_at=now, modified_at=now)
            for public_id, first, last in names
        ),
        batch_size=5000,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans: PostgreSQL only")
def test_a_common_last_name_reads_a_page_of_the_customer_picker(merchandiser, shop):
    """Typed a last name that 2,000 of 22,000 customers hold, all of whom sort late by
    first name ("Zoe Weber" after 20,000 "Anna"s), the customer picker reads the page of
    them from the last name's index (segments migration 0015, the word rank), not the name
    index past every "Anna" nor every "Weber" sorted: the customer queries read a page of
    rows (`_rows_read`), and the page takes the same queries as when 25 customers hold
    that name. Before the word rank, the rest rank read every "Weber" or "Anna"."""
    member_of = ("segments", "segmentcustomerassignment", "customer")
    url = _picker("segments_customer", member_of, "weber")
    customers = f'FROM "{Customer._meta.db_table}"'

    def read() -> tuple[int, int, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            response = merchandiser.get(url)
        assert response.status_code == 200
        ranked = [query["sql"] for query in queries.captured_queries if customers in query["sql"]]
        texts = [row["text"] for row in response.json()["results"]]
        return len(queries), sum(_rows_read(sql) for sql in ranked), texts

    _customers((f"w{number:05d}", "Zoe", "Weber") for number in range(25))
    read()  # the session and the per-process caches are warm
    few, _, _ = read()
    _customers((f"a{number:05d}", "Anna", f"Name{number:05d}") for number in range(20_000))
    _customers((f"w{number:05d}", "Zoe", "Weber") for number in range(25, 2_000))
    many, rows, texts = read()

    assert many == few
    # The customers' queries (the ranks): the word rank's 21 rows, with each one's count
    # of memberships; the others find nothing.
    assert rows <= 200, rows
    assert texts[:2] == ["w00000 — Zoe Weber <w00000@example.com>",
                         "w00001 — Zoe Weber <w00001@example.com>"]  # fmt: skip


def _rows_read(sql: str) -> int:
    """The rows the query's scans returned or removed by a filter, from its plan as run."""
    if not sql.startswith("SELECT"):
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = plan[0]["Plan"] if isinstance(plan, list) else json.loads(plan)[0]["Plan"]

    def walk(node: dict[str, Any]) -> int:
        own = 0
        if "Scan" in node["Node Type"] and node["Node Type"] != "Bitmap Index Scan":
            removed = node.get("Rows Removed by Filter", 0)
            own = (node["Actual Rows"] + removed) * node["Actual Loops"]
        return own + sum(walk(child) for child in node.get("Plans", ()))

    return walk(plan)


def _searches_and_the_name_order_use_their_indexes(gold: Any) -> None:
    """The plans of the customer searches (list, pickers, members page) and of the customer
    list's first page: index scans (migration 0010), not a pass over every customer."""
    from segments.admin.directory import CustomerAdmin
    from segments_project.db.search import matching
    from segments_project.tenancy.admin_ranking import BestMatchFirst, by_name

    customers = Customer.objects.filter(tenant_id=TENANT)
    searched = matching(customers, "bulk-09999", *CustomerAdmin.search_text_fields)
    by_name_first = customers.order_by(by_name(Customer, CustomerAdmin.autocomplete_name), "pk")
    members = SegmentCustomerAssignment.objects.filter(segment=gold).filter(
        customer_search(TENANT, "bulk-09999")
    )

    # A picker's ranks by a word all 100,000 share: the exact and prefix ranks from their
    # bytewise indexes, the rest read in name order from the name index, a page of it.
    ranking = CustomerAdmin(Customer, site).autocomplete_ranking()
    common = matching(customers, "customer", *CustomerAdmin.search_text_fields)
    ranked = BestMatchFirst(common, "customer", match=ranking[0], name=ranking[1], scoped=customers)
    assert "customer_name_bytewise" in ranked.prefixed[-1][:21].explain()
    assert "customer_name_sort" in ranked.rest[:21].explain()

    assert "customer_search_trgm" in searched.explain()
    assert "customer_search_trgm" in members.explain()
    assert "customer_name_sort" in by_name_first[:50].explain()
    # The members page's first page (newest first) from the index, not a sort of every member.
    newest = SegmentCustomerAssignment.objects.filter(tenant_id=TENANT, segment=gold)
    assert "member_added" in newest.order_by("-created_at", "-pk")[:50].explain()
    # The preview of the segment offers a few of its members from the same index.
    assert "member_added" in members_to_preview_as(gold).explain()


def _unbounded_reads(queries: CaptureQueriesContext) -> list[str]:
    """The queries that read the member or customer table's rows without a LIMIT and not
    for given customers: one of them would load every member or customer (counts,
    existence checks and subqueries are fine)."""
    tables = (SegmentCustomerAssignment._meta.db_table, Customer._meta.db_table)
    given = (f'"{Customer._meta.db_table}"."id" IN (', f'"{Customer._meta.db_table}"."id" = ',
             '"customer_id" IN (', '"customer_id" = ')  # fmt: skip
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT")
        and any(f'FROM "{table}"' in query["sql"].split(" WHERE ")[0] for table in tables)
        and "LIMIT" not in query["sql"]
        and "COUNT(" not in query["sql"]
        and not any(condition in query["sql"] for condition in given)
    ]


CATEGORIES = 20_000


def _category_pages() -> dict[str, str]:
    changelist = reverse("admin:catalog_category_changelist")
    return {
        "tree": changelist,
        "tree, page 3": f"{changelist}?p=3",
        "tree, filtered": f"{changelist}?published__exact=1",
    }


def _bulk_categories() -> None:
    """20,000 categories under the shop's: 200 roots of 99 children each, keyed and pathed
    as the services store them."""
    from catalog.models import Category, tree_key_part

    now = timezone.now()

    def category(public_id: str, position: int, parent: Category | None) -> Category:
        return Category(
            tenant_id=TENANT,
            public_id=public_id,
            parent=parent,
            path="",
            depth=1 if parent else 0,
            tree_key=(parent.tree_key if parent else "") + tree_key_part(position, public_id),
            name={"en": f"Bulk {public_id}"},
            position=position,
            published=True,
            created_at=now,
            modified_at=now,
        )

    roots = Category.objects.bulk_create(
        category(f"bulk-{root:03d}", root + 10, None) for root in range(CATEGORIES // 100)
    )
    Category.objects.bulk_create(
        (
            category(f"bulk-{root.public_id[5:]}-{child:02d}", child, root)
            for root in roots
            for child in range(99)
        ),
        batch_size=5000,
    )
    for root in roots:
        root.path = f"/{root.pk}/"
    Category.objects.bulk_update(roots, ["path"], batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def test_the_category_tree_reads_a_page_whatever_the_forest(merchandiser, shop):
    """The category list's tree (200,000 categories at scale L) reads the page's keys in
    tree order, then the page's rows: the same queries for 4 categories as for 20,004, none
    reading the category table without a LIMIT; on PostgreSQL the keys come from the index
    `category_tree_order` (catalog migration 0006), not a sort of every category."""
    from catalog.models import Category
    from segments_project.tenancy.admin_ranking import BytewiseText

    pages = _category_pages()
    _query_counts(merchandiser, pages, _unbounded_category_reads)  # warm caches
    small = _query_counts(merchandiser, pages, _unbounded_category_reads)

    _bulk_categories()
    large = _query_counts(merchandiser, pages, _unbounded_category_reads)

    assert large == small
    assert all(count < 20 for count in large.values()), large
    third = merchandiser.get(pages["tree, page 3"]).context["cl"].result_list
    # The shop's 4, bulk-000 with its 99 children, bulk-001 with 95 of its: then page 3.
    assert [row.public_id for row in third[3:6]] == ["bulk-001-98", "bulk-002", "bulk-002-00"]
    if connection.vendor == "postgresql":
        keys = Category.objects.filter(tenant_id=TENANT).order_by(
            "tenant_id", BytewiseText(F("tree_key"))
        )
        plan = keys.values_list("pk", flat=True)[200:300].explain()
        assert "category_tree_order" in plan and "Sort" not in plan, plan


def _unbounded_category_reads(queries: CaptureQueriesContext) -> list[str]:
    """The queries that read the category table's rows without a LIMIT and not for given
    categories (counts and subqueries are fine)."""
    table = '"catalog_category"'
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT")
        and f"FROM {table}" in query["sql"].split(" WHERE ")[0]
        and "LIMIT" not in query["sql"]
        and "COUNT(" not in query["sql"]
        and f'{table}."id" IN (' not in query["sql"]
    ]
