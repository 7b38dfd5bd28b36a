from __future__ import annotations

from datetime import datetime

from django.apps import apps
from django.db import models
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

# A limit of -1 means "unlimited" (the vendor's convention).
UNLIMITED = -1


class CouponQuerySet(models.QuerySet):
    def for_tenant(self, tenant: str) -> CouponQuerySet:
        return self.filter(tenant_id=tenant)

    def not_deleted(self) -> CouponQuerySet:
        return self.filter(deleted=False)

    def with_redemption_count(self) -> CouponQuerySet:
        """Annotates `redemption_count`: one correlated count, not a join, so it composes
        with any other filter and never multiplies rows."""
        redemption = apps.get_model("coupons", "Redemption")
        counted = (
            redemption.objects.filter(coupon=OuterRef("pk"))
            .order_by()
            .values("coupon")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return self.annotate(
            redemption_count=Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)
        )

    def with_status(self, at: datetime) -> CouponQuerySet:
        """Annotates `redemption_count` and the status at `at`, in this order of precedence:
        INACTIVE before validFrom, EXPIRED after validUntil, USED once maxRedemptions
        redemptions exist, else VALID. Filterable and sortable like a column."""
        return self.with_redemption_count().annotate(
            status=Case(
                When(valid_from__gt=at, then=Value("INACTIVE")),
                When(valid_until__lt=at, then=Value("EXPIRED")),
                When(
                    ~Q(max_redemptions=UNLIMITED) & Q(redemption_count__gte=F("max_redemptions")),
                    then=Value("USED"),
                ),
                default=Value("VALID"),
                output_field=models.CharField(),
            )
        )


class RedemptionQuerySet(models.QuerySet):
    def for_tenant(self, tenant: str) -> RedemptionQuerySet:
        return self.filter(tenant_id=tenant)

    def by_customer(self, customer_number: str, legal_entity_id: str) -> RedemptionQuerySet:
        """The redemptions one customer made acting for one legal entity ("" for none)."""
        return self.filter(customer_number=customer_number, legal_entity_public_id=legal_entity_id)
