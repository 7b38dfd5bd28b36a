"""Whose view a storefront read computes: the caller's customer, or a customer it names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connections, router
from django.db.models import Min, Q
from django.utils import timezone

from segments_project.errors import PermissionDenied
from segments_project.tenancy import versions
from segments_project.tenancy.principal import Principal

from ..models import Segment
from ..querysets import SegmentQuerySet
from .membership import (
    SegmentRowsStatement,
    active_member_segment_rows,
    active_member_segments,
    segments_of_customer,
)


@dataclass(frozen=True)
class StorefrontScope:
    """A customer (acting for a legal entity or not) on a site at a moment.

    `customer_id` None means every segment of the tenant (a `segment_read` caller that
    names no customer), unless `visitor`: an anonymous storefront visitor, who is a member
    of no segment (segments have no "open to everyone" kind), so draws on none.
    """

    tenant: str
    customer_id: str | None
    legal_entity_id: str | None
    site_code: str | None
    at: datetime
    only_active: bool = True
    visitor: bool = False

    def cache_key(self) -> str:
        return "|".join(
            [
                "(visitor)" if self.visitor else self.customer_id or "*",
                self.legal_entity_id or "-",
                self.site_code or "*",
                "active" if self.only_active else "all",
            ]
        )

    def segments(self) -> SegmentQuerySet:
        """The segments this view draws on (fail closed: unknown customers and visitors get
        none)."""
        if self.visitor:
            return Segment.objects.none()
        if self.customer_id is None:
            segments = Segment.objects.for_tenant(self.tenant)
            if self.only_active:
                segments = segments.active_at(self.at)
            if self.site_code is not None:
                segments = segments.filter(site_code=self.site_code)
            return segments
        return active_member_segments(
            tenant=self.tenant,
            customer_id=self.customer_id,
            legal_entity_id=self.legal_entity_id,
            at=self.at,
            site_code=self.site_code,
        )

    def segment_rows(self) -> SegmentQuerySet | SegmentRowsStatement:
        """`segments()`, precompiled for a customer's view on PostgreSQL (see
        `active_member_segment_rows`: building the queryset costs more than running it)."""
        using = router.db_for_read(Segment)
        if self.visitor or self.customer_id is None or connections[using].vendor != "postgresql":
            return self.segments()
        return active_member_segment_rows(
            tenant=self.tenant,
            customer_id=self.customer_id,
            legal_entity_id=self.legal_entity_id,
            at=self.at,
            site_code=self.site_code,
            using=using,
        )

    def version_keys(self) -> list[str]:
        """The version keys (`tenancy/versions.py`) of what this view draws on, as far as
        they are known before reading: the tenant, and the customer's memberships or, for
        a tenant-wide reader, every segment."""
        if self.visitor:
            return [versions.TENANT]
        if self.customer_id is None:
            return [versions.TENANT, versions.ALL_SEGMENTS]
        return [versions.TENANT, versions.customer_key(self.customer_id)]

    def dependencies(
        self, aspects: tuple[str, ...] = (versions.SEGMENT,)
    ) -> tuple[tuple[str, ...], datetime | None]:
        """The version keys, for each of `aspects`, of the segments a customer's view draws
        on (every segment the customer is assigned to, whatever its status or validity: a
        change of those makes it a segment of the view) and `next_boundary()`, in one
        query."""
        if self.visitor or self.customer_id is None:
            return (), self.next_boundary()
        rows = (
            segments_of_customer(
                tenant=self.tenant,
                customer_id=self.customer_id,
                legal_entity_id=self.legal_entity_id,
            )
            .order_by("pk")
            .values_list("pk", "status", "valid_from", "valid_to")
        )
        keys = []
        bounds: list[datetime] = []
        for pk, status, valid_from, valid_to in rows:
            keys += [versions.segment_key(pk, aspect) for aspect in aspects]
            if status != "ACTIVE":
                continue
            if valid_from is not None and valid_from > self.at:
                bounds.append(valid_from)
            if valid_to is not None and valid_to >= self.at:
                bounds.append(valid_to)
        return tuple(keys), min(bounds, default=None)

    def next_boundary(self) -> datetime | None:
        """The earliest moment after `at` when a validity window this view depends on opens
        or closes; an answer computed now is wrong from then on."""
        if self.visitor:
            return None  # no segment, so no window
        if self.customer_id is None:
            candidates = Segment.objects.for_tenant(self.tenant)
        else:
            candidates = segments_of_customer(
                tenant=self.tenant,
                customer_id=self.customer_id,
                legal_entity_id=self.legal_entity_id,
            )
        bounds = candidates.filter(status="ACTIVE").aggregate(
            opens=Min("valid_from", filter=Q(valid_from__gt=self.at)),
            closes=Min("valid_to", filter=Q(valid_to__gte=self.at)),
        )
        found = [moment for moment in bounds.values() if moment is not None]
        return min(found) if found else None


def scope_for(
    principal: Principal,
    *,
    tenant: str,
    customer_id: str | None,
    legal_entity_id: str | None,
    site_code: str | None,
    only_active: bool = True,
) -> StorefrontScope:
    """A customer token reads its own view (legal entity from the token unless one is
    asked); an anonymous visitor's token the view of nobody (PermissionDenied if it names a
    customer or legal entity); tenant-wide readers read the named customer's, or every
    segment."""
    if principal.is_visitor:
        if customer_id is not None or legal_entity_id is not None:
            raise PermissionDenied(
                "An anonymous token reads the storefront as a visitor: it cannot name a "
                "customerId or legalEntityId."
            )
        return StorefrontScope(
            tenant=tenant,
            customer_id=None,
            legal_entity_id=None,
            site_code=site_code,
            at=timezone.now(),
            visitor=True,
        )
    if principal.is_customer:
        return StorefrontScope(
            tenant=tenant,
            customer_id=principal.customer_id,
            legal_entity_id=legal_entity_id or principal.legal_entity_id,
            site_code=site_code,
            at=timezone.now(),
        )
    return StorefrontScope(
        tenant=tenant,
        customer_id=customer_id,
        legal_entity_id=legal_entity_id if customer_id else None,
        site_code=site_code,
        at=timezone.now(),
        only_active=True if customer_id else only_active,
    )
