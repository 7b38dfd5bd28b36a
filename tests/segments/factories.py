"""Direct-to-database builders of directory and membership rows for test set-up."""

from __future__ import annotations

from django.utils import timezone

from catalog.models import Category, Product
from segments.models import (
    Customer,
    CustomerLegalEntity,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
    SegmentItemAssignment,
)
from segments_project.tenancy.models import Tenant


def _stamps() -> dict:
    now = timezone.now()
    return {"created_at": now, "modified_at": now}


def make_legal_entity(tenant: str, legal_entity_id: str, *, name: str = "") -> LegalEntity:
    Tenant.objects.get_or_create(name=tenant)
    return LegalEntity.objects.create(
        tenant_id=tenant,
        public_id=legal_entity_id,
        name=name or f"Company {legal_entity_id}",
        **_stamps(),
    )


# The profile members of a customer document that sets none of them, as the API renders
# them.
NO_PROFILE = {
    "contactPhone": "",
    "company": "",
    "preferredSite": "",
    "preferredLanguage": "",
    "preferredCurrency": "",
    "active": True,
    "onHold": False,
    "addresses": [],
}


def make_customer(
    tenant: str, customer_id: str, *, legal_entities: tuple[LegalEntity, ...] = ()
) -> Customer:
    Tenant.objects.get_or_create(name=tenant)
    customer = Customer.objects.create(
        tenant_id=tenant,
        public_id=customer_id,
        first_name="First",
        last_name=customer_id.title(),
        email=f"{customer_id}@example.com",
        **_stamps(),
    )
    for legal_entity in legal_entities:
        CustomerLegalEntity.objects.create(
            tenant_id=tenant, customer=customer, legal_entity=legal_entity
        )
    return customer


def make_segment(
    tenant: str, segment_id: str, *, site: str = "main", status: str = "ACTIVE", **extra
) -> Segment:
    Tenant.objects.get_or_create(name=tenant)
    return Segment.objects.create(
        tenant_id=tenant,
        public_id=segment_id,
        name={"en": segment_id.title()},
        site_code=site,
        status=status,
        **_stamps(),
        **extra,
    )


def assign_customer(
    segment: Segment, customer: Customer, legal_entity: LegalEntity | None = None
) -> SegmentCustomerAssignment:
    return SegmentCustomerAssignment.objects.create(
        tenant_id=segment.tenant_id,
        segment=segment,
        customer=customer,
        legal_entity=legal_entity,
        **_stamps(),
    )


def assign_item(segment: Segment, item: Product | Category) -> SegmentItemAssignment:
    is_product = isinstance(item, Product)
    return SegmentItemAssignment.objects.create(
        tenant_id=segment.tenant_id,
        segment=segment,
        item_type="PRODUCT" if is_product else "CATEGORY",
        product=item if is_product else None,
        category=None if is_product else item,
        **_stamps(),
    )
