"""Callers whose client id the audit trail must show, and a reader of the trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from segments_project.audit.models import AuditEvent
from segments_project.tenancy.models import Tenant, TenantMembership
from segments_project.tenancy.services import api_client_upsert

from ..conftest import MANAGER_SCOPES, SECRET, TENANT, Caller

AUDITED_CLIENT = "acme-audited-integration"


@pytest.fixture
def token_of(db, client) -> Callable[..., str]:
    """A token of the named client of tenant acme (created with every manage scope)."""

    def issue(client_id: str = AUDITED_CLIENT, **form: str) -> str:
        api_client_upsert(
            tenant=TENANT, client_id=client_id, client_secret=SECRET, scopes=MANAGER_SCOPES
        )
        response = client.post(
            "/oauth/token",
            {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": SECRET,
                **form,
            },
        )
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    return issue


@pytest.fixture
def integration(token_of) -> Caller:
    """The back-office client `acme-audited-integration` with every manage scope."""
    return Caller(token_of())


def trail(**filters: Any) -> list[dict[str, Any]]:
    """The audit events of tenant acme matching the filters, oldest first."""
    return list(
        AuditEvent.objects.filter(tenant_id=TENANT, **filters)
        .order_by("occurred_at", "id")
        .values(
            "actor_kind",
            "actor",
            "action",
            "document_type",
            "document_id",
            "segment_id",
            "changes",
        )
    )


def audit_inserts(queries: Any) -> int:
    """How many of the captured queries inserted audit rows (on PostgreSQL the statement
    that appends the change events inserts them too, in a CTE)."""
    insert = f'INSERT INTO "{AuditEvent._meta.db_table}"'
    return sum(1 for query in queries.captured_queries if insert in query["sql"])


def make_event(tenant: str = TENANT, **fields: Any) -> AuditEvent:
    Tenant.objects.get_or_create(name=tenant)
    values = {
        "actor_kind": "client",
        "actor": "some-client",
        "action": "updated",
        "document_type": "segment",
        "document_id": "gold",
        "segment_id": "gold",
        "changes": {"status": ["INACTIVE", "ACTIVE"]},
        **fields,
    }
    return AuditEvent.objects.create(tenant_id=tenant, **values)


@pytest.fixture
def auditor(db) -> Client:
    """A staff user of tenant acme who may view the trail and change segments."""
    user = User.objects.create_user("auditor", "auditor@example.com", "pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=("view_auditevent", "view_segment", "change_segment")
        )
    )
    tenant, _ = Tenant.objects.get_or_create(name=TENANT)
    TenantMembership.objects.create(user=user, tenant=tenant)
    client = Client()
    client.force_login(user)
    return client
