"""`changedFields` of update events names fields as the API's documents do: every stored
field a write can change has a document name, so no stored column name reaches a consumer.
The events themselves: test_emission_api.py."""

from __future__ import annotations

from coupons.documents.coupons import COUPON_EVENT_FIELDS, stored_document
from coupons.models import Coupon
from segments.documents.segments import DOCUMENT_FIELDS, SEGMENT_EVENT_FIELDS
from segments.models import Segment
from segments.services.member_audit import MEMBER_EVENT_FIELDS
from segments.services.member_rows import WRITTEN_FIELDS

# Columns no write changes as a document field (ids, versions, timestamps).
_BOOKKEEPING = {"id", "tenant_id", "public_id", "version", "created_at", "modified_at"}


def _stored_fields(model: type) -> set[str]:
    return {field.attname for field in model._meta.concrete_fields} - _BOOKKEEPING


def test_every_stored_segment_field_has_a_document_name():
    assert set(SEGMENT_EVENT_FIELDS) == _stored_fields(Segment)
    assert {name.split(".")[0] for name in SEGMENT_EVENT_FIELDS.values()} <= DOCUMENT_FIELDS


def test_every_stored_coupon_field_has_a_document_name():
    assert set(COUPON_EVENT_FIELDS) == _stored_fields(Coupon)
    full = Coupon(public_id="X", name="x", description="d", issued_to="c1", mixins={"a": 1})
    members = set(stored_document(full)) | {
        "discountPercentage",
        "discountAbsolute",
        "referralCoupon",
        "deleted",
    }
    assert {name.split(".")[0] for name in COUPON_EVENT_FIELDS.values()} <= members


def test_every_member_field_a_write_changes_has_a_document_name():
    assert set(MEMBER_EVENT_FIELDS) == set(WRITTEN_FIELDS)
