"""Storefront (public) clients and anonymous visitor tokens for tests."""

from __future__ import annotations

from typing import Any

from django.test import Client

from segments_project.tenancy.services import api_client_upsert

from ..conftest import TENANT, Caller

LOGIN = "/customerlogin/auth/anonymous/login"
REFRESH = "/customerlogin/auth/anonymous/refresh"
STOREFRONT_CLIENT = "acme-storefront"


def make_storefront_client(tenant: str = TENANT, client_id: str = STOREFRONT_CLIENT) -> None:
    api_client_upsert(tenant=tenant, client_id=client_id, storefront=True)


def login(client: Client, tenant: str = TENANT, client_id: str = STOREFRONT_CLIENT, **extra: Any):
    return client.get(LOGIN, {"tenant": tenant, "client_id": client_id}, **extra)


def refresh(
    client: Client,
    refresh_token: str,
    tenant: str = TENANT,
    client_id: str = STOREFRONT_CLIENT,
):
    return client.get(
        REFRESH, {"tenant": tenant, "client_id": client_id, "refresh_token": refresh_token}
    )


def visitor(tenant: str = TENANT, client_id: str = STOREFRONT_CLIENT) -> Caller:
    """A Caller holding a new anonymous token of the tenant's storefront client (created
    if needed)."""
    make_storefront_client(tenant, client_id)
    response = login(Client(), tenant, client_id)
    assert response.status_code == 200, response.content
    return Caller(response.json()["access_token"])
