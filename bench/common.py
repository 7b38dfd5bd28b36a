"""What the storefront benchmark's parts share: paths, the settings environment, databases,
percentiles. Standard library and psycopg only (no Django), so it imports anywhere."""

from __future__ import annotations

import argparse
import math
import os
import secrets
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
# Server logs and profiles: large, per run, never committed (`artifacts/` is git-ignored).
ARTIFACTS = REPO / "artifacts" / "bench"
LUA = REPO / "bench" / "lua"
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent


def bare_path(tenant: str) -> str:
    """The bare reference view of `bench/urls.py` (the benchmark's settings only). Under an
    API service's path, and sent the same bearer tokens (which it ignores), so that it
    passes the same middleware as the storefront reads."""
    return f"/customer-segment/{tenant}/bench/bare"


def authenticated_path(tenant: str) -> str:
    return f"/customer-segment/{tenant}/bench/authenticated"


def bare_large_path(tenant: str) -> str:
    """The bare reference answering a fixed body the size of the trees' median answer."""
    return f"/customer-segment/{tenant}/bench/bare-large"


@dataclass(frozen=True)
class Target:
    """Where one benchmark run reads and writes: its database, Redis db, tenant and port."""

    database: str
    tenant: str
    redis_db: int
    port: int
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    pg_password: str = ""

    @property
    def database_url(self) -> str:
        auth = quote(self.pg_user) + (f":{quote(self.pg_password)}" if self.pg_password else "")
        return f"postgres://{auth}@{self.pg_host}:{self.pg_port}/{self.database}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:6379/{self.redis_db}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self, database: str | None = None, **kwargs: Any):
        import psycopg

        return psycopg.connect(
            host=self.pg_host,
            port=self.pg_port,
            user=self.pg_user,
            password=self.pg_password or None,
            dbname=database or self.database,
            **kwargs,
        )


def django_env(target: Target, **extra: str) -> dict[str, str]:
    """The production settings' environment, pointed at the benchmark's database and Redis."""
    env = dict(os.environ)
    env.update(
        # Production's settings plus the bare reference views (`bench/urls.py`).
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or "bench-" + secrets.token_urlsafe(32),
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=target.database_url,
        REDIS_URL=target.redis_url,
        CONN_MAX_AGE="60",
        # Customer tokens outlive a long run (the default is 15 minutes).
        CUSTOMER_TOKEN_EXPIRE_SECONDS="3600",
        # Customer tokens count per customer, but the ceiling and the writes each load one
        # client's token far beyond the default 6000/min. A high budget keeps the throttle's
        # code path (leases from a Redis counter) without refusing the load, in windows of a
        # minute as production's default rate has (a window of a second would end most
        # workers' leases unspent: the throttle would cost more than in production).
        API_RATE_LIMIT=env.get("BENCH_API_RATE_LIMIT", "6000000/min"),
        PYTHONPATH=str(REPO),
    )
    env.pop("DATABASE_REPLICA_URL", None)
    env.update(extra)
    return env


def add_server_arguments(parser: argparse.ArgumentParser, *, port: int) -> None:
    """The options saying where a run's server, database and Redis are (`target_from_args`)."""
    parser.add_argument("--pg-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("PGPORT", 5432)))
    parser.add_argument("--pg-user", default=os.environ.get("PGUSER", "postgres"))
    parser.add_argument("--redis-db", type=int, default=14, help="Redis database number")
    parser.add_argument("--port", type=int, default=port)


def target_from_args(args: argparse.Namespace, tenant: str = "bench") -> Target:
    """The run's target from `add_server_arguments`' options and `--database`."""
    return Target(
        database=args.database,
        tenant=tenant,
        redis_db=args.redis_db,
        port=args.port,
        pg_host=args.pg_host,
        pg_port=args.pg_port,
        pg_user=args.pg_user,
        pg_password=os.environ.get("PGPASSWORD", ""),
    )


def ensure_database(target: Target) -> bool:
    """Creates the benchmark database if it is missing; True when it was created."""
    with target.connect("postgres", autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [target.database]
        ).fetchone()
        if exists:
            return False
        conn.execute(f'CREATE DATABASE "{target.database}"')
        return True


def manage(target: Target, *args: str, env: dict[str, str] | None = None) -> str:
    """Runs `manage.py` with the benchmark's settings; its output, or an error with it."""
    completed = subprocess.run(
        [PYTHON, str(REPO / "manage.py"), *args],
        cwd=REPO,
        env=env or django_env(target),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}"
        )
    return completed.stdout


def percentiles(samples_ms: list[float]) -> dict[str, float | int]:
    """count, mean and p50/p95/p99/max of latencies in milliseconds."""
    if not samples_ms:
        return {"count": 0}
    ordered = sorted(samples_ms)

    def at(share: float) -> float:
        index = min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))
        return round(ordered[index], 2)

    return {
        "count": len(ordered),
        "mean_ms": round(statistics.fmean(ordered), 2),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1], 2),
    }


def log(message: str) -> None:
    print(message, flush=True)
