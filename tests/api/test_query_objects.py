"""The OBJECTS field kind of the `q` compiler (`addresses.country:DE`: any object matches),
on the customers' addresses: the same rows on PostgreSQL and SQLite."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from segments.documents.directory import CUSTOMER_QUERY_FIELDS
from segments.models import Customer
from segments_project.api.query import compile_query, compile_sort
from segments_project.errors import ValidationFailed
from segments_project.tenancy.models import Tenant

BERLIN = {"city": "Berlin", "country": "DE", "zipCode": "10115", "isDefault": True}
MUNICH = {"city": "München", "country": "DE", "zipCode": "80331", "isDefault": False}
PARIS = {
    "city": "Paris",
    "country": "FR",
    "zipCode": "75001",
    "isDefault": False,
    "tags": ["billing", "vip"],
}
VIENNA = {"city": "Wien", "country": "AT", "zipCode": "1010", "isDefault": True, "tags": []}
ODD = {"city": None, "zipCode": 5, "isDefault": False, "tags": ["5", 7, True]}

ADDRESSES = {
    "c1": [BERLIN, PARIS],
    "c2": [MUNICH],
    "c3": [VIENNA, ODD],
    "c4": [],
    "c5": [{"country": "DE", "isDefault": False, "tags": ["vip"]}],
}


@pytest.fixture
def customers(db):
    tenant = Tenant.objects.create(name="acme")
    now = timezone.now()
    for public_id, addresses in ADDRESSES.items():
        Customer.objects.create(
            tenant=tenant,
            public_id=public_id,
            addresses=addresses,
            mixins={"loyalty": {"points": int(public_id[1]) * 100}},
            created_at=now,
            modified_at=now,
        )


def matching(q: str) -> list[str]:
    query = compile_query(q, CUSTOMER_QUERY_FIELDS)
    return sorted(Customer.objects.filter(query).values_list("public_id", flat=True))


CASES = [
    ("addresses.country:DE", ["c1", "c2", "c5"]),
    ('addresses.country:"FR"', ["c1"]),
    ("addresses.country:(FR,AT)", ["c1", "c3"]),
    ("addresses.country:XX", []),
    ("addresses.city:München", ["c2"]),
    ("addresses.isDefault:true", ["c1", "c3"]),
    ("addresses.isDefault:false", ["c1", "c2", "c3", "c5"]),
    ('addresses.isDefault:"true"', []),
    ("addresses.tags:vip", ["c1", "c5"]),
    ("addresses.tags:(billing,nope)", ["c1"]),
    ("addresses.tags:5", ["c3"]),
    ('addresses.tags:"7"', []),
    ("addresses.tags:7", ["c3"]),
    ("addresses.tags:true", ["c3"]),
    ("addresses.tags:~^bil", ["c1"]),
    ("addresses.tags:exists", ["c1", "c3", "c5"]),
    ("addresses.tags:missing", ["c1", "c2"]),
    ("addresses.zipCode:5", ["c3"]),
    # a bare number compares with numbers, a quoted value with strings (as in mixins)
    ("addresses.zipCode:>=3", ["c3"]),
    ("addresses.zipCode:>=80000", []),
    ('addresses.zipCode:>="80000"', ["c2"]),
    ('addresses.zipCode:(>="10000" AND <"20000")', ["c1", "c3"]),
    ('addresses.zipCode:(>="10100" AND <"10200")', ["c1"]),
    ("addresses.zipCode:~^1", ["c1", "c3"]),
    ("addresses.city:null", ["c3", "c5"]),
    ("addresses.city:exists", ["c1", "c2", "c3"]),
    ("addresses.city:missing", ["c5"]),
    # every condition is about some address, not necessarily the same one
    ("addresses.country:DE addresses.city:Paris", ["c1"]),
    # with other fields, mixins included
    ("addresses.country:DE mixins.loyalty.points:>=200", ["c2", "c5"]),
    ("addresses.country:DE mixins.loyalty.points:100", ["c1"]),
]


@pytest.mark.parametrize(("q", "expected"), CASES)
def test_objects_conditions_match_any_object(customers, q, expected):
    assert matching(q) == expected


def test_an_exact_value_is_a_containment_on_postgresql(customers):
    """The GIN index on addresses serves `@>`; other conditions go through the elements."""
    sql = str(
        Customer.objects.filter(compile_query("addresses.country:DE", CUSTOMER_QUERY_FIELDS)).query
    )
    ranged = Customer.objects.filter(
        compile_query("addresses.zipCode:>1", CUSTOMER_QUERY_FIELDS)
    ).query
    if connection.vendor == "postgresql":
        assert "@>" in sql and "jsonb_array_elements" not in sql
        assert "jsonb_array_elements" in str(ranged)
    else:
        assert "JSON_EACH" in sql


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("addresses:DE", "name one of addresses.id"),
        ("addresses.nope:DE", "name one of addresses.id"),
        ("addresses.country.code:DE", "name one of"),
        ("addresses.mixins:x", "name one of"),
    ],
)
def test_an_unknown_member_is_refused(q, message):
    with pytest.raises(ValidationFailed) as caught:
        compile_query(q, CUSTOMER_QUERY_FIELDS)
    assert message in caught.value.details[0].message


def test_addresses_cannot_be_sorted_by():
    with pytest.raises(ValidationFailed) as caught:
        compile_sort("addresses.country", CUSTOMER_QUERY_FIELDS)
    assert "cannot sort by" in caught.value.details[0].message


def test_an_unknown_field_lists_the_members_of_the_addresses():
    with pytest.raises(ValidationFailed) as caught:
        compile_query("nope:1", CUSTOMER_QUERY_FIELDS)
    message = caught.value.details[0].message
    assert "addresses.country, addresses.isDefault, addresses.tags" in message
    assert "addresses.<key>" not in message and "mixins.<key>" in message


def test_a_range_is_met_by_one_address(customers):
    """c3 has a zip code 1010 (text) and one 5 (a number): no one address is both."""
    assert matching('addresses.zipCode:(>="1" AND <"2")') == ["c1", "c3"]
    assert matching('addresses.zipCode:(>="1" AND <"2") addresses.zipCode:<6') == ["c3"]
    assert matching('addresses.zipCode:(>="1" AND <6)') == []
