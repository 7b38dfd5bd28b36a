"""The isolation matrix: every tenant API operation the URL configuration declares, against
a token of another tenant, a token of the tenant lacking the operation's scopes, and a
customer token of another customer.

The operations come from `get_resolver()` (tests/security/routes.py); each one needs an
entry in tests/security/operations.py, so a new route or method fails here until covered.
"""

from __future__ import annotations

import pytest

from segments_project.tenancy import scopes

from ..conftest import MANAGER_SCOPES, TENANT, Caller
from ..errors import error_status
from ..segments.factories import make_customer
from .operations import REQUESTS, request_for
from .routes import (
    CUSTOMER,
    LEGAL_ENTITY,
    ORDER_CODE,
    OTHER_CUSTOMER,
    SEGMENT,
    Operation,
    snapshot,
    tenant_operations,
)

pytestmark = pytest.mark.django_db

OPERATIONS = tenant_operations()
IDS = [operation.id for operation in OPERATIONS]


def _is_read(operation: Operation) -> bool:
    return operation.method == "GET" or operation.route.endswith(
        ("/search", "/match", "/validation")
    )


# Open to every valid token of the tenant (published catalog reads): no scope to lack.
OPEN = [operation for operation in OPERATIONS if scopes.ANY_TENANT_TOKEN in operation.scopes]
SCOPED = [operation for operation in OPERATIONS if operation not in OPEN]

CUSTOMER_READS = [
    operation
    for operation in OPERATIONS
    if _is_read(operation) and operation.scopes & scopes.CUSTOMER_SCOPES
]


def _send(caller: Caller, operation: Operation, values: dict[str, str], body_filter=None):
    query, body = request_for(operation)
    if body_filter is not None:
        body = body_filter(body)
    return caller.request(operation.method, operation.path(values) + query, body)


def test_the_matrix_is_not_empty_and_has_no_stale_entries():
    assert len(OPERATIONS) > 40
    declared = {(operation.method, operation.route) for operation in OPERATIONS}
    assert set(REQUESTS) - declared == set(), "operations.py lists routes that no longer exist"


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_every_operation_has_a_request_and_every_parameter_a_value(operation):
    request_for(operation)
    assert "tenant" in operation.parameters
    known = {"tenant", "segment_id", "item_type", "item_id", "customer_id", "legal_entity_id"}
    known |= {"category_id", "assignment_id", "reference_id", "product_id", "code"}
    known |= {"redemption_id", "root_category_id", "subscription_id", "delivery_id"}
    assert set(operation.parameters) <= known, "seed_everything() needs a value for it"


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_another_tenants_token_gets_403_and_changes_nothing(world, outsider, operation):
    before = snapshot()

    response = _send(outsider, operation, world)

    assert response.status_code == 403, response.content
    assert error_status(response.json()) == 403
    assert snapshot() == before


@pytest.mark.parametrize("operation", SCOPED, ids=[op.id for op in SCOPED])
def test_a_token_with_every_scope_but_the_operations_gets_403(world, issue_token, operation):
    caller = Caller(issue_token(granted=scopes.ALL_SCOPES - operation.scopes))
    before = snapshot()

    response = _send(caller, operation, world)

    assert response.status_code == 403, response.content
    assert error_status(response.json()) == 403
    assert snapshot() == before


def test_only_reads_are_open_to_every_token():
    assert OPEN, "the published catalog reads are open to every token of the tenant"
    assert [operation.id for operation in OPEN if not _is_read(operation)] == []


@pytest.mark.parametrize("operation", OPEN, ids=[op.id for op in OPEN])
def test_a_token_without_any_scope_may_call_an_open_read_and_changes_nothing(
    world, issue_token, operation
):
    caller = Caller(issue_token(granted=frozenset()))
    before = snapshot()

    response = _send(caller, operation, world)

    assert response.status_code == 200, response.content
    assert snapshot() == before


def _without_customer(body):
    if isinstance(body, dict):
        return {key: value for key, value in body.items() if key != "customerNumber"}
    return body


@pytest.mark.parametrize("operation", CUSTOMER_READS, ids=[op.id for op in CUSTOMER_READS])
def test_a_customer_token_never_reads_another_customers_data(world, issue_token, operation):
    """Only cust-one has data (segment membership, a redemption); cust-two's token reads."""
    make_customer(TENANT, OTHER_CUSTOMER)
    token = issue_token(granted=MANAGER_SCOPES | scopes.CUSTOMER_SCOPES, customer_id=OTHER_CUSTOMER)
    before = snapshot()

    response = _send(Caller(token), operation, world, _without_customer)

    assert snapshot() == before
    if response.status_code < 300:
        text = response.content.decode()
        for secret in (CUSTOMER, LEGAL_ENTITY, SEGMENT, ORDER_CODE, world["redemption_id"]):
            assert secret not in text, f"{operation.id} leaked {secret}: {text[:500]}"
    else:
        # Refused or unknown; an error may echo the path's own ids, nothing more.
        assert response.status_code in {400, 403, 404}, response.content
        assert ORDER_CODE not in response.content.decode()


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_the_tables_request_succeeds_for_the_tenants_manager(world, issue_token, operation):
    """The control: the same request with the right scopes is accepted, so the 403s above
    come from the tenant and scope checks, not from a broken path or body."""
    caller = Caller(issue_token(granted=scopes.ALL_SCOPES - {scopes.CUSTOMER_TOKEN_ISSUE}))

    response = _send(caller, operation, world)

    assert response.status_code < 400, response.content


def test_the_seeded_customers_own_token_does_see_its_data(world, issue_token):
    """The control for the customer case: cust-one's data is there for cust-one."""
    token = issue_token(granted=MANAGER_SCOPES | scopes.CUSTOMER_SCOPES, customer_id=CUSTOMER)
    caller = Caller(token)

    mine = caller.get(f"/customer-segment/{TENANT}/me/segments")
    redemption = caller.get(
        f"/coupon/{TENANT}/coupons/{world['code']}/redemptions/{world['redemption_id']}"
    )

    assert mine.status_code == 200
    assert SEGMENT in mine.content.decode()
    assert redemption.status_code == 200
    assert ORDER_CODE in redemption.content.decode()
