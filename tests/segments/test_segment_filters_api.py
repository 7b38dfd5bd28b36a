"""The customerId and legalEntityId parameters of the segment list and search: checked
only where they apply (segments/api/segment_filters.py)."""

from __future__ import annotations

import pytest

from ..conftest import TENANT, Caller
from .factories import assign_customer, make_customer, make_segment

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"


@pytest.fixture
def member(db):
    make_segment(TENANT, "s1")
    make_segment(TENANT, "s2")
    customer = make_customer(TENANT, "c-1")
    assign_customer(make_segment(TENANT, "s3"), customer)
    return customer


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return sorted(segment["id"] for segment in response.json())


@pytest.mark.parametrize("query", ["", "?customerId=", "?customerId=&legalEntityId="])
def test_an_empty_customer_id_is_no_filter(member, manager, query):
    assert _ids(manager.get(f"{SEGMENTS}{query}")) == ["s1", "s2", "s3"]


def test_a_customer_id_narrows_and_is_checked(member, manager):
    assert _ids(manager.get(f"{SEGMENTS}?customerId=c-1&legalEntityId=")) == ["s3"]
    assert _ids(manager.post(f"{SEGMENTS}/search?customerId=c-1", {})) == ["s3"]
    response = manager.get(f"{SEGMENTS}?customerId=a%20b")
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "customerId"


def test_a_customer_token_ignores_them_even_when_malformed(member, issue_token):
    customer = Caller(issue_token(customer_id="c-1"))
    assert _ids(customer.get(f"{SEGMENTS}?customerId=a%20b&legalEntityId=x%20y")) == ["s3"]
