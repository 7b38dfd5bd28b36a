"""Evaluating a segment's rule over all customers (`segment_rule_apply`)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments.models import Customer, SegmentCustomerAssignment
from segments.services.exclusions import exclusion_put
from segments.services.rule_evaluation import segment_rule_apply

from ...conftest import OTHER_TENANT, TENANT
from ..factories import make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db


def _members(tenant: str = TENANT) -> dict[tuple[str, str | None], str]:
    return {
        (customer, legal_entity): kind
        for customer, legal_entity, kind in SegmentCustomerAssignment.objects.filter(
            tenant_id=tenant, segment__public_id="rule"
        ).values_list("customer__public_id", "legal_entity__public_id", "assignment_type")
    }


@pytest.fixture
def directory(db):
    acme = make_legal_entity(TENANT, "acme", name="Acme")
    initech = make_legal_entity(TENANT, "initech", name="Initech")
    make_customer(TENANT, "ada")
    make_customer(TENANT, "bob", legal_entities=(acme, initech))
    make_customer(TENANT, "cy", legal_entities=(initech,))
    Customer.objects.filter(public_id="ada").update(preferred_language="de")
    # The same ids in another tenant, matching the same rule, must stay out.
    other = make_legal_entity(OTHER_TENANT, "acme", name="Acme")
    make_customer(OTHER_TENANT, "ada", legal_entities=(other,))
    Customer.objects.filter(tenant_id=OTHER_TENANT).update(preferred_language="de")


def test_q_makes_b2c_members_and_legal_entities_make_b2b_members(directory):
    make_segment(
        TENANT, "rule", criteria={"q": "preferredLanguage:de", "legalEntities": "name:Acme"}
    )

    applied = segment_rule_apply(tenant=TENANT, segment_id="rule")

    assert _members() == {("ada", None): "AUTOMATIC", ("bob", "acme"): "AUTOMATIC"}
    assert (applied.added, applied.removed) == (2, 0)
    assert _members(OTHER_TENANT) == {}


def test_a_second_evaluation_follows_the_customers_and_keeps_manual_members(directory):
    segment = make_segment(TENANT, "rule", criteria={"q": "preferredLanguage:de"})
    SegmentCustomerAssignment.objects.create(
        tenant_id=TENANT,
        segment=segment,
        customer=Customer.objects.get(tenant_id=TENANT, public_id="cy"),
        created_at=segment.created_at,
        modified_at=segment.created_at,
    )
    segment_rule_apply(tenant=TENANT, segment_id="rule")
    Customer.objects.filter(tenant_id=TENANT).update(preferred_language="de")
    Customer.objects.filter(tenant_id=TENANT, public_id="ada").update(preferred_language="en")
    exclusion_put(tenant=TENANT, segment_id="rule", customer_id="bob")

    with CaptureQueriesContext(connection) as queries:
        applied = segment_rule_apply(tenant=TENANT, segment_id="rule")

    assert _members() == {("cy", None): "MANUAL"}
    assert (applied.added, applied.removed) == (0, 1)
    # SQLite: the change events take three statements instead of one.
    assert len(queries) <= 12 + (0 if connection.vendor == "postgresql" else 2)


def test_a_segment_without_a_rule_loses_its_automatic_members(directory):
    segment = make_segment(TENANT, "rule", criteria={"q": "preferredLanguage:de"})
    segment_rule_apply(tenant=TENANT, segment_id="rule")
    segment.criteria = None
    segment.save(update_fields=["criteria"])

    applied = segment_rule_apply(tenant=TENANT, segment_id="rule")

    assert _members() == {}
    assert applied.removed == 1
