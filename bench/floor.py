"""The database floor: the SQL that answers each storefront question for the same customers,
timed directly through psycopg (no Django, no HTTP, no JSON).

Each question is answered the cheapest sensible way, with the indexes the app has:
the customer's live segments of the site (the membership rule), then what they give.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from bench.common import Target, percentiles
from bench.dataset import MEMBER_SEGMENTS, Customer, _params

PAGE_SIZE = 60

ME_SEGMENTS = f"""
    SELECT s.public_id, s.name, s.description, s.valid_from, s.valid_to, s.status,
           s.site_code, s.mixins, s.metadata_mixins, s.version, s.created_at, s.modified_at
    FROM segments_segment s WHERE s.id IN (SELECT id FROM ({MEMBER_SEGMENTS}) m)
    ORDER BY s.public_id
"""

ITEMS = f"""
    SELECT i.item_type, i.mixins, i.metadata_mixins, i.version, i.created_at, i.modified_at,
           s.public_id, p.public_id, p.code, p.name, c.public_id, c.code, c.name
    FROM segments_segmentitemassignment i
    JOIN segments_segment s ON s.id = i.segment_id
    LEFT JOIN catalog_product p ON p.id = i.product_id
    LEFT JOIN catalog_category c ON c.id = i.category_id
    WHERE i.tenant_id = %(tenant)s AND i.segment_id IN (SELECT id FROM ({MEMBER_SEGMENTS}) m)
    ORDER BY i.id LIMIT {PAGE_SIZE}
"""

ASSIGNED_CATEGORIES = f"""
    SELECT DISTINCT c.path FROM segments_segmentitemassignment i
    JOIN catalog_category c ON c.id = i.category_id
    WHERE i.tenant_id = %(tenant)s AND i.item_type = 'CATEGORY'
      AND i.segment_id IN (SELECT id FROM ({MEMBER_SEGMENTS}) m)
"""

FOREST_COLUMNS = """
    id, parent_id, path, depth, position, public_id, code, name, published, valid_from,
    valid_to, mixins, metadata_mixins, version, created_at, modified_at
"""

MATCH = f"""
    WITH member AS ({MEMBER_SEGMENTS})
    SELECT p.public_id, m.public_id FROM segments_segmentitemassignment i
    JOIN member m ON m.id = i.segment_id
    JOIN catalog_product p ON p.id = i.product_id
    WHERE i.tenant_id = %(tenant)s AND i.item_type = 'PRODUCT'
      AND p.tenant_id = %(tenant)s AND p.public_id = ANY(%(products)s)
    UNION
    SELECT p.public_id, m.public_id FROM catalog_categoryassignment ca
    JOIN catalog_product p ON p.id = ca.product_id
    JOIN catalog_category c ON c.id = ca.category_id
    JOIN segments_segmentitemassignment i ON i.tenant_id = %(tenant)s
      AND i.item_type = 'CATEGORY'
      AND i.category_id = ANY(string_to_array(trim(BOTH '/' FROM c.path), '/')::bigint[])
    JOIN member m ON m.id = i.segment_id
    WHERE ca.tenant_id = %(tenant)s AND p.tenant_id = %(tenant)s
      AND p.public_id = ANY(%(products)s)
"""


def _me_segments(conn, target: Target, customer: Customer) -> int:
    return len(conn.execute(ME_SEGMENTS, _params(target, customer)).fetchall())


def _items(conn, target: Target, customer: Customer) -> int:
    return len(conn.execute(ITEMS, _params(target, customer)).fetchall())


def _category_trees(conn, target: Target, customer: Customer) -> int:
    """The assigned categories, then one query for their subtrees and ancestors."""
    paths = [row[0] for row in conn.execute(ASSIGNED_CATEGORIES, _params(target, customer))]
    if not paths:
        return 0
    ancestors = sorted({int(pk) for path in paths for pk in path.strip("/").split("/")})
    prefixes = " OR ".join(["path LIKE %s"] * len(paths))
    rows = conn.execute(
        f"SELECT {FOREST_COLUMNS} FROM catalog_category WHERE tenant_id = %s "
        f"AND (id = ANY(%s) OR {prefixes}) ORDER BY depth, position, public_id",
        [target.tenant, ancestors, *(path + "%" for path in paths)],
    ).fetchall()
    return len(rows)


def _match(conn, target: Target, customer: Customer) -> int:
    params = {**_params(target, customer), "products": customer.products}
    return len(conn.execute(MATCH, params).fetchall())


QUESTIONS: dict[str, Callable[..., int]] = {
    "items": _items,
    "category-trees": _category_trees,
    "me-segments": _me_segments,
    "match": _match,
}


def measure_floor(
    target: Target,
    customers: list[Customer],
    *,
    endpoint: str,
    seconds: float,
    connections: int,
) -> dict[str, Any]:
    """Sequential latency on one connection (every customer, at least twice, bounded by
    `seconds`), then throughput and latency with `connections` connections at once."""
    question = QUESTIONS[endpoint]
    with target.connect(autocommit=True) as conn:
        for customer in customers[:5]:
            question(conn, target, customer)  # warm the plan and buffer caches
        sequential: list[float] = []
        rows = 0
        deadline = time.perf_counter() + seconds
        position = 0
        while position < 2 * len(customers) and time.perf_counter() < deadline:
            customer = customers[position % len(customers)]
            started = time.perf_counter()
            rows += question(conn, target, customer)
            sequential.append((time.perf_counter() - started) * 1000)
            position += 1
    concurrent = _concurrent(target, customers, question, seconds, connections)
    return {
        "sequential": percentiles(sequential),
        "rows_per_answer": round(rows / len(sequential), 1) if sequential else 0,
        "concurrent": concurrent,
    }


def _concurrent(target, customers, question, seconds, connections) -> dict[str, Any]:
    latencies: list[list[float]] = [[] for _ in range(connections)]
    barrier = threading.Barrier(connections + 1)
    stop = threading.Event()

    def worker(index: int) -> None:
        with target.connect(autocommit=True) as conn:
            barrier.wait()
            position = index * 7919
            while not stop.is_set():
                customer = customers[position % len(customers)]
                position += 1
                started = time.perf_counter()
                question(conn, target, customer)
                latencies[index].append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    samples = [ms for per_thread in latencies for ms in per_thread]
    return {
        "connections": connections,
        "requests": len(samples),
        "seconds": round(elapsed, 2),
        "rps": round(len(samples) / elapsed, 1) if elapsed else 0.0,
        "latency": percentiles(samples),
    }
