"""The set-based writes of segments, customers and legal entities (the imports' write
path): `segments_upsert_many` records the API's audit events, `customers_upsert_many`
writes links as `customer_upsert` does."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from segments.documents.directory import customer_values, legal_entity_values
from segments.documents.segments import segment_values
from segments.models import Customer, CustomerLegalEntity, LegalEntity
from segments.services.directory import customers_upsert_many, legal_entities_upsert_many
from segments.services.segments import segments_upsert_many
from segments_project.audit.models import AuditEvent, DocumentType
from tests.segments.factories import make_customer, make_legal_entity, make_segment

pytestmark = pytest.mark.django_db

TENANT = "acme"


def _row(key: str, values: dict[str, Any], **legal_entities: Any) -> SimpleNamespace:
    """A row as the services take it (an import's accepted row, without its line)."""
    return SimpleNamespace(key=key, values=values, version=None, **legal_entities)


def _customer(customer_id: str, *legal_entity_ids: str) -> SimpleNamespace:
    document = {"id": customer_id, "firstName": "First", "lastName": customer_id.title()}
    document["email"] = f"{customer_id}@example.com"
    values = customer_values(document, content_language=None)
    return _row(customer_id, values, legal_entity_ids=legal_entity_ids)


def test_segments_are_recorded_in_the_audit_trail_as_the_api_records_them():
    make_segment(TENANT, "old", site="main")
    rows = [
        _row(key, segment_values(document, content_language=None))
        for key, document in (
            ("old", {"name": {"en": "Old"}, "siteCode": "other", "status": "ACTIVE"}),
            ("new", {"name": {"en": "New"}, "siteCode": "main", "status": "ACTIVE"}),
        )
    ]

    segments_upsert_many(tenant=TENANT, rows=rows)

    events = {
        event.document_id: event
        for event in AuditEvent.objects.filter(tenant_id=TENANT, document_type=DocumentType.SEGMENT)
    }
    assert (events["new"].action, events["new"].segment_id) == ("created", "new")
    assert events["old"].action == "updated"
    assert events["old"].changes["site_code"] == ["main", "other"]


def test_legal_entities_are_upserted_by_id():
    make_legal_entity(TENANT, "le1", name="Old")
    rows = [
        _row(key, legal_entity_values({"name": name}, content_language=None))
        for key, name in (("le1", "New"), ("le2", "Other"))
    ]

    upserted = legal_entities_upsert_many(tenant=TENANT, rows=rows)

    assert (upserted.counts.inserted, upserted.counts.updated) == (1, 1)
    assert LegalEntity.objects.get(tenant_id=TENANT, public_id="le1").version == 2


def test_a_customer_naming_an_unknown_legal_entity_is_refused_and_the_others_written():
    make_legal_entity(TENANT, "le1")
    rows = [_customer("ann", "le1"), _customer("bob", "nope")]

    upserted = customers_upsert_many(tenant=TENANT, rows=rows)

    [(row, error)] = upserted.refused
    assert row is rows[1]
    assert "The legal entity with id nope has not been found." in str(error)
    assert list(Customer.objects.filter(tenant_id=TENANT).values_list("public_id", flat=True)) == [
        "ann"
    ]
    assert CustomerLegalEntity.objects.filter(tenant_id=TENANT).count() == 1


def test_a_change_of_links_alone_grows_the_customers_version():
    le1, _ = make_legal_entity(TENANT, "le1"), make_legal_entity(TENANT, "le2")
    customer = make_customer(TENANT, "ann", legal_entities=(le1,))
    row = _customer("ann", "le2")
    row.values = {name: getattr(customer, name) for name in row.values}

    upserted = customers_upsert_many(tenant=TENANT, rows=[row])

    assert upserted.counts.updated == 1
    customer.refresh_from_db()
    assert customer.version == 2
    assert list(
        CustomerLegalEntity.objects.filter(customer=customer).values_list(
            "legal_entity__public_id", flat=True
        )
    ) == ["le2"]
