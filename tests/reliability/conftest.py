"""The fault tests' stage: a throwaway PostgreSQL cluster with a migrated database, built
once per session, and API clients registered in it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings

from .gunicorn_server import manage
from .throwaway_postgres import ThrowawayCluster

CLIENT_SECRET = "fault-tests-secret-0123456789"
WRITER_SCOPES = (
    "customersegment.segment_manage customersegment.segment_read "
    "customer.customer_manage customer.customer_read product.product_manage product.product_read"
)


@dataclass(frozen=True)
class FaultDatabase:
    cluster: ThrowawayCluster
    name: str

    @property
    def url(self) -> str:
        return self.cluster.url(self.name)

    def register_client(self, tenant: str) -> str:
        """Creates the tenant and an API client of it with the writer scopes; its id."""
        client_id = f"{tenant}-writer"
        manage(
            self.url,
            "create_api_client",
            *("--tenant", tenant, "--client-id", client_id),
            *("--client-secret", CLIENT_SECRET, "--scopes", WRITER_SCOPES),
        )
        return client_id


@pytest.fixture(scope="session")
def fault_database() -> Iterator[FaultDatabase]:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip(
            "fault tests need PostgreSQL (DATABASE_URL is not a PostgreSQL URL): they run a "
            "throwaway PostgreSQL cluster and kill and restart real server processes"
        )
    cluster = ThrowawayCluster()
    try:
        cluster.start()
        database = FaultDatabase(cluster=cluster, name="segments_faults")
        cluster.create_database(database.name)
        manage(database.url, "migrate", "--noinput", "--verbosity", "0")
        yield database
    finally:
        cluster.remove()
