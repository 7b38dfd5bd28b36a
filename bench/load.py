"""Load generators: wrk with `lua/storefront.lua` when installed, else a bounded pool of
Python threads. Both cycle through a fixed list of requests for a fixed duration and report
throughput and p50/p95/p99 latency."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import LUA, percentiles
from bench.dataset import Customer
from bench.http_client import Call, Client

STOREFRONT_ENDPOINTS = ("items", "category-trees", "me-segments", "match")
CACHED_ENDPOINTS = ("items", "category-trees", "me-segments")


def storefront_call(tenant: str, endpoint: str, customer: Customer) -> Call:
    """What a storefront asks for this customer on its site."""
    base = f"/customer-segment/{tenant}"
    site = f"siteCode={customer.site}"
    if endpoint == "items":
        return Call("GET", f"{base}/segments/items?{site}", customer.token)
    if endpoint == "category-trees":
        return Call("GET", f"{base}/segments/items/category-trees?{site}", customer.token)
    if endpoint == "me-segments":
        return Call("GET", f"{base}/me/segments?{site}", customer.token)
    if endpoint == "match":
        body = {"items": [{"id": pid} for pid in customer.products], "siteCode": customer.site}
        return Call("POST", f"{base}/segments/match", customer.token, body)
    raise ValueError(endpoint)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_load(
    client: Client,
    calls: list[Call],
    *,
    duration: float,
    connections: int,
    use_wrk: bool,
) -> dict[str, Any]:
    if use_wrk:
        return run_wrk(client, calls, duration=duration, connections=connections)
    return run_threads(client, calls, duration=duration, connections=connections)


def run_wrk(
    client: Client, calls: list[Call], *, duration: float, connections: int
) -> dict[str, Any]:
    threads = max(1, min(connections, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        requests_path = Path(folder) / "requests.tsv"
        out_path = Path(folder) / "out.json"
        with requests_path.open("w") as file:
            for call in calls:
                body = "" if call.body is None else json.dumps(call.body, separators=(",", ":"))
                file.write(f"{call.method}\t{call.path}\t{call.token or ''}\t{body}\n")
        env = dict(
            os.environ,
            WRK_REQUESTS=str(requests_path),
            WRK_OUT=str(out_path),
            WRK_HOST=f"{client.host}:{client.port}",
        )
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA / "storefront.lua"),
            f"http://{client.host}:{client.port}/",
        ]
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=duration + 120)
        raw = json.loads(out_path.read_text())
    seconds = raw["duration_us"] / 1e6
    latency = raw["latency_us"]
    errors = raw["errors"]
    return {
        "tool": "wrk",
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "latency": {
            "count": raw["requests"],
            "mean_ms": round(latency["mean"] / 1000, 2),
            "p50_ms": round(latency["p50"] / 1000, 2),
            "p95_ms": round(latency["p95"] / 1000, 2),
            "p99_ms": round(latency["p99"] / 1000, 2),
            "max_ms": round(latency["max"] / 1000, 2),
        },
        "errors": sum(errors[key] for key in ("connect", "read", "write", "timeout")),
        "non_2xx": errors["status"],
        "bytes_per_request": round(raw["bytes"] / raw["requests"]) if raw["requests"] else 0,
    }


def combine_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One path's loads of several rounds as one result: throughput over all of them
    (every request over every second), each latency percentile the median of the rounds'
    (a pooled percentile would need every sample), the counts summed; the rounds kept."""
    if len(rounds) == 1:
        return rounds[0]
    requests = sum(result["requests"] for result in rounds)
    seconds = sum(result["seconds"] for result in rounds)
    latency = {}
    for key in rounds[0]["latency"]:
        values = [result["latency"].get(key) for result in rounds]
        present = [value for value in values if value is not None]
        latency[key] = statistics.median(present) if present else None
    latency["count"] = requests
    combined = {
        **rounds[0],
        "requests": requests,
        "seconds": round(seconds, 2),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "latency": latency,
        "rounds": rounds,
    }
    for key in ("errors", "non_2xx"):
        if key in rounds[0]:
            combined[key] = sum(result.get(key, 0) for result in rounds)
    if "bytes_per_request" in rounds[0]:
        combined["bytes_per_request"] = rounds[0]["bytes_per_request"]
    return combined


def run_threads(
    client: Client, calls: list[Call], *, duration: float, connections: int
) -> dict[str, Any]:
    """`connections` threads, each cycling through the calls from its own offset."""
    deadline = time.perf_counter() + duration
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures = [0] * connections
    errors = [0] * connections
    sizes = [0] * connections

    def worker(index: int) -> None:
        position = index * 7919
        while time.perf_counter() < deadline:
            call = calls[position % len(calls)]
            position += 1
            try:
                answer = client.send(call)
            except OSError:
                errors[index] += 1
                continue
            latencies[index].append(answer.ms)
            sizes[index] += len(answer.body)
            if answer.status >= 400:
                failures[index] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    samples = [ms for per_thread in latencies for ms in per_thread]
    return {
        "tool": "python-threads",
        "requests": len(samples),
        "seconds": round(seconds, 2),
        "rps": round(len(samples) / seconds, 1) if seconds else 0.0,
        "latency": percentiles(samples),
        "errors": sum(errors),
        "non_2xx": sum(failures),
        "bytes_per_request": round(sum(sizes) / len(samples)) if samples else 0,
    }
