"""The write path: bulk member upserts from several clients at once, single upserts, and
coupon validation with a cart of 20 lines. Writes go to segments of its own
(`bench-write-*`), deleted again at the end, so the dataset stays as generated."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import Target, percentiles
from bench.dataset import WRITE_SEGMENT_PREFIX, Customer, remove_write_segments
from bench.http_client import Answer, Call, Client, run_calls

BULK_SIZE = 200
CART_LINES = 20


def _member_pool(target: Target, seed: int) -> list[dict[str, str]]:
    """Every customer once, B2B ones acting for one of their legal entities, shuffled."""
    with target.connect() as conn:
        rows = conn.execute(
            """
            SELECT c.public_id, min(e.public_id) FROM segments_customer c
            LEFT JOIN segments_customerlegalentity l ON l.customer_id = c.id
            LEFT JOIN segments_legalentity e ON e.id = l.legal_entity_id
            WHERE c.tenant_id = %s GROUP BY c.id ORDER BY c.id
            """,
            [target.tenant],
        ).fetchall()
    members = [
        {"customerId": customer, **({"legalEntityId": entity} if entity else {})}
        for customer, entity in rows
    ]
    random.Random(f"bench-writes:{seed}").shuffle(members)
    return members


def _create_segment(client: Client, tenant: str, token: str, segment_id: str) -> None:
    answer = client.send(
        Call(
            "PUT",
            f"/customer-segment/{tenant}/segments/{segment_id}",
            token,
            {"name": {"en": "Write benchmark"}, "status": "ACTIVE", "siteCode": "main"},
        )
    )
    if answer.status not in (201, 204):
        raise RuntimeError(f"segment {segment_id}: {answer.status} {answer.body[:300]!r}")


def bulk_upserts(
    client: Client,
    target: Target,
    token: str,
    *,
    parallel: int,
    max_batches: int,
    seed: int,
) -> dict[str, Any]:
    """`parallel` clients, each filling its own segment with batches of 200 new members."""
    pool = _member_pool(target, seed)
    size = min(BULK_SIZE, max(1, len(pool) // 2))
    batches = max(1, min(max_batches, len(pool) // size))
    segments = [f"{WRITE_SEGMENT_PREFIX}bulk-{k}" for k in range(parallel)]
    for segment in segments:
        _create_segment(client, target.tenant, token, segment)

    def one_client(k: int) -> list[tuple[Answer, int]]:
        path = f"/customer-segment/{target.tenant}/segments/{segments[k]}/customers/bulk"
        offset = (k * size * batches) % len(pool)
        done = []
        for b in range(batches):
            start = (offset + b * size) % len(pool)
            # Not `(pool + pool)[start:start + size]`: a copy of the whole pool per request,
            # in the timed loop, on the server's cores (at L two million entries, ~10 ms).
            elements = [pool[(start + i) % len(pool)] for i in range(size)]
            answer = client.send(Call("PUT", path, token, elements))
            created = 0
            if answer.status == 207:
                created = sum(1 for entry in answer.json() if entry.get("code") in (201, 204))
            done.append((answer, created))
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as executor:
        per_client = list(executor.map(one_client, range(parallel)))
    results = [item for answers in per_client for item in answers]
    seconds = time.perf_counter() - started
    written = sum(created for _, created in results)
    return {
        "clients": parallel,
        "batch_size": size,
        "requests": len(results),
        "assignments": written,
        "failed_elements": len(results) * size - written,
        "seconds": round(seconds, 2),
        "assignments_per_second": round(written / seconds, 1) if seconds else 0.0,
        "request_latency": percentiles([answer.ms for answer, _ in results]),
        "statuses": _statuses([answer for answer, _ in results]),
    }


def single_upserts(
    client: Client, target: Target, token: str, *, count: int, seed: int
) -> dict[str, Any]:
    """One PUT per new member, one after the other: the latency of a single upsert."""
    segment = f"{WRITE_SEGMENT_PREFIX}single"
    _create_segment(client, target.tenant, token, segment)
    pool = [m for m in _member_pool(target, seed + 1) if "legalEntityId" not in m][:count]
    base = f"/customer-segment/{target.tenant}/segments/{segment}/customers"
    calls = [Call("PUT", f"{base}/{m['customerId']}", token, {}) for m in pool]
    result = run_calls(client, calls, concurrency=1)
    answers = result.pop("answers")
    result["statuses"] = _statuses(answers)
    return result


def coupon_cart(customer: Customer, rng: random.Random) -> dict[str, Any]:
    """20 lines: the products the coupon applies to first, then others of the customer."""
    products = (customer.coupon_products + customer.products)[:CART_LINES]
    lines = [
        {
            "productId": products[i % len(products)],
            "quantity": rng.randint(1, 3),
            "unitPrice": rng.randint(199, 9999) / 100,
        }
        for i in range(CART_LINES)
    ]
    return {
        "orderTotal": {"amount": 10_000, "currency": "EUR"},
        "siteCode": customer.site,
        "items": lines,
    }


def coupon_validations(
    client: Client, tenant: str, customers: list[Customer], *, concurrency: int, seed: int
) -> dict[str, Any]:
    """POST /coupons/{code}/validation with a 20-line cart, as the customer: sequential
    latency, then throughput at `concurrency`."""
    rng = random.Random(f"bench-coupons:{seed}")
    calls = [
        Call(
            "POST",
            f"/coupon/{tenant}/coupons/{customer.coupon}/validation",
            customer.token,
            coupon_cart(customer, rng),
        )
        for customer in customers
        if customer.coupon
    ]
    sequential = run_calls(client, calls, concurrency=1)
    answers = sequential.pop("answers")
    parallel = run_calls(client, calls, concurrency=concurrency)
    parallel.pop("answers")
    refusals: dict[str, int] = {}
    for answer in answers:
        if answer.status == 400:
            for detail in answer.json().get("details", []):
                refusals[detail.get("type", "?")] = refusals.get(detail.get("type", "?"), 0) + 1
    return {
        "requests": sequential["requests"],
        "latency": sequential["latency"],
        "statuses": _statuses(answers),
        "refusals": refusals,
        "valid": sum(1 for a in answers if a.status == 200 and a.json().get("valid")),
        "concurrent": {k: parallel[k] for k in ("requests", "seconds", "rps", "latency")},
    }


def _statuses(answers: list[Answer]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for answer in answers:
        counts[str(answer.status)] = counts.get(str(answer.status), 0) + 1
    return counts


def cleanup(target: Target) -> int:
    return remove_write_segments(target)
