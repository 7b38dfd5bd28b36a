"""Tokens as a storefront gets them: POST /oauth/token with the client's credentials and,
for a customer token, `customer_id` (and `legal_entity_id`)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.common import Target, percentiles
from bench.dataset import Customer
from bench.http_client import Call, Client, run_calls
from bench.load import run_threads


def _form(client_id: str, secret: str, customer: Customer | None = None) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if customer is not None:
        form["customer_id"] = customer.customer_id
        if customer.legal_entity_id:
            form["legal_entity_id"] = customer.legal_entity_id
    return form


def client_token(client: Client, client_id: str, secret: str) -> str:
    answer = client.send(Call("POST", "/oauth/token", form=_form(client_id, secret)))
    if answer.status != 200:
        raise RuntimeError(f"token endpoint answered {answer.status}: {answer.body[:300]!r}")
    return answer.json()["access_token"]


def customer_tokens(
    client: Client, customers: list[Customer], client_id: str, secret: str, concurrency: int
) -> dict[str, Any]:
    """Sets `token` on every customer; the endpoint's latency and throughput."""
    started = time.perf_counter()
    calls = [Call("POST", "/oauth/token", form=_form(client_id, secret, c)) for c in customers]
    result = run_calls(client, calls, concurrency)
    for customer, answer in zip(customers, result.pop("answers"), strict=True):
        if answer.status != 200:
            raise RuntimeError(
                f"no token for {customer.customer_id}: {answer.status} {answer.body[:300]!r}"
            )
        customer.token = answer.json()["access_token"]
    result["latency"] = result.get("latency") or percentiles([])
    result["wall_seconds"] = round(time.perf_counter() - started, 2)
    return result


# The issuance phase: customer tokens per second, for a client whose secret the service
# generated (fast hash) and one whose secret a person chose (PBKDF2), next to the token
# endpoint refusing an unknown client (the same request through the same stack, without any
# secret check or token write) as the reference of the same run.
ISSUANCE_PATHS = (
    ("unknown client (401, reference)", "reference"),
    ("customer token, generated secret", "generated"),
    ("customer token, chosen secret (PBKDF2)", "chosen"),
)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(server_pid: int, target: Target) -> dict[tuple[str, int], float]:
    """CPU seconds so far of each gunicorn worker (the children of `server_pid`) and of
    each PostgreSQL backend connected to the benchmark's database (the load generator's
    own CPU is not counted): what the server side spends, whatever else runs."""
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server_pid:
                workers.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    with target.connect() as conn:
        backends = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (target.database,),
            )
        ]
    return {
        **{("workers", pid): _cpu_seconds(pid) for pid in workers},
        **{("postgres", pid): _cpu_seconds(pid) for pid in backends},
    }


def _cpu_spent(
    before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]
) -> dict[str, float]:
    spent = {"workers": 0.0, "postgres": 0.0}
    for key, seconds in after.items():
        spent[key[0]] += seconds - before.get(key, 0.0)
    return spent


def issuance(
    client: Client,
    customers: list[Customer],
    *,
    credentials: dict[str, tuple[str, str]],
    duration: float,
    connections: int,
    server_pid: int,
    target: Target,
) -> dict[str, Any]:
    """Throughput and latency of each ISSUANCE_PATHS entry under `connections` concurrent
    clients for `duration` seconds (Python threads: a token request is a form POST); each
    rate also as a ratio to the reference, and the server side's CPU time per request
    (gunicorn workers + PostgreSQL backends), from which `idle_capacity_rps`: the rate the
    machine's cores would sustain if the server had them to itself. `credentials` maps
    "generated" and "chosen" to a (client_id, secret) pair."""
    pairs = {
        "reference": ("no-such-client", credentials["generated"][1]),
        "generated": credentials["generated"],
        "chosen": credentials["chosen"],
    }
    calls = {
        key: [Call("POST", "/oauth/token", form=_form(*pair, c)) for c in customers]
        for key, pair in pairs.items()
    }
    paths: dict[str, Any] = {}
    for label, key in ISSUANCE_PATHS:
        expected = 401 if key == "reference" else 200
        before = server_cpu(server_pid, target)
        result = run_threads(client, calls[key], duration=duration, connections=connections)
        spent = _cpu_spent(before, server_cpu(server_pid, target))
        cpu = sum(spent.values())
        requests = result["requests"]
        result["server_cpu_ms_per_request"] = round(cpu * 1000 / requests, 2) if requests else None
        result["cpu_ms_per_request_by_side"] = {
            side: round(seconds * 1000 / requests, 2) if requests else None
            for side, seconds in spent.items()
        }
        result["idle_capacity_rps"] = (
            round((os.cpu_count() or 1) * result["requests"] / cpu, 1) if cpu else None
        )
        result["label"] = label
        result["expected_status"] = expected
        paths[key] = result
    reference = paths["reference"]["rps"] or 0.0
    for result in paths.values():
        result["ratio_to_reference"] = round(result["rps"] / reference, 3) if reference else None
    return {"duration": duration, "connections": connections, "paths": paths}
