"""Tokens as a storefront gets them: POST /oauth/token with the client's credentials and,
for a customer token, `customer_id` (and `legal_entity_id`)."""

from __future__ import annotations

import time
from typing import Any

from bench.common import percentiles
from bench.dataset import Customer
from bench.http_client import Call, Client, run_calls


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
