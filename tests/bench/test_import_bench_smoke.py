"""`bench/import_customer_assignments.py --smoke` end to end with a tiny row count: COPY,
import and re-import run, count right, print parseable JSON and leave the docs alone.

Needs PostgreSQL (PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432 as postgres); skipped
without it. Uses its own database (`seg_import_bench_smoke`), created when missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATABASE = "seg_import_bench_smoke"

pytestmark = pytest.mark.slow


def test_smoke_run_counts_right_and_prints_parseable_results(fresh_database):
    docs = REPO / "docs" / "benchmarks.md"
    docs_before = docs.read_text(encoding="utf-8")
    rows, chunk = 1_200, 500

    completed = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "import_customer_assignments.py"),
            "--smoke",
            "--rows",
            str(rows),
            "--segments",
            "3",
            "--chunk-size",
            str(chunk),
        ],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": fresh_database(DATABASE)},
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    result = json.loads(completed.stdout)
    assert (result["rows"], result["chunk_size"]) == (rows, chunk)
    assert result["copied"] == result["imported"] == rows
    assert f"inserted {rows}," in result["summary"]
    assert f"unchanged {rows}," in result["resummary"]
    assert result["copy_seconds"] > 0
    assert result["import_to_copy"] > 0
    assert len(result["load_average"]) == 2
    assert docs.read_text(encoding="utf-8") == docs_before
