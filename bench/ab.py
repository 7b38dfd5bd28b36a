"""Before/after of one change on a loaded machine: two checkouts' servers, measured in
alternation on the same paths, so the load of the moment weighs on both alike.

    .venv/bin/python bench/ab.py --before /tmp/before --after . --rounds 3 --seconds 10

Each checkout (a `git archive` of a commit, or this work tree) runs its own gunicorn (the
storefront benchmark's stack, `bench/server.py`) on the dataset `bench/run.py` left in
`seg_bench_<scale>`, with its own Redis database. Per round and path, one wrk run against
each (the order swapped every round); the median of the rounds per side, and each path's
ratio to its own side's bare ceiling. Prints a JSON summary; leaves the customers and their
tokens in `artifacts/bench/ab-customers.json` (for `bench/profile_paths.py --customers`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import dataset, load, tokens  # noqa: E402
from bench.common import VENV_BIN, Target, django_env, log  # noqa: E402
from bench.http_client import Call, Client, run_calls  # noqa: E402
from bench.server import Server  # noqa: E402

# The references' paths, as the checkouts before and after 93657ef named them.
REFERENCES = {
    "bare": ("/customer-segment/{t}/bench/bare", "/bench/bare"),
    "authenticated": ("/customer-segment/{t}/bench/authenticated", "/bench/{t}/authenticated"),
}


class CheckoutServer(Server):
    """`bench/server.py`'s server, run from another checkout's code."""

    def __init__(self, checkout: Path, target: Target, **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self.checkout = checkout

    @property
    def command(self) -> list[str]:
        config = self.checkout / "segments_project" / "gunicorn.conf.py"
        bind = f"127.0.0.1:{self.target.port}"
        return [str(VENV_BIN / "gunicorn"), "-c", str(config), "--bind", bind]

    def start(self, timeout: float = 60.0) -> None:
        env = django_env(self.target, PYTHONPATH=str(self.checkout))
        command = [*self.command, "--workers", str(self.workers), "--threads", "1"]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, cwd=self.checkout, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._answers():
            time.sleep(0.25)


def paths(client: Client, tenant: str, customers: list) -> dict[str, list[Call]]:
    """The calls of every measured path, with the references' paths this server has."""
    calls = {}
    for name, candidates in REFERENCES.items():
        for candidate in candidates:
            path = candidate.format(t=tenant)
            if client.send(Call("GET", path, customers[0].token)).status == 200:
                calls[name] = [Call("GET", path, c.token) for c in customers]
                break
        else:
            raise RuntimeError(f"no {name} reference on port {client.port}")
    for endpoint in load.CACHED_ENDPOINTS:
        calls[endpoint] = [load.storefront_call(tenant, endpoint, c) for c in customers]
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--scale", default="S")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--database")
    parser.add_argument("--redis-dbs", default="12,13")
    parser.add_argument("--ports", default="18801,18802")
    args = parser.parse_args()
    database = args.database or f"seg_bench_{args.scale.lower()}"
    redis_dbs = [int(x) for x in args.redis_dbs.split(",")]
    ports = [int(x) for x in args.ports.split(",")]
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    targets = {
        side: Target(database=database, tenant="bench", redis_db=db, port=port)
        for side, db, port in zip(sides, redis_dbs, ports, strict=True)
    }
    customers = dataset.sample_customers(targets["before"], args.customers, 1)
    credentials = dataset.set_clients(targets["before"], "bench-ab-chosen-secret")
    servers = {
        side: CheckoutServer(
            sides[side],
            targets[side],
            workers=args.workers,
            log_path=REPO / "artifacts" / "bench" / f"ab-{side}.log",
        )
        for side in sides
    }
    results: dict[str, dict[str, list[dict]]] = {side: {} for side in sides}
    try:
        for server in servers.values():
            server.start()
        clients = {side: Client("127.0.0.1", targets[side].port) for side in sides}
        tokens.customer_tokens(clients["after"], customers, *credentials["generated"], 4)
        # For `bench/profile_paths.py --customers` on either checkout afterwards.
        saved = REPO / "artifacts" / "bench" / "ab-customers.json"
        saved.write_text(json.dumps([asdict(c) for c in customers]))
        calls = {side: paths(clients[side], "bench", customers) for side in sides}
        for side in sides:  # every worker warm, every answer cached
            for path_calls in calls[side].values():
                run_calls(clients[side], path_calls * 2, args.connections)
        for round_index in range(args.rounds):
            order = list(sides) if round_index % 2 == 0 else list(reversed(sides))
            for name in calls["after"]:
                for side in order:
                    result = load.run_load(
                        clients[side],
                        calls[side][name],
                        duration=args.seconds,
                        connections=args.connections,
                        use_wrk=load.wrk_available(),
                    )
                    results[side].setdefault(name, []).append(result)
                    log(f"  round {round_index + 1} {side} {name}: {result['rps']} req/s")
    finally:
        for server in servers.values():
            server.stop()
    print(json.dumps(summarize(results)))


def summarize(results: dict[str, dict[str, list[dict]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for side, by_path in results.items():
        medians = {
            name: {
                "rps": statistics.median(r["rps"] for r in runs),
                "p99_ms": statistics.median(r["latency"]["p99_ms"] for r in runs),
                "non_2xx": sum(r.get("non_2xx", 0) for r in runs),
            }
            for name, runs in by_path.items()
        }
        bare = medians["bare"]
        for values in medians.values():
            values["x_bare_rps"] = round(values["rps"] / bare["rps"], 2)
            values["x_bare_p99"] = round(values["p99_ms"] / bare["p99_ms"], 2)
        summary[side] = medians
    return summary


if __name__ == "__main__":
    main()
