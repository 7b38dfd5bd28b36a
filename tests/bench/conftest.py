"""The benchmark smoke runs' databases: each run starts from an empty one, so that a
database left by a run of other code (another branch's migrations, a stopped run) cannot
decide the result."""

from __future__ import annotations

import os
from collections.abc import Callable

import psycopg
import pytest


def server_url(database: str) -> str:
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "postgres")
    return f"postgres://{user}@{host}:{port}/{database}"


@pytest.fixture
def fresh_database() -> Callable[[str], str]:
    """Drops the named database and creates it empty; its URL. Skips without PostgreSQL."""

    def fresh(name: str) -> str:
        try:
            with psycopg.connect(server_url("postgres"), autocommit=True, connect_timeout=3) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                db.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError:
            pytest.skip("PostgreSQL is not reachable")
        return server_url(name)

    return fresh
