"""Where the actor comes from: the command's name, the request's caller (and request id),
and nothing left behind once a request or command is over."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from segments.services.segments import segment_patch
from segments_project.audit.actor import SYSTEM, current_actor
from segments_project.audit.hooks import request_id_of
from segments_project.audit.models import AuditEvent
from segments_project.management.base import TenantCommand
from segments_project.tenancy.models import Tenant

from ..conftest import TENANT
from ..segments.factories import make_segment
from .conftest import trail

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"


class Command(TenantCommand):
    """Activates segment gold, as any command of a tenant would write: through a service."""

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        segment_patch(tenant=tenant.name, segment_id="gold", patch={"status": "ACTIVE"})


def test_a_tenant_command_is_the_actor_under_its_name():
    make_segment(TENANT, "gold", status="INACTIVE")

    call_command(Command(), "--tenant", TENANT)

    (event,) = trail()
    # The name a command is run by is its module's: this test module here.
    assert (event["actor_kind"], event["actor"]) == ("command", "test_actors")
    assert current_actor() == SYSTEM


def test_the_request_id_of_the_request_is_kept(integration):
    integration.post(
        SEGMENTS,
        {"id": "gold", "name": {"en": "Gold"}, "siteCode": "main"},
        headers={"X-Request-ID": "req-42.a"},
    )

    assert AuditEvent.objects.get(document_id="gold").request_id == "req-42.a"


@pytest.mark.parametrize("value", ["", "a b", "x" * 65, "<script>"])
def test_a_request_id_that_is_not_a_plain_token_is_dropped(value):
    assert request_id_of({"HTTP_X_REQUEST_ID": value}) == ""
    assert request_id_of({"HTTP_X_REQUEST_ID": "req-42.a"}) == "req-42.a"  # read where sent


def test_the_caller_is_forgotten_once_the_request_is_answered(integration, anonymous):
    integration.post(SEGMENTS, {"id": "gold", "name": {"en": "Gold"}, "siteCode": "main"})
    assert current_actor() == SYSTEM

    assert anonymous.get(SEGMENTS).status_code == 401
    assert current_actor() == SYSTEM
