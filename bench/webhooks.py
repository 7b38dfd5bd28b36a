"""Benchmark: webhook deliveries (issue 18, "Speed and reliability").

1. Throughput: events appended through the outbox (`events_append`, in transactions of
   500, as writes append them) to 1,000 resources, then one `manage.py db_worker` process
   delivers them to a local receiver (an `http.server` thread answering 200): events per
   second from the worker's start to the last arrival, for one subscription and for four
   (deliveries per second). Goal: >= 500 events/s with one worker.
2. Receiver down, then up: the receiver is down (connection refused) while a writer
   appends events for `--down-seconds`, then comes back on the same port; the worker,
   running all along, retries with backoff, and the benchmark ticks like the scheduler
   (`pump_request_if_waiting` every 2 s). Checks that every event arrives, in order per
   resource, none twice after de-duplication by `webhook-id`. Shortened from the issue's
   10 minutes: 30 s down by default, with the backoff scaled down (base 0.5 s, at most
   5 s) so that the retries of a 10-minute outage happen in proportion. The issue's
   case: `--part outage --down-seconds 600 --production-backoff` (the worker keeps the
   settings' defaults: base 5 s, at most 1 h).

Runs against its own PostgreSQL database (`seg_bench_webhooks`, dropped and migrated at
each run) with the test settings (loopback deliveries allowed by their settings):

    .venv/bin/python bench/webhooks.py                   # about 2 minutes
    .venv/bin/python bench/webhooks.py --smoke           # tiny, < 1 minute
    .venv/bin/python bench/webhooks.py --part outage --down-seconds 600 --production-backoff

Writes bench/results/summary-webhooks.json (committed, not with --smoke), or
summary-webhooks-<part>.json for one part.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import ARTIFACTS, PYTHON, RESULTS, Target, log  # noqa: E402
from bench.report import commit, machine  # noqa: E402

TENANT = "bench"
GOAL_EVENTS_PER_SECOND = 500
LOCAL = {
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
    "WEBHOOK_ALLOW_HTTP_LOOPBACK": "true",
}
# The outage scenario's backoff, scaled down with its duration.
OUTAGE = {"WEBHOOK_BACKOFF_BASE_SECONDS": "0.5", "WEBHOOK_BACKOFF_MAX_SECONDS": "5"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--resources", type=int, default=1_000)
    parser.add_argument("--down-seconds", type=float, default=30.0)
    parser.add_argument("--outage-rate", type=float, default=100.0, help="events/s appended")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--part", choices=("all", "throughput", "outage"), default="all")
    parser.add_argument(
        "--production-backoff",
        action="store_true",
        help="outage: the settings' backoff (base 5 s, at most 1 h), not the scaled-down one",
    )
    parser.add_argument(
        "--recovery-timeout", type=float, default=None, help="outage: seconds to wait after"
    )
    parser.add_argument("--database", default="seg_bench_webhooks")
    args = parser.parse_args(argv)
    if args.smoke:
        args.events, args.resources, args.down_seconds, args.outage_rate = 500, 50, 5.0, 40.0
    return args


class Receiver:
    """A local endpoint recording (webhook-id, resource id, sequence number) per request."""

    def __init__(self, port: int = 0) -> None:
        self.arrivals: list[tuple[str, str, int, float]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    receiver.arrivals.append(
                        (
                            self.headers["webhook-id"],
                            body["resource"]["id"],
                            body["sequenceNumber"],
                            time.monotonic(),
                        )
                    )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def distinct(self) -> int:
        with self.lock:
            return len({arrival[0] for arrival in self.arrivals})


def setup(target: Target) -> None:
    with target.connect("postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}"')
        conn.execute(f'CREATE DATABASE "{target.database}"')
    os.environ["DATABASE_URL"] = target.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "segments_project.settings.test"
    os.environ.update(LOCAL)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from segments_project.tenancy.models import Tenant

    Tenant.objects.get_or_create(name=TENANT)


def start_worker(target: Target, **extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": target.database_url,
        "DJANGO_SETTINGS_MODULE": "segments_project.settings.test",
        **LOCAL,
        **extra,
    }
    command = [PYTHON, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
    # The worker's log to a file: a pipe nobody reads fills up (64 KB, a few hundred jobs'
    # log lines) and then blocks the worker in its next write.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / f"webhooks-worker-{target.database}.log", "ab") as worker_log:
        return subprocess.Popen(
            [*command, "--interval", "0.05"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=worker_log,
            start_new_session=True,
        )


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user and system, all threads) a running process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def append_events(count: int, resources: int, *, start: int = 0) -> None:
    from django.db import transaction

    from segments_project.events.append import EventDraft, events_append

    for offset in range(0, count, 500):
        drafts = [
            EventDraft(
                "segment.member.added",
                "segment",
                f"seg-{(start + n) % resources}",
                {"customerId": f"c{start + n}", "assignmentType": "MANUAL"},
            )
            for n in range(offset, min(offset + 500, count))
        ]
        with transaction.atomic():
            events_append(tenant=TENANT, drafts=drafts)


def subscribe(url: str, count: int) -> None:
    from webhooks.services import subscription_create

    for _ in range(count):
        subscription_create(
            tenant=TENANT, document={"url": url, "eventTypes": ["segment.member.*"]}
        )


def reset() -> None:
    from django_tasks_db.models import DBTaskResult

    from segments_project.events.models import Event, OutboxEntry
    from webhooks.models import Subscription

    Subscription.objects.all().delete()
    OutboxEntry.objects.all().delete()
    Event.objects.all().delete()
    DBTaskResult.objects.all().delete()


class Ticker:
    """The scheduler's webhook tick (`evaluate_segments --every`, `--webhook-tick 2`), done
    by the benchmark: a pump is queued when events wait or deliveries are due."""

    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self.last = float("-inf")

    def tick(self) -> None:
        if time.monotonic() - self.last >= self.every:
            from webhooks.services.triggers import pump_request_if_waiting

            pump_request_if_waiting()
            self.last = time.monotonic()


def wait_for(receiver: Receiver, expected: int, timeout: float, ticker: Ticker) -> float:
    started = time.monotonic()
    while receiver.distinct() < expected:
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{receiver.distinct()} of {expected} arrived in {timeout} s")
        ticker.tick()
        time.sleep(0.01)
    return time.monotonic() - started


def throughput(target: Target, args: argparse.Namespace, subscriptions: int) -> dict[str, Any]:
    from webhooks.services.triggers import pump_request

    reset()
    receiver = Receiver()
    try:
        subscribe(f"http://127.0.0.1:{receiver.port}/hook", subscriptions)
        append_events(args.events, args.resources)
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()  # the writes' pump requests: started below
        pump_request()
        worker = start_worker(target)
        started = time.monotonic()
        try:
            expected = args.events * subscriptions
            while len(receiver.arrivals) < expected:
                if time.monotonic() - started > 600:
                    raise RuntimeError(f"{len(receiver.arrivals)} of {expected} in 600 s")
                time.sleep(0.01)
            first = receiver.arrivals[0][3]
            last = receiver.arrivals[-1][3]
            worker_cpu = cpu_seconds(worker.pid)
        finally:
            stop_worker(worker)
    finally:
        receiver.stop()
    elapsed = last - started
    result = {
        "subscriptions": subscriptions,
        "events": args.events,
        "deliveries": expected,
        "seconds_from_worker_start": round(elapsed, 2),
        "seconds_first_to_last": round(last - first, 2),
        "deliveries_per_second": round(expected / elapsed, 1),
        "deliveries_per_second_steady": round(expected / max(last - first, 1e-6), 1),
        # What the worker needs of a core (its start included; its PostgreSQL backends
        # not): on a loaded machine its wall time also counts the time it waited for one.
        "worker_cpu_seconds": worker_cpu,
        "deliveries_per_worker_cpu_second": (
            round(expected / worker_cpu, 1) if worker_cpu else None
        ),
        "load_average": os.getloadavg(),
    }
    log(f"throughput: {result}")
    return result


def outage(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    reset()
    receiver = Receiver()
    port = receiver.port
    receiver.stop()  # down: the port refuses connections
    subscribe(f"http://127.0.0.1:{port}/hook", 1)
    backoff = {} if args.production_backoff else OUTAGE
    worker = start_worker(target, **backoff)
    appended = 0
    try:
        deadline = time.monotonic() + args.down_seconds
        batch = max(1, int(args.outage_rate / 10))
        ticker = Ticker()
        while time.monotonic() < deadline:
            append_events(batch, 100, start=appended)
            appended += batch
            ticker.tick()
            time.sleep(0.1)
        receiver = Receiver(port)
        back = time.monotonic()
        timeout = args.recovery_timeout or (3600 if args.production_backoff else 300)
        recovered = wait_for(receiver, appended, timeout=timeout, ticker=ticker)
    finally:
        stop_worker(worker)
        receiver.stop()
    seen: set[str] = set()
    last: dict[str, int] = defaultdict(int)
    out_of_order = 0
    for event_id, resource, number, _ in receiver.arrivals:
        if event_id in seen:
            continue
        seen.add(event_id)
        out_of_order += number <= last[resource]
        last[resource] = number
    result = {
        "down_seconds": args.down_seconds,
        "events_appended_while_down": appended,
        "distinct_events_arrived": len(seen),
        "requests_received": len(receiver.arrivals),
        "duplicates_before_dedup": len(receiver.arrivals) - len(seen),
        "out_of_order_after_dedup": out_of_order,
        "seconds_from_receiver_up_to_all_arrived": round(recovered, 2),
        "backoff": backoff or "production (settings' defaults)",
        "load_average_at_end": os.getloadavg(),
        "all_arrived_in_order": len(seen) == appended and out_of_order == 0,
    }
    log(f"outage: {result}; receiver back after {back - deadline:.1f} s")
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    target = Target(database=args.database, tenant=TENANT, redis_db=0, port=0)
    setup(target)
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(target),
        "load_average_at_start": os.getloadavg(),
        "goal_events_per_second": GOAL_EVENTS_PER_SECOND,
    }
    if args.part in ("all", "throughput"):
        results["throughput"] = [throughput(target, args, 1), throughput(target, args, 4)]
    if args.part in ("all", "outage"):
        results["outage"] = outage(target, args)
    print(json.dumps(results, indent=2))
    if not args.smoke:
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = (
            "summary-webhooks.json" if args.part == "all" else f"summary-webhooks-{args.part}.json"
        )
        (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
    return 0 if results.get("outage", {}).get("all_arrived_in_order", True) else 1


if __name__ == "__main__":
    sys.exit(main())
