"""Mixed load: warm storefront reads under a trickle of writes (issue 19, precise invalidation).

    .venv/bin/python bench/mixed.py --scale S [--database seg_bench_s] [--duration 20]

The same setup as `run.py` (its dataset and database, gunicorn with Redis, customer
tokens), then, in one run and on one server, rounds of:

1. read-only: the three cached storefront reads (`segments/items`, `.../category-trees`,
   `me/segments`) of the sampled customers, every answer cached first, for `--duration`;
2. mixed: the same load while one membership write per second (a random customer, B2B
   ones for their legal entity, put into a random segment without a rule; taken out again
   at the end) and one catalog write every ten seconds (a random category renamed; its
   name put back at the end) go to the server.

The hit ratio is 1 - answers computed / requests answered. The server counts the answers
it computes (`bench/urls.py` wraps the storefront's compute with a Redis INCR, in the
benchmark's URL configuration only). `--write-customers all` (the default) picks the
member among all the tenant's customers; `read` among the customers being read, so that
every membership write makes three answers of the load stale (the pessimistic case).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import dataset, load, tokens  # noqa: E402
from bench.common import ARTIFACTS, Target, add_server_arguments, log, target_from_args  # noqa: E402
from bench.http_client import Call, Client, run_calls  # noqa: E402
from bench.server import Server  # noqa: E402

# The server's counter of computed answers (`bench/urls.py`), as Django's Redis cache
# stores it (key prefix and version 1).
COMPUTED_KEY = "segsvc:1:bench-storefront-computed"
RESULTS = REPO / "bench" / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=str.upper, choices=("S", "M", "L", "XS"), default="S")
    parser.add_argument("--database", help="PostgreSQL database (seg_bench_<scale>)")
    parser.add_argument("--duration", type=float, default=20, help="seconds per phase")
    parser.add_argument("--rounds", type=int, default=2, help="read-only + mixed rounds")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 2 * cores))
    )
    parser.add_argument("--customers", type=int, default=200, help="customers sampled")
    parser.add_argument("--membership-interval", type=float, default=1.0, help="seconds")
    parser.add_argument("--catalog-interval", type=float, default=10.0, help="seconds")
    parser.add_argument("--write-customers", choices=("all", "read"), default="all")
    parser.add_argument("--seed", type=int, default=1)
    add_server_arguments(parser, port=18766)
    parser.add_argument("--no-wrk", action="store_true", help="Python threads, not wrk")
    args = parser.parse_args(argv)
    args.database = args.database or f"seg_bench_{args.scale.lower()}"
    if not args.database.startswith("seg_"):
        parser.error("the database name must start with seg_ (it is created and filled)")
    return args


def _redis(target: Target):
    import redis

    return redis.Redis.from_url(target.redis_url)


def computed(target: Target) -> int:
    return int(_redis(target).get(COMPUTED_KEY) or 0)


class Writer(threading.Thread):
    """Membership writes every `membership_interval` seconds and catalog writes every
    `catalog_interval` seconds until stopped; remembers what to undo."""

    def __init__(self, client, target, token, customers, *, args, rng) -> None:
        super().__init__(daemon=True)
        self.client, self.target, self.token = client, target, token
        self.customers, self.args, self.rng = customers, args, rng
        self.segments = _manual_segments(target)
        self.categories = _categories(target)
        self.stop = threading.Event()
        self.memberships: list[str] = []
        self.renamed: dict[str, Any] = {}
        self.statuses: dict[str, dict[str, int]] = {"membership": {}, "catalog": {}}
        self.latencies: dict[str, list[float]] = {"membership": [], "catalog": []}

    def run(self) -> None:
        started = time.monotonic()
        next_membership = started
        next_catalog = started + self.args.catalog_interval / 2
        while not self.stop.is_set():
            now = time.monotonic()
            if now >= next_membership:
                self._membership()
                next_membership += self.args.membership_interval
            if now >= next_catalog:
                self._catalog()
                next_catalog += self.args.catalog_interval
            self.stop.wait(max(0.0, min(next_membership, next_catalog) - time.monotonic()))

    def _send(self, kind: str, call: Call) -> None:
        answer = self.client.send(call)
        self.latencies[kind].append(answer.ms)
        counts = self.statuses[kind]
        counts[str(answer.status)] = counts.get(str(answer.status), 0) + 1

    def _membership(self) -> None:
        customer = self.rng.choice(self.customers)
        segment = self.rng.choice(self.segments)
        path = f"/customer-segment/{self.target.tenant}/segments/{segment}/customers/"
        path += customer.customer_id
        if customer.legal_entity_id:
            path += f"/{customer.legal_entity_id}"
        self._send("membership", Call("PUT", path, self.token, {}))
        self.memberships.append(path)

    def _catalog(self) -> None:
        category = self.rng.choice(self.categories)
        path = f"/category/{self.target.tenant}/categories/{category}"
        if category not in self.renamed:
            current = self.client.send(Call("GET", path, self.token)).json()
            self.renamed[category] = current.get("localizedName") or {"en": category}
        name = {"en": f"{category} {time.time():.0f}"}
        self._send("catalog", Call("PATCH", path, self.token, {"localizedName": name}))

    def undo(self) -> None:
        for path in self.memberships:
            self.client.send(Call("DELETE", path, self.token))
        for category, name in self.renamed.items():
            path = f"/category/{self.target.tenant}/categories/{category}"
            self.client.send(Call("PATCH", path, self.token, {"localizedName": name}))


def _manual_segments(target: Target) -> list[str]:
    with target.connect() as conn:
        rows = conn.execute(
            "SELECT public_id FROM segments_segment WHERE tenant_id = %s AND criteria IS NULL"
            " AND public_id NOT LIKE %s ORDER BY id",
            [target.tenant, dataset.WRITE_SEGMENT_PREFIX + "%"],
        ).fetchall()
    return [row[0] for row in rows]


def _all_customers(target: Target) -> list[dataset.Customer]:
    """Every customer of the tenant, B2B ones acting for one of their legal entities."""
    with target.connect() as conn:
        rows = conn.execute(
            "SELECT c.public_id, min(e.public_id) FROM segments_customer c"
            " LEFT JOIN segments_customerlegalentity l ON l.customer_id = c.id"
            " LEFT JOIN segments_legalentity e ON e.id = l.legal_entity_id"
            " WHERE c.tenant_id = %s GROUP BY c.id ORDER BY c.id",
            [target.tenant],
        ).fetchall()
    return [dataset.Customer(customer, entity, "main") for customer, entity in rows]


def _categories(target: Target) -> list[str]:
    with target.connect() as conn:
        rows = conn.execute(
            "SELECT public_id FROM catalog_category WHERE tenant_id = %s ORDER BY id",
            [target.tenant],
        ).fetchall()
    return [row[0] for row in rows]


def phase(client, target, calls, args, *, writer: Writer | None) -> dict[str, Any]:
    before = computed(target)
    if writer is not None:
        writer.start()
    try:
        result = load.run_load(
            client,
            calls,
            duration=args.duration,
            connections=args.connections,
            use_wrk=load.wrk_available() and not args.no_wrk,
        )
    finally:
        if writer is not None:
            writer.stop.set()
            writer.join()
    misses = computed(target) - before
    answered = result["requests"] - result.get("non_2xx", 0)
    result["computed"] = misses
    result["hit_ratio"] = round(1 - misses / answered, 4) if answered else None
    if writer is not None:
        result["writes"] = {
            kind: {"requests": len(writer.latencies[kind]), "statuses": writer.statuses[kind]}
            for kind in writer.latencies
        }
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    started_at = datetime.now(UTC)
    target = target_from_args(args)
    log(f"Mixed benchmark, scale {args.scale}, database {args.database}, {args.workers} workers")
    prepared, credentials = dataset.prepare(
        target, scale=args.scale, seed=args.seed, chosen_secret="bench-" + os.urandom(12).hex()
    )
    customers = dataset.sample_customers(target, args.customers, args.seed)
    _redis(target).flushdb()
    client = Client("127.0.0.1", args.port)
    server = Server(target, workers=args.workers, log_path=ARTIFACTS / "server-mixed.log")
    rounds: list[dict[str, Any]] = []
    with server:
        client_id, secret = credentials["generated"]
        manager_token = tokens.client_token(client, client_id, secret)
        tokens.customer_tokens(client, customers, client_id, secret, concurrency=args.workers)
        calls = [
            load.storefront_call(target.tenant, endpoint, customer)
            for customer in customers
            for endpoint in load.CACHED_ENDPOINTS
        ]
        random.Random(args.seed).shuffle(calls)
        members = _all_customers(target)
        for number in range(1, args.rounds + 1):
            run_calls(client, calls, args.connections)  # every answer cached
            read_only = phase(client, target, calls, args, writer=None)
            log(f"  round {number} read-only: {_brief(read_only)}")
            writer = Writer(
                Client("127.0.0.1", args.port),
                target,
                manager_token,
                customers if args.write_customers == "read" else members,
                args=args,
                rng=random.Random(f"mixed:{args.seed}:{number}"),
            )
            try:
                mixed = phase(client, target, calls, args, writer=writer)
            finally:
                writer.undo()
            mixed["throughput_ratio"] = (
                round(mixed["rps"] / read_only["rps"], 3) if read_only["rps"] else None
            )
            log(f"  round {number} mixed: {_brief(mixed)}; {mixed['writes']}")
            rounds.append({"read_only": read_only, "mixed": mixed})
    results = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "config": {**vars(args), "customers": len(customers)},
        "dataset": prepared,
        "rounds": rounds,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"mixed-{args.scale}-{stamp}.json"
    out.write_text(json.dumps(results, indent=2))
    log(f"== results: {out.relative_to(REPO)}")
    print(json.dumps([_row(r) for r in rounds]))
    return results


def _brief(result: dict[str, Any]) -> str:
    latency = result["latency"]
    return (
        f"{result['rps']} req/s, p50 {latency.get('p50_ms')} / p99 {latency.get('p99_ms')} ms,"
        f" hit ratio {result['hit_ratio']}, {result['computed']} computed,"
        f" {result.get('non_2xx', 0)} non-2xx"
    )


def _row(round_: dict[str, Any]) -> dict[str, Any]:
    return {
        "read_only_rps": round_["read_only"]["rps"],
        "read_only_hit_ratio": round_["read_only"]["hit_ratio"],
        "mixed_rps": round_["mixed"]["rps"],
        "mixed_hit_ratio": round_["mixed"]["hit_ratio"],
        "throughput_ratio": round_["mixed"]["throughput_ratio"],
    }


if __name__ == "__main__":
    main()
