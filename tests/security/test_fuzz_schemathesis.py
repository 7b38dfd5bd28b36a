"""Schemathesis fuzzing of every documented operation against the WSGI application.

Each operation is its own test. Every generated case is sent twice with a manager token of
tenant acme: with the generated path values (tenant forced to acme, so the request passes
the tenant check) and with every path value replaced by a seeded object's id (so the case
reaches real rows). Checks: no 5xx, the response matches the documented schema, and the
status code is documented.

Default budget: FUZZ_EXAMPLES=5 per operation. Long run:
    FUZZ_EXAMPLES=200 .venv/bin/pytest -m slow tests/security/test_fuzz_schemathesis.py
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from segments_project.wsgi import application

from ..conftest import TENANT
from ..schema_conformance import openapi_schema

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

SCHEMA = schemathesis.openapi.from_dict(openapi_schema())
SCHEMA.app = application
OPERATIONS = {
    operation.label: operation
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
}


@pytest.fixture
def fuzz_settings(settings, world):
    """The real WSGI application, called the way Django's test client calls it."""
    settings.ALLOWED_HOSTS = ["*"]  # schemathesis' WSGI client calls itself "localhost"
    # Django's test client keeps the test's connection (and its open transaction) across
    # requests by disconnecting these; the WSGI handler would otherwise close it after
    # every request on PostgreSQL, losing the seeded rows. (After `world`: the test client
    # reconnects them after each of its own requests.)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_fuzz(label, fuzz_settings, world, manager):
    operation = OPERATIONS[label]
    headers = {"Authorization": f"Bearer {manager.token}"}

    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,  # nothing written to .hypothesis/ in the working tree
        derandomize=os.environ.get("FUZZ_SEED") is None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    def fuzz(case):
        if "tenant" in (case.path_parameters or {}):
            case.path_parameters = {**case.path_parameters, "tenant": TENANT}
        case.call_and_validate(headers=headers, checks=CHECKS)
        if case.path_parameters:
            case.path_parameters = {
                name: world.get(name, value) for name, value in case.path_parameters.items()
            }
            case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()


def test_every_documented_operation_is_fuzzed():
    assert len(OPERATIONS) >= 80
