"""Profiles one storefront path in-process with pyinstrument (run by bench/run.py).

    python bench/profile_paths.py --endpoint category-trees --customers customers.json \
        --requests 100 --cold --out bench/results/profile.txt

Besides the storefront paths (`bench/load.py`): `bare` and `authenticated` (the references
of `bench/urls.py`; run with `DJANGO_SETTINGS_MODULE=bench.settings`), `bulk-upsert`
(`--manager-token`) and `token` (customer tokens from `POST /oauth/token`, `--client-id`
and `--client-secret`: a client whose secret the service generated).

Runs the requests through Django's full stack (middleware, DRF, views) against the
benchmark's database and Redis, with the same settings as the server, and prints a JSON
summary: wall time per request, the share of time per layer (database driver, ORM, DRF,
project code, ...) and the project functions with the largest inclusive share.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import authenticated_path, bare_path  # noqa: E402

LAYERS = (
    ("psycopg", "database driver (psycopg: round trips and row parsing)"),
    ("django_redis", "cache (Redis)"),
    ("/redis/", "cache (Redis)"),
    ("django/db/", "Django ORM (query building, model instances)"),
    ("rest_framework", "Django REST framework"),
    ("oauth2_provider", "django-oauth-toolkit"),
    ("/json/", "json"),
    ("/django/", "Django (other)"),
)


def layer(path: str) -> str:
    for needle, name in LAYERS:
        if needle in path:
            return name
    if path.startswith(str(REPO)) and "/.venv/" not in path and "site-packages" not in path:
        return "project code"
    return "other (stdlib, interpreter)"


def summarize(root) -> dict:
    """Self time per layer and inclusive time of the project's own functions, as shares of
    all sampled time."""
    by_layer: dict[str, float] = defaultdict(float)
    inclusive: dict[str, float] = defaultdict(float)
    self_time: dict[str, float] = defaultdict(float)

    def walk(frame, seen: frozenset[str], parent_key: str, parent_path: str) -> None:
        # Synthetic frames ("[self]", "[await]") stand for their parent's own time.
        if frame.is_synthetic or not frame.file_path:
            key, path = parent_key, parent_path
        else:
            path = frame.file_path
            key = f"{frame.function} ({path.removeprefix(str(REPO) + '/')}:{frame.line_no})"
        own = max(0.0, frame.time - sum(child.time for child in frame.children))
        by_layer[layer(path)] += own
        self_time[key] += own
        if layer(path) == "project code" and key not in seen and not frame.is_synthetic:
            inclusive[key] += frame.time
            seen = seen | {key}
        for child in frame.children:
            walk(child, seen, key, path)

    walk(root, frozenset(), "(root)", "")
    total = sum(by_layer.values()) or 1.0

    def shares(values: dict[str, float], limit: int) -> list[dict]:
        ordered = sorted(values.items(), key=lambda item: -item[1])[:limit]
        return [{"name": k, "share": round(v / total, 3)} for k, v in ordered if v > 0]

    return {
        "layers": shares(by_layer, 12),
        "project_functions_inclusive": shares(inclusive, 15),
        "top_self_time": shares(self_time, 15),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--customers", required=True, help="JSON file of customers")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--cold", action="store_true", help="a content-version bump first")
    parser.add_argument("--out", required=True, help="pyinstrument text output")
    parser.add_argument("--manager-token", help="for --endpoint bulk-upsert")
    parser.add_argument("--client-id", help="for --endpoint token")
    parser.add_argument("--client-secret", help="for --endpoint token")
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client
    from pyinstrument import Profiler

    from bench.dataset import Customer
    from segments_project.tenancy.versions import content_published

    customers = [Customer(**row) for row in json.loads(Path(args.customers).read_text())]
    # Accepting gzip, as storefronts (and the HTTP loads) do.
    client = Client(SERVER_NAME="127.0.0.1", HTTP_ACCEPT_LANGUAGE="en", HTTP_ACCEPT_ENCODING="gzip")

    if args.endpoint != TOKEN and args.client_id and any(c.token is None for c in customers):
        # Customers sampled without tokens: issued here, before (and outside) the profile.
        for customer in customers:
            customer.token = _customer_token(client, args.client_id, args.client_secret, customer)
    send, warm_up = _sender(client, args, customers)
    # Imports, connections and plan caches warm.
    for customer in warm_up:
        send(customer)
    statuses: dict[int, int] = defaultdict(int)
    profiler = Profiler(interval=0.0005)
    wall = 0.0
    for index in range(args.requests):
        customer = customers[index % len(customers)]
        if args.cold:
            content_published(args.tenant)
        started = time.perf_counter()
        profiler.start()
        statuses[send(customer)] += 1
        profiler.stop()
        wall += time.perf_counter() - started
    if args.endpoint == BULK:
        _bulk_cleanup(args.tenant)
    session = profiler.last_session
    Path(args.out).write_text(profiler.output_text(unicode=True, color=False))
    root = session.root_frame() if session else None
    summary = {
        "endpoint": args.endpoint,
        "cold": args.cold,
        "requests": args.requests,
        "ms_per_request": round(wall * 1000 / args.requests, 2),
        "statuses": dict(statuses),
        "profile": str(Path(args.out).resolve()).removeprefix(str(REPO) + "/"),
        **(summarize(root) if root is not None else {}),
    }
    print(json.dumps(summary))


def _sender(client, args: argparse.Namespace, customers: list) -> tuple[Callable, list]:
    """The request to profile, sent for one customer, and the customers to warm up with."""
    if args.endpoint == BULK:
        send, batches = _bulk_sender(client, args.tenant, args.manager_token)
        args.requests = max(1, min(args.requests, batches))
        return send, []
    if args.endpoint == TOKEN:
        send = partial(_send_token_request, client, args.client_id, args.client_secret)
        return send, customers[:3]
    send = partial(_send_read, client, args.tenant, args.endpoint)
    # Without --cold, every answer is cached before profiling.
    return send, customers[:3] if args.cold else customers


BULK = "bulk-upsert"
TOKEN = "token"
REFERENCES = {"bare": bare_path, "authenticated": authenticated_path}
BULK_SEGMENT = "bench-write-profile"


def _send_read(client, tenant: str, endpoint: str, customer) -> int:
    from bench.http_client import Call
    from bench.load import storefront_call

    if endpoint in REFERENCES:
        call = Call("GET", REFERENCES[endpoint](tenant), customer.token)
    else:
        call = storefront_call(tenant, endpoint, customer)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {call.token}"}
    if call.method == "GET":
        return client.get(call.path, **headers).status_code
    return client.post(
        call.path, json.dumps(call.body), content_type="application/json", **headers
    ).status_code


def _token_form(client_id: str, secret: str, customer) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    form["customer_id"] = customer.customer_id
    if customer.legal_entity_id:
        form["legal_entity_id"] = customer.legal_entity_id
    return form


def _send_token_request(client, client_id: str, secret: str, customer) -> int:
    """A customer token for `customer`, as a storefront backend asks for it."""
    return client.post("/oauth/token", _token_form(client_id, secret, customer)).status_code


def _customer_token(client, client_id: str, secret: str, customer) -> str:
    answer = client.post("/oauth/token", _token_form(client_id, secret, customer))
    if answer.status_code != 200:
        raise SystemExit(f"no token for {customer.customer_id}: {answer.content[:300]!r}")
    return answer.json()["access_token"]


def _bulk_sender(client, tenant: str, token: str):
    """PUTs of 200 new members into a segment of its own, one batch per call."""
    from segments.models import Customer, CustomerLegalEntity

    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    base = f"/customer-segment/{tenant}/segments/{BULK_SEGMENT}"
    body = {"name": {"en": "Profile"}, "status": "ACTIVE", "siteCode": "main"}
    created = client.put(base, json.dumps(body), content_type="application/json", **headers)
    if created.status_code not in (201, 204):
        # Without its segment every profiled bulk write would be a cheap 404.
        raise SystemExit(f"PUT {base} answered {created.status_code}: {created.content[:300]!r}")
    entities = dict(
        CustomerLegalEntity.objects.filter(tenant_id=tenant)
        .order_by("customer_id", "legal_entity_id")
        .values_list("customer__public_id", "legal_entity__public_id")
    )
    members = [
        {
            "customerId": public_id,
            **({"legalEntityId": entities[public_id]} if public_id in entities else {}),
        }
        for public_id in Customer.objects.filter(tenant_id=tenant)
        .order_by("?")
        .values_list("public_id", flat=True)
    ]
    starts = range(0, len(members), 200)
    batches = iter(starts)

    def send(_customer) -> int:
        start = next(batches, None)
        if start is None:
            return 0
        return client.put(
            f"{base}/customers/bulk",
            json.dumps(members[start : start + 200]),
            content_type="application/json",
            **headers,
        ).status_code

    return send, len(starts)


def _bulk_cleanup(tenant: str) -> None:
    from segments.models import Segment, SegmentCustomerAssignment

    SegmentCustomerAssignment.objects.filter(
        tenant_id=tenant, segment__public_id=BULK_SEGMENT
    )._raw_delete("default")
    Segment.objects.filter(tenant_id=tenant, public_id=BULK_SEGMENT).delete()


if __name__ == "__main__":
    main()
