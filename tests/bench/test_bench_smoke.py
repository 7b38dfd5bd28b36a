"""`bench/run.py --smoke` end to end: dataset, gunicorn, tokens, load, floor, writes, profile.

Needs PostgreSQL (PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432 as postgres), Redis on
127.0.0.1:6379 and gunicorn; skipped when one is missing. Uses its own database
(`seg_bench_smoke`) and Redis db 15; takes well under two minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"

pytestmark = pytest.mark.slow


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_smoke_run_ends_with_parseable_results(tmp_path, fresh_database):
    pg_host = os.environ.get("PGHOST", "127.0.0.1")
    pg_port = int(os.environ.get("PGPORT", "5432"))
    if not _reachable(pg_host, pg_port):
        pytest.skip("PostgreSQL is not reachable")
    if not _reachable("127.0.0.1", 6379):
        pytest.skip("Redis is not reachable")
    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("gunicorn is not installed")
    fresh_database("seg_bench_smoke")
    before = set(RESULTS.glob("XS-*.json"))
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "run.py"),
            "--smoke",
            "--port",
            str(_free_port()),
            "--redis-db",
            "15",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    written = set(RESULTS.glob("XS-*.json")) - before
    assert len(written) == 1
    results = json.loads(written.pop().read_text())
    assert results["config"]["smoke"] is True
    assert set(results["reads"]) == {"items", "category-trees", "me-segments", "match"}
    for read in results["reads"].values():
        assert read["warm"]["requests"] > 0
        assert read["warm"]["non_2xx"] == 0
        assert read["cold"]["statuses"] == {"200": read["cold"]["requests"]}
        assert read["floor"]["sequential"]["count"] > 0
    assert results["ceiling"]["requests"] > 0
    assert results["writes"]["bulk"]["assignments"] > 0
    assert results["writes"]["bulk"]["failed_elements"] == 0
    assert results["writes"]["coupon_validation"]["requests"] > 0
    assert "layers" in results["profile"]["slowest"]
    issuance = results["issuance"]["paths"]
    assert issuance["generated"]["requests"] > 0
    assert issuance["generated"]["non_2xx"] == issuance["chosen"]["non_2xx"] == 0
    assert issuance["reference"]["non_2xx"] == issuance["reference"]["requests"] > 0
    assert issuance["generated"]["server_cpu_ms_per_request"] > 0
    assert results["goals"]
