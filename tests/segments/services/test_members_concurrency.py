"""Concurrent bulk upserts of overlapping members into one segment (PostgreSQL, real
connections): every outcome is true, no member is stored twice, nothing else changes."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.utils import timezone

from segments.documents.members import MemberOutcome
from segments.models import (
    Customer,
    CustomerLegalEntity,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
)
from segments.services import members as services
from segments_project.checkpoints import Checkpoint
from segments_project.tenancy.services import tenant_get_or_create

from ...concurrency import run_concurrently

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
    ),
]

TENANT = "acme"
WRITERS = 6
ELEMENTS = 150
CUSTOMERS = 300
SEEDED = 20  # customers c000..c019 are in the segment (B2C) before the writers start
LEGAL_ENTITIES = 3

Key = tuple[str, str | None]


def _legal_entity_of(index: int) -> str | None:
    """Every fourth customer acts for a legal entity, and is written as a B2B member."""
    return f"le{index % LEGAL_ENTITIES}" if index % 4 == 0 else None


def _customer(index: int) -> str:
    return f"c{index:03d}"


@pytest.fixture
def directory():
    """Segments gold (the writers' target, with seeded members) and silver (left alone)."""
    tenant_get_or_create(name=TENANT)
    now = timezone.now()
    stamps = {"created_at": now, "modified_at": now}
    gold, silver = (
        Segment.objects.create(
            tenant_id=TENANT, public_id=name, name={"en": name}, site_code="main", **stamps
        )
        for name in ("gold", "silver")
    )
    legal_entities = {
        entity.public_id: entity
        for entity in LegalEntity.objects.bulk_create(
            LegalEntity(tenant_id=TENANT, public_id=f"le{n}", name=f"LE {n}", **stamps)
            for n in range(LEGAL_ENTITIES)
        )
    }
    customers = Customer.objects.bulk_create(
        Customer(tenant_id=TENANT, public_id=_customer(index), **stamps)
        for index in range(CUSTOMERS)
    )
    CustomerLegalEntity.objects.bulk_create(
        CustomerLegalEntity(
            tenant_id=TENANT,
            customer=customer,
            legal_entity=legal_entities[_legal_entity_of(index)],
        )
        for index, customer in enumerate(customers)
        if _legal_entity_of(index)
    )
    SegmentCustomerAssignment.objects.bulk_create(
        SegmentCustomerAssignment(
            tenant_id=TENANT, segment=segment, customer=customers[index], mixins=mixins, **stamps
        )
        for segment, indexes, mixins in (
            (gold, range(SEEDED), {"seed": True}),
            (silver, range(0, CUSTOMERS, 7), {"other": True}),
        )
        for index in indexes
    )


@pytest.fixture
def slow_reads(pause_at):
    """Widens the gap between reading the segment's members and writing them, so that
    writers that did not take turns would all read before any of them writes."""
    pause_at(Checkpoint.MEMBERS_STORED_READ, 0.05)


def _elements(writer: int) -> list[dict]:
    """150 consecutive customers (wrapping around), each covered by three writers, shuffled;
    plus two elements naming a customer that does not exist."""
    elements: list[dict] = []
    for offset in range(ELEMENTS):
        index = (writer * CUSTOMERS // WRITERS + offset) % CUSTOMERS
        element = {"customerId": _customer(index), "mixins": {"writer": writer}}
        if _legal_entity_of(index):
            element["legalEntityId"] = _legal_entity_of(index)
        elements.append(element)
    elements += [{"customerId": f"ghost-{writer}"}, {"customerId": "ghost", "legalEntityId": "le0"}]
    random.Random(writer).shuffle(elements)
    return elements


def _key(element: dict) -> Key:
    return element["customerId"], element.get("legalEntityId")


def _run_concurrently(work) -> list[object]:
    return run_concurrently(work, WRITERS)


def _stored(segment_id: str) -> list[dict]:
    return list(
        SegmentCustomerAssignment.objects.filter(segment__public_id=segment_id)
        .order_by("pk")
        .values(
            "customer__public_id",
            "legal_entity__public_id",
            "mixins",
            "version",
            "assignment_type",
        )
    )


def test_overlapping_concurrent_bulk_upserts_store_each_member_once(directory, slow_reads):
    requests = {writer: _elements(writer) for writer in range(WRITERS)}
    silver_before = _stored("silver")
    seeded: set[Key] = {(_customer(index), None) for index in range(SEEDED)}

    results = _run_concurrently(
        lambda writer: services.customer_assignments_upsert_bulk(
            tenant=TENANT, segment_id="gold", documents=requests[writer]
        )
    )

    raised = [result for result in results if not isinstance(result, list)]
    assert not raised, raised
    codes: Counter[int] = Counter()
    creations: Counter[Key] = Counter()
    writes: Counter[Key] = Counter()
    writers_of: defaultdict[Key, set[int]] = defaultdict(set)
    for writer, outcomes in enumerate(results):
        assert isinstance(outcomes, list)
        assert len(outcomes) == len(requests[writer])
        for element, outcome in zip(requests[writer], outcomes, strict=True):
            assert isinstance(outcome, MemberOutcome)
            codes[outcome.code] += 1
            key = _key(element)
            if key[0].startswith("ghost"):
                assert outcome.code == 400, outcome
                continue
            assert outcome.code in {201, 204}, (element, outcome)
            writes[key] += 1
            writers_of[key].add(writer)
            if outcome.code == 201:
                creations[key] += 1
    assert codes[400] == 2 * WRITERS
    assert codes[201] + codes[204] == WRITERS * ELEMENTS

    stored = _stored("gold")
    stored_keys = [(row["customer__public_id"], row["legal_entity__public_id"]) for row in stored]
    # No member twice; exactly the written and the seeded members, nothing else.
    assert len(stored_keys) == len(set(stored_keys))
    assert set(stored_keys) == set(writes) | seeded
    assert len(stored) == len(set(writes) | seeded)
    for row, key in zip(stored, stored_keys, strict=True):
        if key not in writes:  # a seeded member nobody wrote
            assert (row["mixins"], row["version"]) == ({"seed": True}, 1)
            continue
        # Exactly one writer created each new member, and none a seeded one.
        assert creations[key] == (0 if key in seeded else 1), key
        # Every write changed the mixins, so the version counts the writes (plus the seed).
        assert row["version"] == writes[key] + (1 if key in seeded else 0), (key, row)
        assert row["mixins"]["writer"] in writers_of[key], (key, row)
        assert row["assignment_type"] == "MANUAL"
    # Each customer was written by three writers, and the B2B ones for their legal entity.
    assert set(writes.values()) == {3}
    assert len(writes) == CUSTOMERS
    assert sum(1 for _, legal_entity in writes if legal_entity) == CUSTOMERS // 4
    assert _stored("silver") == silver_before
