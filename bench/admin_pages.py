"""How long the admin's pages take in a real browser, on a generated tenant at a scale.

    python bench/admin_pages.py --database seg_bench_s --scale S [--rounds 5] [--port 18830] \\
        [--only preview]
    python bench/admin_pages.py --compare bench/results/summary-admin-pages-S.json \\
        bench/results/summary-admin-pages-L.json

Starts the production stack (gunicorn, DEBUG off, `bench/admin_settings.py`) on the
database, logs in with Debian's Chromium (Playwright, `/usr/bin/chromium`) and loads each
page `--rounds` times after one warm-up load; per page the median time until the `load`
event and the median server time (Navigation Timing's requestStart to responseEnd). Which
pages (the tenant's own rows, found by reading the database):

- the change lists of segments, customers, products, categories and coupons;
- the change page of the segment with the most members, its members page (first page, a
  page in the middle, a search by a last name, by an email and by a customer number);
- the pickers' answers (the autocomplete JSON the select2 pickers ask for): customers by
  an email, a last name and a customer number; products by "Audio product 1"; categories
  and segments by a word of their names;
- the storefront preview as a customer and as a member of that segment.

The run only reads the database: the login is `bench/admin_auth.py`'s in-memory user with
signed-cookie sessions, and no page writes. `--compare` prints the table of
docs/benchmarks.md ("Admin pages at S and L"): each page's median at the second scale as a
ratio to the first's.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ARTIFACTS, RESULTS, Target, django_env, log, manage
from bench.server import Server

CHROMIUM = "/usr/bin/chromium"
SETTINGS = "bench.admin_settings"


def _one(conn: Any, sql: str, *params: Any) -> Any:
    row = conn.execute(sql, params).fetchone()
    if row is None:
        raise SystemExit(f"nothing found: {sql}")
    return row


def pages_of(target: Target) -> tuple[dict[str, str], dict[str, int]]:
    """The pages to time (label -> path) and the tenant's row counts, read from the
    database (SELECTs only)."""
    tenant = target.tenant
    with target.connect() as conn:
        counts = {
            table: conn.execute(
                f"SELECT count(*) FROM {table} WHERE tenant_id = %s", [tenant]
            ).fetchone()[0]
            for table in (
                "segments_customer",
                "segments_segment",
                "segments_segmentcustomerassignment",
                "catalog_product",
                "catalog_category",
            )
        }
        segment_pk, members = _one(
            conn,
            "SELECT segment_id, count(*) FROM segments_segmentcustomerassignment "
            "WHERE tenant_id = %s GROUP BY segment_id ORDER BY count(*) DESC, segment_id LIMIT 1",
            tenant,
        )
        customer_pk, customer_id, email, last_name = _one(
            conn,
            "SELECT c.id, c.public_id, c.email, c.last_name FROM segments_customer c "
            "JOIN segments_segmentcustomerassignment a ON a.customer_id = c.id "
            "WHERE a.segment_id = %s ORDER BY c.id LIMIT 1",
            segment_pk,
        )
    admin = "/admin"
    segment = f"{admin}/segments/segment/{segment_pk}"
    preview = f"{admin}/segments/segment/preview/"
    middle = max(1, members // 50 // 2)

    def picker(model: str, source: tuple[str, str, str], term: str) -> str:
        app_label, model_name, field_name = source
        query = {"tenant": tenant, "term": term, "app_label": app_label,
                 "model_name": model_name, "field_name": field_name}  # fmt: skip
        return f"{admin}/{model}/autocomplete/?{urlencode(query)}"

    members_of = ("segments", "segmentcustomerassignment", "customer")
    items_of = ("segments", "segmentitemassignment")
    pages = {
        "list: segments": f"{admin}/segments/segment/",
        "list: customers": f"{admin}/segments/customer/",
        "list: products": f"{admin}/catalog/product/",
        "list: categories": f"{admin}/catalog/category/",
        "list: coupons": f"{admin}/coupons/coupon/",
        "segment page": f"{segment}/change/",
        "members: first page": f"{segment}/members/",
        "members: middle page": f"{segment}/members/?p={middle}",
        "members: search a last name": f"{segment}/members/?{urlencode({'q': last_name})}",
        "members: search an email": f"{segment}/members/?{urlencode({'q': email})}",
        "members: search a customer number": f"{segment}/members/?{urlencode({'q': customer_id})}",
        "picker: customer by email": picker("segments/customer", members_of, email),
        "picker: customer by last name": picker("segments/customer", members_of, last_name),
        "picker: customer by number": picker("segments/customer", members_of, customer_id),
        "picker: product": picker("catalog/product", (*items_of, "product"), "Audio product 1"),
        "picker: category": picker("catalog/category", (*items_of, "category"), "Audio"),
        "picker: segment": picker(
            "segments/segment", ("segments", "segmentcustomerassignment", "segment"), "Segment 1"
        ),
        "preview as a customer": f"{preview}?customer={customer_pk}",
        "preview as a member of the segment": f"{preview}?segment={segment_pk}",
    }
    counts["largest segment's members"] = members
    return pages, counts


def time_pages(base: str, password: str, pages: dict[str, str], rounds: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/admin/login/")
        page.fill("#id_username", "bench-admin")
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/admin/")
        for label, path in pages.items():
            loads, servers = [], []
            for round_ in range(rounds + 1):
                started = time.perf_counter()
                response = page.goto(base + path, wait_until="load")
                elapsed = (time.perf_counter() - started) * 1000
                if response is None or response.status != 200:
                    status = response.status if response else None
                    raise RuntimeError(f"{label}: {path} answered {status}")
                server = page.evaluate(
                    "() => { const n = performance.getEntriesByType('navigation')[0];"
                    " return n.responseEnd - n.requestStart; }"
                )
                if round_:  # the first load warms caches
                    loads.append(elapsed)
                    servers.append(server)
            results[label] = {
                "path": path,
                "load_ms": round(statistics.median(loads), 1),
                "server_ms": round(statistics.median(servers), 1),
                "loads_ms": [round(value, 1) for value in loads],
            }
            log(f"  {label}: {results[label]['load_ms']} ms (server {results[label]['server_ms']})")
        browser.close()
    return results


def run(args: argparse.Namespace) -> None:
    target = Target(
        database=args.database, tenant=args.tenant, redis_db=args.redis_db, port=args.port
    )
    password = secrets.token_urlsafe(16)
    env = {"DJANGO_SETTINGS_MODULE": SETTINGS, "BENCH_ADMIN_PASSWORD": password}
    pages, counts = pages_of(target)
    if args.only:
        pages = {label: path for label, path in pages.items() if args.only in label}
    log(f"admin pages at {args.scale} ({args.database}): {counts}")
    manage(target, "collectstatic", "--noinput", env=django_env(target, **env))
    server = Server(
        target, workers=1, log_path=ARTIFACTS / f"admin-pages-{args.scale}.log", env=env
    )
    with server:
        results = time_pages(target.base_url, password, pages, args.rounds)
    output = Path(args.out or RESULTS / f"summary-admin-pages-{args.scale}.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {"scale": args.scale, "database": args.database, "rounds": args.rounds,
                "counts": counts, "pages": results}  # fmt: skip
    output.write_text(json.dumps(document, indent=2) + "\n")
    log(f"written {output}")


def compare(first_path: str, second_path: str) -> str:
    """The markdown table: each page's median load and server time at both scales, and the
    second's as a ratio to the first's."""
    first = json.loads(Path(first_path).read_text())
    second = json.loads(Path(second_path).read_text())
    a, b = first["scale"], second["scale"]
    lines = [
        f"| page | {a} load ms | {b} load ms | {b}/{a} load | {a} server ms | {b} server ms "
        f"| {b}/{a} server |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, one in first["pages"].items():
        other = second["pages"].get(label)
        if other is None:
            continue
        lines.append(
            f"| {label} | {one['load_ms']:.0f} | {other['load_ms']:.0f} "
            f"| {other['load_ms'] / one['load_ms']:.2f} | {one['server_ms']:.0f} "
            f"| {other['server_ms']:.0f} | {other['server_ms'] / max(one['server_ms'], 1):.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="PostgreSQL database with the generated tenant")
    parser.add_argument("--scale", default="S", help="the label of the results (S, L)")
    parser.add_argument("--tenant", default="bench")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--port", type=int, default=18830)
    parser.add_argument("--redis-db", type=int, default=12, help="the server's Redis database")
    parser.add_argument(
        "--out", help="results file (bench/results/summary-admin-pages-<scale>.json)"
    )
    parser.add_argument("--only", help="time only the pages whose label holds this text")
    parser.add_argument("--compare", nargs=2, metavar="RESULTS", help="print the table")
    args = parser.parse_args()
    if args.compare:
        print(compare(*args.compare))
        return
    if not args.database:
        parser.error("--database is required")
    run(args)


if __name__ == "__main__":
    main()
