"""`bench/rules.py --smoke` end to end: dataset with rule segments, preview, evaluation and
upserts each next to its reference, plans, goals.

Needs PostgreSQL (PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432 as postgres); skipped when
it is missing. Uses its own database (`seg_bench_rules_smoke`); well under a minute.
"""

from __future__ import annotations

import json
import os
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


def test_rules_smoke_run_measures_every_part_next_to_its_reference(fresh_database):
    if not _reachable(os.environ.get("PGHOST", "127.0.0.1"), int(os.environ.get("PGPORT", "5432"))):
        pytest.skip("PostgreSQL is not reachable")
    fresh_database("seg_bench_rules_smoke")
    before = set(RESULTS.glob("rules-XS-*.json"))
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    command = [sys.executable, str(REPO / "bench" / "rules.py"), "--smoke"]
    command += ["--database", "seg_bench_rules_smoke"]
    completed = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    written = set(RESULTS.glob("rules-XS-*.json")) - before
    assert len(written) == 1
    results = json.loads(written.pop().read_text())
    assert results["smoke"] is True
    assert results["dataset"]["rule_segments"] > 0
    preview = results["preview"]
    assert preview["count"] > 0 and preview["queries"] == 3
    assert preview["preview"]["count"] == preview["reference"]["count"] > 0
    assert "Aggregate" in preview["plan"]
    [evaluation, *_] = results["evaluation"].values()
    assert evaluation["members"] > 0
    assert "Insert on segments_segmentcustomerassignment" in evaluation["plans"]["insert"]
    assert "Delete on segments_segmentcustomerassignment" in evaluation["plans"]["delete"]
    upserts = results["upserts"]
    assert upserts["single"]["rules"]["count"] == upserts["single"]["none"]["count"] > 0
    assert upserts["bulk"]["rules"]["count"] == upserts["bulk"]["none"]["count"] > 0
    assert {goal["goal"].split(" ")[0] for goal in results["goals"]} >= {
        "preview",
        "full",
        "single",
        "bulk",
    }
