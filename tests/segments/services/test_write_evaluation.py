"""Rule evaluation on customer and legal-entity writes (`write_evaluation.py`), through the
directory services: AUTOMATIC members follow the written customers, MANUAL members and
exclusions are honoured, other tenants are untouched, and the cost is fixed."""

from __future__ import annotations

import pytest

from segments.models import Customer, SegmentCustomerAssignment
from segments.services import directory as services

from ...conftest import OTHER_TENANT, TENANT
from ..factories import make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db


def _members(tenant: str = TENANT) -> set[tuple[str, str, str | None, str]]:
    return set(
        SegmentCustomerAssignment.objects.filter(tenant_id=tenant).values_list(
            "segment__public_id", "customer__public_id", "legal_entity__public_id", "assignment_type"
        )
    )


def test_a_customer_upsert_makes_it_an_automatic_member(db):
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de"})
    make_segment(TENANT, "manual")

    services.customer_upsert(
        tenant=TENANT, customer_id="ada", document={"firstName": "Ada", "preferredLanguage": "de"}
    )

    assert _members() == {("germans", "ada", None, "AUTOMATIC")}

    services.customer_patch(tenant=TENANT, customer_id="ada", patch={"preferredLanguage": "en"})

    assert _members() == set()
