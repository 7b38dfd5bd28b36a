"""Benchmark: what the change events' outbox adds to writes (issue 18: at most 10% on the
bulk member upsert and on the import).

**The outbox's cost** is what a write does for its events in its own transaction:
`record()` appending its changes to the outbox (`_write`: the resources' locks and one
`OutboxEntry` row, in the audit trail's statement; the sequencer makes the events later,
outside the timing, as the `db_worker` processes do). That is all a write pays;
subscriptions add nothing to it (dispatch and delivery run later, in the `db_worker`
processes, whether there are none or many), so the events table is measured
as it is, with no subscription. The reference is the same write with its outbox part
switched off by this benchmark (`_write` replaced by `_audit_only`, a patch of
`segments_project.audit.record` in its own process, never a setting: production has no
way to skip events). Both variants run in one
process against one database, in alternating rounds (the order flipped every round), so
a busy moment of the shared machine hits both.

1. Bulk member upsert: the service call behind `PUT .../customers/bulk`
   (`customer_assignments_upsert_bulk`) of 200 new members into a segment, in-process
   (no HTTP: the cost of the API layer would only dilute the ratio). Per round a fresh
   segment per variant, then `--calls` calls to each, alternating call by call; the
   median and the mean per call.
   The same through the API (`bulk_member_upsert_api`): Django's test client in-process,
   so the middleware, token authentication, parsing and the 207 answer are in both.
2. Import: `import_data --kind segment-customers` of `--import-rows` new rows (20
   segments, chunks of 10,000), the table emptied of them between runs; `--import-rounds`
   pairs of imports, one with and one without the outbox back to back (the order flipped
   every pair: ABBAAB...).

The ratio that decides (`ratio_paired`): the median of the pairs' ratios (with / without,
each pair's two runs taken back to back, so that the load of the shared machine, which
moves by tens of percent within a minute, meets both), with its quartiles, extremes, and a
distribution-free 95% interval for the median (order statistics, as a sign test); for the
bulk parts a pair is one call of each variant. The ratios of the medians, means and
fastest runs of each variant are kept beside it. For the import also the CPU time of each
run (this process and its PostgreSQL backend, from /proc), paired the same way: a busy
machine stretches a run's wall time by the time it waits for a core, hardly its CPU time.

Runs against its own PostgreSQL database (`seg_bench_outbox`, dropped and created each
run), with the test settings:

    .venv/bin/python bench/outbox.py                 # about 3 minutes
    .venv/bin/python bench/outbox.py --smoke         # tiny, < 1 minute
    .venv/bin/python bench/outbox.py --part import   # one part (summary-outbox-import.json)

Writes bench/results/summary-outbox.json (not with --smoke).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import RESULTS, Target, log  # noqa: E402
from bench.report import commit, machine  # noqa: E402

GOAL_RATIO = 1.10
BULK_SIZE = 200
VARIANTS = ("outbox", "no events")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="bulk rounds")
    parser.add_argument("--calls", type=int, default=10, help="bulk calls per round")
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--import-rounds", type=int, default=20, help="import pairs")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument(
        "--part",
        choices=("all", "bulk_member_upsert", "bulk_member_upsert_api", "import"),
        default="all",
    )
    parser.add_argument("--database", default="seg_bench_outbox")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.calls, args.import_rows, args.import_rounds = 2, 2, 2_000, 1
    return args


def setup(target: Target) -> None:
    with target.connect("postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}"')
        conn.execute(f'CREATE DATABASE "{target.database}"')
    os.environ["DATABASE_URL"] = target.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "segments_project.settings.test"
    os.environ["ALLOWED_HOSTS"] = "localhost"  # the API part's test client
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@contextmanager
def events_off() -> Iterator[None]:
    """`record()` without its events: the audit trail only (the benchmark's reference)."""
    from segments_project.audit import record

    with mock.patch.object(record, "_write", record._audit_only):
        yield


def _variant(name: str) -> Any:
    return events_off() if name == "no events" else nullcontext()


def _orders(rounds: int) -> Iterator[tuple[str, ...]]:
    for index in range(rounds):
        yield VARIANTS if index % 2 == 0 else VARIANTS[::-1]


def _events() -> int:
    """The events so far, numbered first (outside the timed calls, as a worker would)."""
    from segments_project.events.models import Event
    from segments_project.events.sequencing import events_sequence

    events_sequence()
    return Event.objects.count()


BulkCall = Callable[[str, list[dict[str, str]]], None]


def _service_call() -> BulkCall:
    from bench.import_customer_assignments import TENANT
    from segments.services.members import customer_assignments_upsert_bulk

    def call(segment_id: str, documents: list[dict[str, str]]) -> None:
        customer_assignments_upsert_bulk(tenant=TENANT, segment_id=segment_id, documents=documents)

    return call


def _api_call() -> BulkCall:
    """`PUT .../customers/bulk` through the whole API (Django's test client, in-process: the
    middleware, token authentication, parsing and the 207 answer), as `bench/writes.py`
    sends it over HTTP."""
    from django.test import Client

    from bench.import_customer_assignments import TENANT
    from segments_project.tenancy import scopes
    from segments_project.tenancy.services import api_client_upsert

    api_client_upsert(
        tenant=TENANT,
        client_id="bench-outbox",
        client_secret="bench-outbox-secret",
        scopes=frozenset({scopes.SEGMENT_MANAGE, scopes.SEGMENT_READ}),
    )
    client = Client(HTTP_HOST="localhost")
    form = {
        "grant_type": "client_credentials",
        "client_id": "bench-outbox",
        "client_secret": "bench-outbox-secret",
    }
    token = client.post("/oauth/token", form).json()["access_token"]

    def call(segment_id: str, documents: list[dict[str, str]]) -> None:
        response = client.put(
            f"/customer-segment/{TENANT}/segments/{segment_id}/customers/bulk",
            json.dumps(documents),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        if response.status_code != 207:
            raise RuntimeError(f"{response.status_code}: {response.content[:300]!r}")

    return call


def bulk(args: argparse.Namespace, customers: list[str], call: BulkCall, part: str) -> dict:
    from bench.import_customer_assignments import TENANT
    from segments.services.segments import segment_create

    load_start = os.getloadavg()
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    events: dict[str, int] = dict.fromkeys(VARIANTS, 0)
    for index in range(args.rounds):
        segments = {name: f"{part}-{index}-{name.replace(' ', '-')}" for name in VARIANTS}
        for segment_id in segments.values():
            segment_create(
                tenant=TENANT,
                document={
                    "id": segment_id,
                    "name": {"en": "Outbox"},
                    "status": "ACTIVE",
                    "siteCode": "main",
                },
            )
        # Call by call, the variants alternate (the order flipped every call), so that the
        # load of the shared machine meets both alike.
        for number, order in enumerate(_orders(args.calls)):
            start = number * BULK_SIZE % len(customers)
            documents = [{"customerId": c} for c in customers[start : start + BULK_SIZE]]
            for name in order:
                before = _events()
                with _variant(name):
                    started = time.perf_counter()
                    call(segments[name], documents)
                    times[name].append(time.perf_counter() - started)
                events[name] += _events() - before
    return _summary(times, events, load_start, unit="ms", scale=1000)


def imports(args: argparse.Namespace) -> dict[str, Any]:
    from bench.import_customer_assignments import (
        TENANT,
        _delete_assignments,
        _time_import,
        _write_files,
    )

    load_start = os.getloadavg()
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
    events: dict[str, int] = dict.fromkeys(VARIANTS, 0)
    with tempfile.TemporaryDirectory() as directory:
        csv_path, _ = _write_files(TENANT, Path(directory), args.import_rows, 20)
        for order in _orders(args.import_rounds):
            for name in order:
                before = _events()
                with _variant(name):
                    cpu_before = _cpu_seconds()
                    seconds, summary = _time_import(TENANT, csv_path, 10_000)
                    cpu_after = _cpu_seconds()
                if f"inserted {args.import_rows}" not in summary:
                    raise RuntimeError(f"{name}: {summary}")
                times[name].append(seconds)
                if cpu_before is not None and cpu_after is not None:
                    cpu[name].append(cpu_after - cpu_before)
                events[name] += _events() - before
                _delete_assignments(TENANT)
    result = _summary(times, events, load_start, unit="s", scale=1)
    if len(cpu["outbox"]) == len(cpu["no events"]) == len(times["outbox"]):
        result["cpu"] = _cpu_summary(cpu)
    return result


def _cpu_seconds() -> float | None:
    """CPU seconds used so far by this process and by its PostgreSQL backend (read from
    /proc: the server runs on this machine), or None when the backend's are not readable.
    On a loaded machine a run's wall time includes the time it waited for a core; its CPU
    time hardly does, so the CPU ratio is the steadier measure of the work the outbox adds
    (it leaves out waits for I/O: the outbox adds one row and no flush per chunk)."""
    from django.db import connection

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return time.process_time() + (int(fields[11]) + int(fields[12])) / ticks


def _cpu_summary(cpu: dict[str, list[float]]) -> dict[str, Any]:
    with_outbox, without = cpu["outbox"], cpu["no events"]
    paired = _paired(with_outbox, without)
    return {
        "what": "CPU seconds of the benchmark's process and its PostgreSQL backend",
        "outbox_median_s": round(statistics.median(with_outbox), 3),
        "no_events_median_s": round(statistics.median(without), 3),
        "ratio_paired": paired,
        "within_goal": paired["median"] <= GOAL_RATIO,
        "within_goal_whole_interval": paired["median_interval_95"][1] <= GOAL_RATIO,
    }


def _summary(
    times: dict[str, list[float]],
    events: dict[str, int],
    load_start: tuple[float, float, float],
    *,
    unit: str,
    scale: float,
) -> dict[str, Any]:
    def stats(values: list[float]) -> dict[str, Any]:
        return {
            f"median_{unit}": round(statistics.median(values) * scale, 2),
            f"mean_{unit}": round(statistics.fmean(values) * scale, 2),
            f"fastest_{unit}": round(min(values) * scale, 2),
            "runs": len(values),
        }

    with_outbox, without = times["outbox"], times["no events"]
    paired = _paired(with_outbox, without)
    result = {
        "outbox": {**stats(with_outbox), "events_written": events["outbox"]},
        "no_events": {**stats(without), "events_written": events["no events"]},
        "ratio_paired": paired,
        "ratio_median": round(statistics.median(with_outbox) / statistics.median(without), 3),
        "ratio_mean": round(statistics.fmean(with_outbox) / statistics.fmean(without), 3),
        "ratio_fastest": round(min(with_outbox) / min(without), 3),
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
    }
    # The goal on the median of the paired ratios (each pair ran back to back, so a busy
    # moment of the machine meets both of its runs); the interval says how sure that is.
    result["within_goal"] = paired["median"] <= GOAL_RATIO
    result["within_goal_whole_interval"] = paired["median_interval_95"][1] <= GOAL_RATIO
    return result


def _paired(with_outbox: list[float], without: list[float]) -> dict[str, Any]:
    """The ratios of the runs taken back to back (with / without the outbox, the order
    flipped every pair): their median, quartiles, extremes, and a distribution-free 95%
    interval for the median (order statistics of the binomial, as a sign test)."""
    ratios = sorted(a / b for a, b in zip(with_outbox, without, strict=True))
    low, high = _median_interval(len(ratios))
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) >= 2 else ratios * 3
    return {
        "pairs": len(ratios),
        "median": round(statistics.median(ratios), 3),
        "quartiles": [round(quartiles[0], 3), round(quartiles[2], 3)],
        "extremes": [round(ratios[0], 3), round(ratios[-1], 3)],
        "median_interval_95": [round(ratios[low], 3), round(ratios[high], 3)],
        "share_above_goal": round(sum(r > GOAL_RATIO for r in ratios) / len(ratios), 3),
    }


def _median_interval(n: int) -> tuple[int, int]:
    """Indexes (0-based, in the sorted sample) of a distribution-free interval holding the
    median with at least 95% confidence: the j-th smallest and the j-th largest for the
    largest j with P(Binomial(n, 1/2) <= j - 1) <= 2.5% (e.g. the 6th and 15th of 20); the
    extremes when n < 6 (then with less than 95%)."""
    j, at_most = 0, 0.0
    while True:
        at_most += math.comb(n, j) / 2**n  # P(X <= j)
        if at_most > 0.025:
            break
        j += 1
    # Now P(X <= j - 1) <= 2.5% < P(X <= j): the j-th order statistic (1-based) from each end.
    return (j - 1, n - j) if j >= 1 else (0, n - 1)


def _directory(args: argparse.Namespace) -> list[str]:
    from bench.import_customer_assignments import TENANT, _generate_directory
    from segments.models import Customer

    customers = max(args.import_rows // 20, args.calls * BULK_SIZE)
    _generate_directory(TENANT, 20, customers)
    return list(
        Customer.objects.filter(tenant_id=TENANT).order_by("pk").values_list("public_id", flat=True)
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    target = Target(database=args.database, tenant="bench", redis_db=0, port=0)
    setup(target)
    customers = _directory(args)
    parts: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("bulk_member_upsert", lambda: bulk(args, customers, _service_call(), "bulk")),
        ("bulk_member_upsert_api", lambda: bulk(args, customers, _api_call(), "api")),
        ("import", lambda: imports(args)),
    ]
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(target),
        "goal_ratio": GOAL_RATIO,
        "bulk_size": BULK_SIZE,
        "import_rows": args.import_rows,
    }
    for name, part in parts:
        if args.part not in ("all", name):
            continue
        results[name] = part()
        log(f"{name}: {results[name]}")
    print(json.dumps(results, indent=2))
    if not args.smoke:
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = "summary-outbox.json" if args.part == "all" else f"summary-outbox-{args.part}.json"
        (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
