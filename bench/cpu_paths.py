"""CPU time per request of the warm storefront paths next to the bare view, in-process.

    python bench/cpu_paths.py --database seg_bench_s --redis-db 14 --requests 300 --rounds 3
    python bench/cpu_paths.py ... --profile items --out artifacts/bench/items.txt

Each request goes through Django's real WSGI handler (`WSGIHandler`, the one gunicorn
calls: the production middleware and settings as `bench/settings.py` sets them, Redis as
the cache) with 20 customers' tokens in turn, remembered as they are in a server (warm
answers, verified tokens, the rate limiter's leases; tokens remembered for the whole run),
accepting gzip as storefronts do (a large answer is served as stored, compressed).
Prints, per path, the best round's CPU (`time.process_time`) and wall time per request
and its ratio to the bare view's CPU measured in the same run: CPU is what a CPU-bound
server divides its cores by, and it is more robust than wall time on a machine whose load
varies, though not immune (at a load average of 10 on 2 cores the same path's CPU per
request varies by half from round to round). So it also prints the function calls per
request (cProfile's count), which the load does not change, as a proxy of the work.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import (  # noqa: E402
    add_server_arguments,
    authenticated_path,
    bare_path,
    django_env,
    target_from_args,
)

PATHS = ("bare", "authenticated", "items", "category-trees", "me-segments")


def main() -> None:
    parser = argparse.ArgumentParser()
    add_server_arguments(parser, port=0)
    parser.add_argument("--database", required=True)
    parser.add_argument("--tenant", default="bench")
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300, help="per path and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=PATHS, help="profile this path instead (pyinstrument)")
    parser.add_argument("--out", help="--profile's text output")
    args = parser.parse_args()
    target = target_from_args(args, tenant=args.tenant)

    from bench.dataset import sample_customers

    customers = sample_customers(target, args.customers, seed=1)
    # Tokens stay remembered for the whole run: the hit's own cost, without the
    # re-verification every ACCESS_TOKEN_CACHE_SECONDS (60) of each token, whose share
    # would follow the run's wall time, and so the machine's load.
    os.environ.update(django_env(target, ACCESS_TOKEN_CACHE_SECONDS="3600"))

    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    tokens = _tokens(target.tenant, customers)
    calls = {name: _calls(target.tenant, name, customers, tokens) for name in PATHS}
    send = _sender(handler)
    for name in PATHS:  # imports, connections, cached answers, remembered tokens
        for environ in calls[name]:
            status = send(environ)
            if status != "200 OK":
                raise SystemExit(f"{name}: {status}")

    if args.profile:
        _profile(send, calls[args.profile], args.requests, args.out)
        return
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in PATHS}
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):
        for name in PATHS:
            results[name].append(_measure(send, calls[name], args.requests))
    best = {name: min(rounds) for name, rounds in results.items()}
    calls = {name: _calls_per_request(send, calls[name], 100) for name in PATHS}
    bare_cpu = best["bare"][0]
    print(f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}")
    header = f"{'path':<16} {'CPU ms':>7} {'wall ms':>8} {'CPU x bare':>10}"
    print(f"{header} {'calls':>6} {'x bare':>6}")
    for name, (cpu, wall) in best.items():
        print(
            f"{name:<16} {cpu * 1000:7.3f} {wall * 1000:8.3f} {cpu / bare_cpu:10.2f}"
            f" {calls[name]:6.0f} {calls[name] / calls['bare']:6.2f}"
        )
    print(json.dumps({name: [round(c * 1000, 3) for c, _ in r] for name, r in results.items()}))


def _tokens(tenant: str, customers: list) -> list[str]:
    """A customer token per customer from `POST /oauth/token`, with the tenant's generated
    client's secret set anew (which revokes the client's earlier tokens)."""
    from django.test import Client

    from segments_project.tenancy.scopes import ALL_SCOPES
    from segments_project.tenancy.services import api_client_upsert, client_secret_generate

    client_id = f"{tenant}-client"
    secret = client_secret_generate()
    api_client_upsert(tenant=tenant, client_id=client_id, client_secret=secret, scopes=ALL_SCOPES)
    http = Client(SERVER_NAME="127.0.0.1")
    tokens = []
    for customer in customers:
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "customer_id": customer.customer_id,
        }
        if customer.legal_entity_id:
            form["legal_entity_id"] = customer.legal_entity_id
        answer = http.post("/oauth/token", form)
        if answer.status_code != 200:
            raise SystemExit(f"no token: {answer.content[:300]!r}")
        tokens.append(answer.json()["access_token"])
    return tokens


def _calls(tenant: str, name: str, customers: list, tokens: list[str]) -> list[dict]:
    from bench.load import storefront_call

    environs = []
    for customer, token in zip(customers, tokens, strict=True):
        if name == "bare":
            path = bare_path(tenant)
        elif name == "authenticated":
            path = authenticated_path(tenant)
        else:
            customer.token = token
            path = storefront_call(tenant, name, customer).path
        path, _, query = path.partition("?")
        environs.append(
            {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8000",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1",
                "HTTP_HOST": "127.0.0.1",
                "HTTP_ACCEPT": "*/*",
                "HTTP_ACCEPT_LANGUAGE": "en",
                "HTTP_ACCEPT_ENCODING": "gzip",  # as storefronts (and the HTTP loads) send
                "HTTP_AUTHORIZATION": f"Bearer {token}",
                "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(b""),
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": False,
                "wsgi.multiprocess": True,
                "wsgi.run_once": False,
                "wsgi.version": (1, 0),
            }
        )
    return environs


def _sender(handler):
    def send(environ: dict) -> str:
        status_line = []

        def start_response(status, headers, exc_info=None):
            status_line.append(status)

        result = handler(dict(environ, **{"wsgi.input": io.BytesIO(b"")}), start_response)
        for _chunk in result:  # the body, as a WSGI server writes it
            pass
        if hasattr(result, "close"):
            result.close()
        return status_line[0]

    return send


def _measure(send, environs: list[dict], requests: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for index in range(requests):
        send(environs[index % len(environs)])
    return (time.process_time() - cpu) / requests, (time.perf_counter() - wall) / requests


def _calls_per_request(send, environs: list[dict], requests: int) -> float:
    """Python and C function calls per request (cProfile's count): a measure of the work
    that, unlike time, the machine's load does not change."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for index in range(requests):
        send(environs[index % len(environs)])
    profiler.disable()
    return pstats.Stats(profiler).total_calls / requests


def _profile(send, environs: list[dict], requests: int, out: str | None) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0002)
    profiler.start()
    for index in range(requests):
        send(environs[index % len(environs)])
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    if out:
        Path(out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
