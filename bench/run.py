"""Storefront benchmark: the production stack under load, next to its ceiling and floor.

    .venv/bin/python bench/run.py --scale S [--duration 20] [--connections 16] [--workers N]
    .venv/bin/python bench/run.py --smoke          # CI: tiny dataset, end to end, < 2 min

1. Generates the dataset (unless present) into its own PostgreSQL database
   (`seg_bench_<scale>`), after `migrate`.
2. Starts gunicorn with the project's config (`segments_project/gunicorn.conf.py`),
   DEBUG off, Redis cache, `CONN_MAX_AGE=60`; workers from `--workers`, `BENCH_WORKERS`
   or 2 per core.
3. Obtains customer tokens (POST /oauth/token) for random B2C and B2B customers.
4. Reads: cold (first call per customer after a content-version bump) and warm (wrk with
   `lua/storefront.lua`, or Python threads without wrk) for GET segments/items,
   segments/items/category-trees, me/segments and POST segments/match.
5. References in the same run: the framework ceiling (GET /segments/{id} of one small
   segment, the cheapest authenticated read), the bare views of `bench/urls.py` (20 small
   items, the same behind authentication, and one fixed body the size of the trees' median
   answer, gzip-compressed as the cached answers are) and the database floor (the SQL
   answering the same questions through psycopg, see `floor.py`).
6. Writes: bulk member upserts (200 per request, several clients), single upserts, coupon
   validation with 20 cart lines.
7. Profiles the slowest read path with pyinstrument.
8. Writes `bench/results/<scale>-<timestamp>.json`, `bench/results/summary-<scale>.json`,
   and (not with --smoke) the table in docs/benchmarks.md.

Every phase is bounded in requests and time; the server it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import dataset, floor, load, report, tokens, writes  # noqa: E402
from bench.common import (  # noqa: E402
    ARTIFACTS,
    PYTHON,
    Target,
    add_server_arguments,
    authenticated_path,
    bare_large_path,
    bare_path,
    django_env,
    log,
    percentiles,
    target_from_args,
)
from bench.http_client import Call, Client, run_calls  # noqa: E402
from bench.server import Server  # noqa: E402

SMOKE = {
    "scale": "XS",
    "duration": 2,
    "connections": 4,
    "customers": 12,
    "cold_rounds": 1,
    "floor_seconds": 1,
    "bulk_clients": 2,
    "bulk_batches": 1,
    "single_upserts": 10,
    "profile_requests": 10,
    "issuance_seconds": 1,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=str.upper, choices=("S", "M", "L", "XS"), default="S")
    parser.add_argument("--smoke", action="store_true", help="tiny, quick, docs untouched")
    parser.add_argument("--duration", type=float, default=20, help="seconds of load per path")
    parser.add_argument(
        "--warm-rounds",
        type=int,
        default=3,
        help="the warm phase's paths and references take turns in this many rounds",
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 2 * cores))
    )
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--customers", type=int, default=200, help="customers sampled")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", help="PostgreSQL database (seg_bench_<scale>)")
    add_server_arguments(parser, port=18765)
    parser.add_argument("--cold-rounds", type=int, default=3)
    parser.add_argument("--floor-seconds", type=float, default=5)
    parser.add_argument("--bulk-clients", type=int, default=4)
    parser.add_argument("--bulk-batches", type=int, default=25, help="requests per client")
    parser.add_argument("--single-upserts", type=int, default=100)
    parser.add_argument("--profile-requests", type=int, default=100)
    parser.add_argument("--no-wrk", action="store_true", help="Python threads, not wrk")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md")
    parser.add_argument("--skip-writes", action="store_true")
    parser.add_argument("--skip-profile", action="store_true")
    parser.add_argument(
        "--issuance-seconds",
        type=float,
        default=10,
        help="seconds of load per token issuance path (0: skip the phase)",
    )
    parser.add_argument(
        "--tokens-only", action="store_true", help="only the token phases (no reads, writes)"
    )
    parser.add_argument(
        "--writes-only",
        action="store_true",
        help="only the write phase (and the bulk write's profile unless --skip-profile)",
    )
    parser.add_argument(
        "--render-docs", metavar="JSON", help="only write docs/benchmarks.md from a results file"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        for key, value in SMOKE.items():
            setattr(args, key, value)
        args.no_docs = True
        args.database = args.database or "seg_bench_smoke"
    if args.tokens_only or args.writes_only:
        args.no_docs = True  # the docs' table is of a whole run
    args.database = args.database or f"seg_bench_{args.scale.lower()}"
    if not args.database.startswith("seg_"):
        # seg_bench_<scale>, or an engineer's own seg_<name>_<scale> (a copy of a dataset).
        parser.error("the database name must start with seg_ (it is created and filled)")
    return args


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def flush_cache(target: Target) -> None:
    import redis

    redis.Redis.from_url(target.redis_url).flushdb()


def timed(name: str, timings: dict[str, float]):
    class _Timer:
        def __enter__(self):
            self.started = time.perf_counter()
            log(f"== {name}")

        def __exit__(self, *exc):
            timings[name] = round(time.perf_counter() - self.started, 1)

    return _Timer()


def read_phase(
    args: argparse.Namespace,
    client: Client,
    target: Target,
    customers: list[dataset.Customer],
    manager_token: str,
    use_wrk: bool,
    timings: dict[str, float],
) -> tuple[dict[str, Any], dict[str, Any]]:
    reads: dict[str, Any] = {endpoint: {} for endpoint in load.STOREFRONT_ENDPOINTS}
    segment = dataset.small_segment(target)
    ceiling_call = Call(
        "GET", f"/customer-segment/{target.tenant}/segments/{segment}", manager_token
    )
    with timed("sanity: one call per path, every worker warmed up", timings):
        # Each worker loads the URL conf and opens its connections on its first request.
        run_calls(client, [ceiling_call] * (8 * args.workers), args.connections)
        for endpoint in load.STOREFRONT_ENDPOINTS:
            answer = client.send(load.storefront_call(target.tenant, endpoint, customers[0]))
            if answer.status != 200:
                raise RuntimeError(f"{endpoint}: {answer.status} {answer.body[:300]!r}")
            reads[endpoint]["bytes_first_customer"] = len(answer.content)
            # As sent: gzip-compressed for a large cached answer (the load accepts gzip).
            reads[endpoint]["wire_bytes_first_customer"] = len(answer.body)
    with timed(f"cold reads: {args.cold_rounds} rounds of one call per customer", timings):
        for endpoint in load.STOREFRONT_ENDPOINTS:
            samples: list[float] = []
            seconds = 0.0
            statuses: dict[str, int] = {}
            for _ in range(args.cold_rounds):
                dataset.forget_published_version(target)
                calls = [load.storefront_call(target.tenant, endpoint, c) for c in customers]
                result = run_calls(client, calls, args.connections)
                samples += [answer.ms for answer in result["answers"]]
                seconds += result["seconds"]
                for status, count in result["statuses"].items():
                    statuses[status] = statuses.get(status, 0) + count
            reads[endpoint]["cold"] = {
                "requests": len(samples),
                "rps": round(len(samples) / seconds, 1) if seconds else None,
                "latency": percentiles(samples),
                "statuses": statuses,
            }
            log(f"  {endpoint}: cold {_brief(reads[endpoint]['cold'])}")
    ceiling = warm_phase(args, client, target, customers, ceiling_call, reads, use_wrk, timings)
    with timed("database floor (psycopg)", timings):
        for endpoint in load.STOREFRONT_ENDPOINTS:
            reads[endpoint]["floor"] = floor.measure_floor(
                target,
                customers,
                endpoint=endpoint,
                seconds=args.floor_seconds,
                connections=args.connections,
            )
            result = reads[endpoint]["floor"]
            log(
                f"  {endpoint}: floor 1 conn p50 {result['sequential'].get('p50_ms')} ms; "
                f"{args.connections} conns {_brief(result['concurrent'])}"
            )
    return reads, ceiling


def warm_phase(
    args: argparse.Namespace,
    client: Client,
    target: Target,
    customers: list[dataset.Customer],
    ceiling_call: Call,
    reads: dict[str, Any],
    use_wrk: bool,
    timings: dict[str, float],
) -> dict[str, Any]:
    """Each storefront path warm (into `reads`), and the references: the returned
    ceiling (`GET /segments/{id}`) with the bare, authenticated and same-size bare views."""
    segment = ceiling_call.path.rsplit("/", 1)[-1]
    rounds = max(1, args.warm_rounds)
    with timed(f"warm reads: {args.duration:g} s per path in {rounds} interleaved rounds", timings):
        # Every path and reference takes a slice of each round in turn, so that a drift of
        # the machine's speed during the phase (other tenants of the host, the kernel's
        # memory scans) falls on all of them alike instead of on whichever ran then.
        references = (
            ("bare", bare_path, "bare framework ceiling (no authentication, no database)"),
            ("authenticated", authenticated_path, "the same behind token authentication"),
            (
                "bare_large",
                bare_large_path,
                "bare view, one fixed body the size of the trees' median answer (gzip)",
            ),
        )
        loads: dict[str, list[Call]] = {}
        for endpoint in load.STOREFRONT_ENDPOINTS:
            loads[endpoint] = [load.storefront_call(target.tenant, endpoint, c) for c in customers]
            run_calls(client, loads[endpoint], args.connections)  # fills the cache
        loads["ceiling"] = [ceiling_call]
        for name, path_of, _ in references:
            loads[name] = [Call("GET", path_of(target.tenant), c.token) for c in customers]
        measured: dict[str, list[dict[str, Any]]] = {name: [] for name in loads}
        for _ in range(rounds):
            for name, calls in loads.items():
                measured[name].append(
                    load.run_load(
                        client,
                        calls,
                        duration=args.duration / rounds,
                        connections=args.connections,
                        use_wrk=use_wrk,
                    )
                )
        for endpoint in load.STOREFRONT_ENDPOINTS:
            reads[endpoint]["warm"] = load.combine_rounds(measured[endpoint])
            log(f"  {endpoint}: warm {_brief(reads[endpoint]['warm'])}")
        ceiling = load.combine_rounds(measured["ceiling"])
        ceiling["path"] = f"GET /customer-segment/{target.tenant}/segments/{segment}"
        log(f"  ceiling (GET one small segment): {_brief(ceiling)}")
        for name, _, label in references:
            ceiling[name] = load.combine_rounds(measured[name])
            log(f"  {label}: {_brief(ceiling[name])}")
    return ceiling


def _brief(result: dict[str, Any]) -> str:
    latency = result.get("latency", {})
    errors = result.get("non_2xx") or sum(
        count for status, count in result.get("statuses", {}).items() if int(status) >= 400
    )
    return (
        f"{result.get('rps')} req/s, p50 {latency.get('p50_ms')} / p95 {latency.get('p95_ms')}"
        f" / p99 {latency.get('p99_ms')} ms" + (f", {errors} errors" if errors else "")
    )


def write_phase(args, client, target, customers, manager_token, timings) -> dict[str, Any]:
    with timed("writes", timings):
        try:
            bulk = writes.bulk_upserts(
                client,
                target,
                manager_token,
                parallel=args.bulk_clients,
                max_batches=args.bulk_batches,
                seed=args.seed,
            )
            latency = bulk["request_latency"]
            log(
                f"  bulk: {bulk['assignments']:,} assignments in {bulk['seconds']} s = "
                f"{bulk['assignments_per_second']:,}/s; per request p50 {latency.get('p50_ms')}"
                f" / p99 {latency.get('p99_ms')} ms"
            )
            single = writes.single_upserts(
                client, target, manager_token, count=args.single_upserts, seed=args.seed
            )
            log(f"  single upsert: {_brief(single)}")
            coupon = writes.coupon_validations(
                client, target.tenant, customers, concurrency=args.connections, seed=args.seed
            )
            log(
                f"  coupon validation: {_brief(coupon)}; {coupon['valid']} valid of "
                f"{coupon['requests']}; {coupon['concurrent']['rps']} req/s concurrent"
            )
        finally:
            writes.cleanup(target)
    return {"bulk": bulk, "single": single, "coupon_validation": coupon}


def token_phase(args, client, customers, credentials, results, timings) -> str:
    """Sets every customer's token and, unless --issuance-seconds 0, measures issuance;
    returns a client token with every scope."""
    client_id, secret = credentials["generated"]
    with timed("tokens", timings):
        manager_token = tokens.client_token(client, client_id, secret)
        results["tokens"] = tokens.customer_tokens(
            client, customers, client_id, secret, concurrency=args.workers
        )
        log(f"  customer tokens: {_brief(results['tokens'])}")
    return manager_token


def issuance_phase(args, client, customers, credentials, server, timings) -> dict[str, Any]:
    with timed(f"token issuance: {args.issuance_seconds:g} s per path", timings):
        issuance = tokens.issuance(
            client,
            customers,
            credentials=credentials,
            duration=args.issuance_seconds,
            connections=args.connections,
            server_pid=server.process.pid,
            target=server.target,
        )
        for path in issuance["paths"].values():
            log(
                f"  {path['label']}: {_brief(path)}; server CPU "
                f"{path['server_cpu_ms_per_request']} ms/request"
            )
    return issuance


def profile_phase(args, target, customers, reads, manager_token, timings) -> dict[str, Any]:
    """pyinstrument over the path with the slowest cold median, and over a warm read (only
    over the bulk write with --writes-only)."""
    if args.writes_only:
        return {"bulk": bulk_profile(args, target, customers, manager_token, timings)}
    slowest = max(reads, key=lambda endpoint: reads[endpoint]["cold"]["latency"].get("p50_ms", 0))
    profiles = {
        "slowest": profile_one(args, target, customers, slowest, cold=True, timings=timings),
        "warm": profile_one(args, target, customers, "items", cold=False, timings=timings),
        "bulk": bulk_profile(args, target, customers, manager_token, timings),
    }
    if slowest != "match":  # never cached: its cost is the same warm or cold
        profiles["match"] = profile_one(
            args, target, customers, "match", cold=False, timings=timings
        )
    return profiles


def bulk_profile(args, target, customers, manager_token, timings) -> dict[str, Any]:
    return profile_one(
        args,
        target,
        customers,
        "bulk-upsert",
        cold=False,
        timings=timings,
        extra=["--manager-token", manager_token],
    )


def profile_one(args, target, customers, endpoint, *, cold, timings, extra=()) -> dict[str, Any]:
    mode = "cold" if cold else {"bulk-upsert": "write", "match": "uncached"}.get(endpoint, "warm")
    with timed(f"profile: {endpoint} ({mode})", timings):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        out = ARTIFACTS / f"profile-{args.scale}-{endpoint}-{mode}-{stamp}.txt"
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
            json.dump([asdict(c) for c in customers], file)
        try:
            completed = subprocess.run(
                [
                    PYTHON,
                    str(REPO / "bench" / "profile_paths.py"),
                    "--endpoint",
                    endpoint,
                    "--tenant",
                    target.tenant,
                    "--customers",
                    file.name,
                    "--requests",
                    str(args.profile_requests),
                    *(["--cold"] if cold else []),
                    *extra,
                    "--out",
                    str(out),
                ],
                cwd=REPO,
                env=django_env(target, LOG_LEVEL="WARNING"),
                capture_output=True,
                text=True,
                timeout=600,
            )
        finally:
            os.unlink(file.name)
        if completed.returncode != 0:
            log(f"  profile failed: {completed.stderr[-2000:]}")
            return {"endpoint": endpoint, "error": completed.stderr[-2000:]}
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        log(
            f"  {result['ms_per_request']} ms per request; "
            + ", ".join(f"{x['name']} {x['share']:.0%}" for x in result["layers"][:5])
        )
        return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.render_docs:
        results = json.loads(Path(args.render_docs).read_text())
        results["goals"] = report.judge(results)
        report.write_docs(report.markdown(results), results["config"]["scale"])
        log(f"== docs: {report.DOCS.relative_to(REPO)} updated from {args.render_docs}")
        return results
    started_at = datetime.now(UTC)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    target = target_from_args(args)
    if not port_free(args.port):
        raise SystemExit(f"port {args.port} is in use; pick another with --port")
    timings: dict[str, float] = {}
    # As a person would choose one: for the before/after of the secret's hash.
    chosen_secret = "bench-" + os.urandom(12).hex()
    use_wrk = load.wrk_available() and not args.no_wrk
    log(
        f"Storefront benchmark, scale {args.scale}, database {args.database}, "
        f"{args.workers} workers, {args.connections} connections, "
        f"load by {'wrk' if use_wrk else 'Python threads'}"
    )
    with timed("dataset", timings):
        prepared, credentials = dataset.prepare(
            target, scale=args.scale, seed=args.seed, chosen_secret=chosen_secret
        )
    with timed("sample customers", timings):
        customers = dataset.sample_customers(target, args.customers, args.seed)
        log(f"  {len(customers)} customers, {sum(c.b2b for c in customers)} B2B")
    flush_cache(target)
    client = Client("127.0.0.1", args.port)
    server = Server(
        target,
        workers=args.workers,
        threads=args.threads,
        log_path=ARTIFACTS / f"server-{args.scale}.log",
    )
    results: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "config": {
            "scale": args.scale,
            "smoke": args.smoke,
            "tokens_only": args.tokens_only,
            "writes_only": args.writes_only,
            "duration": args.duration,
            "warm_rounds": args.warm_rounds,
            "connections": args.connections,
            "workers": args.workers,
            "threads": args.threads,
            "customers": len(customers),
            "cold_rounds": args.cold_rounds,
            "seed": args.seed,
            "database": args.database,
            "api_rate_limit": django_env(target)["API_RATE_LIMIT"],
            "api_rate_limit_lease": django_env(target).get("API_RATE_LIMIT_LEASE", "default"),
        },
        "reads_tool": "wrk" if use_wrk else "python-threads",
        "machine": report.machine(target),
        "commit": report.commit(),
        "sample": {"customers": len(customers), "b2b": sum(c.b2b for c in customers)},
    }
    with server:
        manager_token = token_phase(args, client, customers, credentials, results, timings)
        if args.issuance_seconds:
            results["issuance"] = issuance_phase(
                args, client, customers, credentials, server, timings
            )
        reads: dict[str, Any] = {}
        if not (args.tokens_only or args.writes_only):
            reads, ceiling = read_phase(
                args, client, target, customers, manager_token, use_wrk, timings
            )
            results["reads"], results["ceiling"] = reads, ceiling
        if not (args.skip_writes or args.tokens_only):
            results["writes"] = write_phase(args, client, target, customers, manager_token, timings)
    if not (args.skip_profile or args.tokens_only):
        results["profile"] = profile_phase(args, target, customers, reads, manager_token, timings)
    results["dataset"] = {**prepared, "counts": _counts(target)}
    results["ratios_to_bare"] = report.ratios_to_bare(results)
    results["ratios_to_bare_large"] = report.ratios_to_bare_large(results)
    results["goals"] = report.judge(results)
    results["timings"] = timings
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["total_seconds"] = round((datetime.now(UTC) - started_at).total_seconds(), 1)
    written = report.write_json(results, args.scale, stamp)
    log(f"== results: {', '.join(str(path.relative_to(REPO)) for path in written)}")
    for goal in results["goals"]:
        log(f"  {'met    ' if goal['met'] else 'NOT MET'} {goal['goal']}: {goal['measured']}")
    if not args.no_docs:
        report.write_docs(report.markdown(results), args.scale)
        log(f"== docs: {report.DOCS.relative_to(REPO)} updated")
    log(f"== done in {results['total_seconds']} s")
    return results


def _counts(target: Target) -> str:
    with target.connect() as conn:
        row = conn.execute(
            """
            SELECT (SELECT count(*) FROM segments_customer WHERE tenant_id = %(t)s),
                   (SELECT count(*) FROM segments_segment WHERE tenant_id = %(t)s),
                   (SELECT count(*) FROM segments_segmentcustomerassignment
                    WHERE tenant_id = %(t)s),
                   (SELECT count(*) FROM catalog_category WHERE tenant_id = %(t)s),
                   (SELECT count(*) FROM catalog_product WHERE tenant_id = %(t)s),
                   (SELECT count(*) FROM segments_segmentitemassignment WHERE tenant_id = %(t)s)
            """,
            {"t": target.tenant},
        ).fetchone()
    names = ("customers", "segments", "customer assignments", "categories", "products", "items")
    return ", ".join(f"{count:,} {name}" for count, name in zip(row, names, strict=True))


if __name__ == "__main__":
    main()
