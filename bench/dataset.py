"""The benchmark's data: the database made and migrated, the tenant generated unless it is
already there at the asked scale, and random samples of customers, products and coupons
read straight from the tables."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from bench.common import Target, django_env, ensure_database, log, manage


@dataclass
class Customer:
    customer_id: str
    legal_entity_id: str | None
    site: str
    # Products for POST /segments/match: some the customer's segments give, some not.
    products: list[str] = field(default_factory=list)
    # A coupon this customer may validate (segment-restricted where one fits), and
    # products it applies to (given by the coupon's segments the customer is in).
    coupon: str | None = None
    coupon_products: list[str] = field(default_factory=list)
    token: str | None = None

    @property
    def b2b(self) -> bool:
        return self.legal_entity_id is not None


def dataset_counts(target: Target) -> tuple[int, int, int]:
    """Customers, customer assignments and coupons (the last kind generated) of the tenant."""
    with target.connect() as conn:
        return conn.execute(
            """
            SELECT (SELECT count(*) FROM segments_customer WHERE tenant_id = %(t)s),
                   (SELECT count(*) FROM segments_segmentcustomerassignment
                    WHERE tenant_id = %(t)s),
                   (SELECT count(*) FROM coupons_coupon WHERE tenant_id = %(t)s)
            """,
            {"t": target.tenant},
        ).fetchone()


CHOSEN_CLIENT_SUFFIX = "-chosen-client"


def prepare(
    target: Target, *, scale: str, seed: int, chosen_secret: str
) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
    """Database, schema and data ready; what was done and how long it took, and the
    credentials (`set_clients`)."""
    from segments_project.benchdata.scales import scale_for

    expected = scale_for(scale)
    started = time.perf_counter()
    created = ensure_database(target)
    manage(target, "migrate", "--noinput", "-v", "0")
    migrated = time.perf_counter()
    remove_write_segments(target)
    present = dataset_counts(target)
    info: dict[str, Any] = {
        "database": target.database,
        "database_created": created,
        "migrate_seconds": round(migrated - started, 1),
    }
    env = django_env(target)
    args = ["--tenant", target.tenant, "--scale", scale, "--seed", str(seed)]
    wanted = (expected.customers, expected.customer_assignments, expected.coupons)
    if present == wanted:
        log(f"  dataset present ({present[0]:,} customers, {present[1]:,} assignments): kept")
        info["generated"] = False
        return info, set_clients(target, chosen_secret)
    if any(present):
        args.append("--replace")
    log(f"  generating scale {scale} (seed {seed}) ...")
    output = manage(target, "generate_dataset", *args, env=env)
    for line in output.splitlines():
        if not line.endswith("...") and "secret" not in line.lower():
            log(f"    {line}")
    info["generated"] = True
    info["generate_seconds"] = round(time.perf_counter() - migrated, 1)
    return info, set_clients(target, chosen_secret)


def set_clients(target: Target, chosen_secret: str) -> dict[str, tuple[str, str]]:
    """(client_id, secret) of the tenant's two clients with every scope, set anew (secrets
    are kept nowhere; setting one revokes the client's tokens): "generated", whose secret
    the service generates (the fast hash), and "chosen", with `chosen_secret` as a person
    would choose it (PBKDF2)."""
    generated_id = target.tenant + "-client"
    chosen_id = target.tenant + CHOSEN_CLIENT_SUFFIX
    output = manage(
        target,
        "shell",
        "-c",
        "from segments_project.tenancy.services import api_client_upsert, "
        "client_secret_generate\n"
        "from segments_project.tenancy.scopes import ALL_SCOPES\n"
        "secret = client_secret_generate()\n"
        f"api_client_upsert(tenant={target.tenant!r}, client_id={generated_id!r},"
        " client_secret=secret, scopes=ALL_SCOPES)\n"
        f"api_client_upsert(tenant={target.tenant!r}, client_id={chosen_id!r},"
        f" client_secret={chosen_secret!r}, scopes=ALL_SCOPES)\n"
        "print(secret)",
    )
    return {
        "generated": (generated_id, output.strip().splitlines()[-1]),
        "chosen": (chosen_id, chosen_secret),
    }


def sample_customers(target: Target, count: int, seed: int, b2b_share: float = 0.25) -> list:
    """Random customers with a live segment membership; about `b2b_share` of them B2B,
    acting for one of their legal entities."""
    rng = random.Random(f"bench-sample:{seed}")
    with target.connect() as conn:
        b2c = conn.execute(
            """
            SELECT c.public_id FROM segments_customer c
            WHERE c.tenant_id = %s AND NOT EXISTS (
                SELECT 1 FROM segments_customerlegalentity l WHERE l.customer_id = c.id)
            ORDER BY c.id
            """,
            [target.tenant],
        ).fetchall()
        b2b = conn.execute(
            """
            SELECT c.public_id, min(e.public_id) FROM segments_customer c
            JOIN segments_customerlegalentity l ON l.customer_id = c.id
            JOIN segments_legalentity e ON e.id = l.legal_entity_id
            WHERE c.tenant_id = %s GROUP BY c.id ORDER BY c.id
            """,
            [target.tenant],
        ).fetchall()
    wanted_b2b = min(len(b2b), round(count * b2b_share))
    chosen = [
        Customer(customer_id, legal_entity, "b2b")
        for customer_id, legal_entity in rng.sample(b2b, wanted_b2b)
    ]
    chosen += [
        Customer(customer_id, None, "main")
        for (customer_id,) in rng.sample(b2c, min(len(b2c), count - wanted_b2b))
    ]
    rng.shuffle(chosen)
    _attach_products(target, chosen, rng)
    _attach_coupons(target, chosen, rng)
    return chosen


# The customer's live segments of a site: the membership rule of segments/selectors/membership.py.
MEMBER_SEGMENTS = """
    SELECT s.id, s.public_id FROM segments_segment s
    WHERE s.tenant_id = %(tenant)s AND s.site_code = %(site)s AND s.status = 'ACTIVE'
      AND (s.valid_from IS NULL OR s.valid_from <= now())
      AND (s.valid_to IS NULL OR s.valid_to >= now())
      AND s.id IN (
        SELECT a.segment_id FROM segments_segmentcustomerassignment a
        JOIN segments_customer c ON c.id = a.customer_id
        LEFT JOIN segments_legalentity e ON e.id = a.legal_entity_id
        WHERE a.tenant_id = %(tenant)s AND c.tenant_id = %(tenant)s
          AND c.public_id = %(customer)s
          AND (a.legal_entity_id IS NULL OR e.public_id = %(legal_entity)s)
          AND (%(legal_entity)s::text IS NULL OR EXISTS (
            SELECT 1 FROM segments_customerlegalentity l
            JOIN segments_legalentity le ON le.id = l.legal_entity_id
            WHERE l.customer_id = c.id AND le.public_id = %(legal_entity)s)))
"""


def _attach_products(target: Target, customers: list[Customer], rng: random.Random) -> None:
    with target.connect() as conn:
        all_products = [
            row[0]
            for row in conn.execute(
                "SELECT public_id FROM catalog_product WHERE tenant_id = %s ORDER BY id",
                [target.tenant],
            )
        ]
        for customer in customers:
            given = conn.execute(
                f"""
                SELECT DISTINCT p.public_id FROM segments_segmentitemassignment i
                JOIN catalog_product p ON p.id = i.product_id
                WHERE i.tenant_id = %(tenant)s AND i.segment_id IN (
                    SELECT id FROM ({MEMBER_SEGMENTS}) m)
                ORDER BY p.public_id LIMIT 200
                """,
                _params(target, customer),
            ).fetchall()
            mine = rng.sample([row[0] for row in given], min(10, len(given)))
            customer.products = mine + rng.sample(all_products, 20 - len(mine))


def _attach_coupons(target: Target, customers: list[Customer], rng: random.Random) -> None:
    """A live segment-restricted coupon of one of the customer's segments, else an
    unrestricted one; never expired, never with a minimum above the test cart."""
    usable = """
        SELECT public_id, segment_ids FROM coupons_coupon
        WHERE tenant_id = %s AND NOT deleted AND NOT category_restricted
          AND (valid_from IS NULL OR valid_from <= now())
          AND (valid_until IS NULL OR valid_until >= now())
          AND (min_order_amount IS NULL OR min_order_amount <= 100)
          AND NOT (discount_type = 'ABSOLUTE' AND discount_currency <> 'EUR')
        ORDER BY public_id
    """
    with target.connect() as conn:
        coupons = conn.execute(usable, [target.tenant]).fetchall()
        open_coupons = [code for code, segments in coupons if not segments]
        coupon_segments = {code: segments or [] for code, segments in coupons}
        by_segment: dict[str, list[str]] = {}
        for code, segments in coupons:
            for segment in segments or []:
                by_segment.setdefault(segment, []).append(code)
        for customer in customers:
            member_of = [row[1] for row in conn.execute(MEMBER_SEGMENTS, _params(target, customer))]
            fitting = sorted({code for s in member_of for code in by_segment.get(s, [])})
            pool = fitting or open_coupons
            customer.coupon = rng.choice(pool) if pool else None
            if customer.coupon in fitting:
                segments = sorted(set(member_of) & set(coupon_segments[customer.coupon]))
                customer.coupon_products = [
                    row[0]
                    for row in conn.execute(
                        """
                        SELECT DISTINCT p.public_id FROM segments_segmentitemassignment i
                        JOIN segments_segment s ON s.id = i.segment_id
                        JOIN catalog_product p ON p.id = i.product_id
                        WHERE i.tenant_id = %s AND s.public_id = ANY(%s)
                        ORDER BY p.public_id LIMIT 10
                        """,
                        [target.tenant, segments],
                    )
                ]


def _params(target: Target, customer: Customer) -> dict[str, Any]:
    return {
        "tenant": target.tenant,
        "site": customer.site,
        "customer": customer.customer_id,
        "legal_entity": customer.legal_entity_id,
    }


def small_segment(target: Target) -> str:
    """A segment with few members and items: the cheapest authenticated read."""
    with target.connect() as conn:
        row = conn.execute(
            """
            SELECT s.public_id FROM segments_segment s WHERE s.tenant_id = %s
            ORDER BY (SELECT count(*) FROM segments_segmentcustomerassignment a
                      WHERE a.segment_id = s.id), s.id
            LIMIT 1
            """,
            [target.tenant],
        ).fetchone()
    return row[0]


def forget_published_version(target: Target) -> None:
    """What a write of the whole tenant does (an import): every cached answer stale. Drops
    the tenant's own version from the cache (`tenancy/versions.py`): the next read starts a
    new one, so no answer cached under the old one counts."""
    import redis

    client = redis.Redis.from_url(target.redis_url)
    for key in client.scan_iter(match=f"*sv:{target.tenant}:t"):
        client.delete(key)


WRITE_SEGMENT_PREFIX = "bench-write-"


def remove_write_segments(target: Target) -> int:
    """Deletes the segments (and their members) the write benchmark made; how many."""
    with target.connect() as conn:
        ids = "SELECT id FROM segments_segment WHERE tenant_id = %s AND public_id LIKE %s"
        params = [target.tenant, WRITE_SEGMENT_PREFIX + "%"]
        for table in ("segments_segmentcustomerassignment", "segments_segmentitemassignment"):
            conn.execute(f"DELETE FROM {table} WHERE segment_id IN ({ids})", params)
        deleted = conn.execute(
            "DELETE FROM segments_segment WHERE tenant_id = %s AND public_id LIKE %s", params
        ).rowcount
    forget_published_version(target)
    return deleted
