"""Coupons and their redemptions.

A coupon's limits are never stored counters: every redemption is a row, and the limits
are checked by counting rows while the coupon row is locked (see `services.redemptions`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from segments_project.models import TenantOwnedDocument

from .querysets import UNLIMITED, CouponQuerySet, RedemptionQuerySet


class DiscountType(models.TextChoices):
    PERCENT = "PERCENT", "Percent"
    ABSOLUTE = "ABSOLUTE", "Absolute"
    FREE_SHIPPING = "FREE_SHIPPING", "Free shipping"


class DiscountCalculationType(models.TextChoices):
    TOTAL = "TOTAL", "Total"
    SUBTOTAL = "SUBTOTAL", "Subtotal"


class CouponStatus(models.TextChoices):
    """Derived, never stored: see `CouponQuerySet.with_status`."""

    VALID = "VALID", "Valid"
    INACTIVE = "INACTIVE", "Inactive"
    EXPIRED = "EXPIRED", "Expired"
    USED = "USED", "Used"


class Coupon(TenantOwnedDocument):
    """A discount code of one tenant, optionally restricted to categories or to segments.

    `public_id` is the coupon code (stored in upper case, as the vendor does by default).
    Restricting categories and segments are kept by id, as the vendor's documents keep
    them: a category or segment deleted later simply stops matching.
    """

    public_id = models.CharField("code", max_length=128)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    discount_type = models.CharField(max_length=13, choices=DiscountType)
    discount_percentage = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    discount_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    discount_currency = models.CharField(max_length=3, blank=True)
    allow_anonymous = models.BooleanField(default=False)
    max_redemptions = models.IntegerField(default=UNLIMITED, help_text="-1 means unlimited.")
    max_redemptions_per_customer = models.IntegerField(
        default=UNLIMITED, help_text="-1 means unlimited."
    )
    discount_calculation_type = models.CharField(
        max_length=8, choices=DiscountCalculationType, default=DiscountCalculationType.SUBTOTAL
    )
    category_restricted = models.BooleanField(default=False)
    included_categories = models.JSONField(default=list, blank=True, help_text="Category ids.")
    excluded_categories = models.JSONField(default=list, blank=True, help_text="Category ids.")
    segment_restricted = models.BooleanField(default=False)
    segment_ids = models.JSONField("segments", default=list, blank=True, help_text="Segment ids.")
    valid_for = models.JSONField(default=list, blank=True, help_text="Customer ids.")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    min_order_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    min_order_currency = models.CharField(max_length=3, blank=True)
    issued_to = models.CharField(max_length=128, blank=True)
    # Issued by the referral endpoint to `issued_to`, who may not redeem it (see
    # `services.referrals`); read-only in the API.
    referral_coupon = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False, help_text="Soft-deleted: kept, hidden, unusable.")

    objects = CouponQuerySet.as_manager()

    class Meta:
        ordering = ["tenant_id", "public_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "public_id"], name="coupon_unique_code"),
            # One live referral coupon per customer: concurrent issuers of the same customer
            # meet here (services.referrals.referral_coupon_issue).
            models.UniqueConstraint(
                fields=["tenant", "issued_to"],
                condition=Q(referral_coupon=True, deleted=False),
                name="coupon_one_referral_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(referral_coupon=False) | ~Q(issued_to=""),
                name="coupon_referral_issued_to_someone",
            ),
            models.CheckConstraint(
                condition=Q(
                    discount_type=DiscountType.PERCENT,
                    discount_percentage__isnull=False,
                    discount_amount__isnull=True,
                )
                | Q(
                    discount_type=DiscountType.ABSOLUTE,
                    discount_amount__isnull=False,
                    discount_percentage__isnull=True,
                )
                | Q(
                    discount_type=DiscountType.FREE_SHIPPING,
                    discount_amount__isnull=True,
                    discount_percentage__isnull=True,
                ),
                name="coupon_discount_matches_type",
            ),
            models.CheckConstraint(
                condition=Q(discount_percentage__isnull=True)
                | Q(discount_percentage__gte=0, discount_percentage__lte=100),
                name="coupon_percentage_range",
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__gte=UNLIMITED)
                & Q(max_redemptions_per_customer__gte=UNLIMITED),
                name="coupon_limits_range",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_from__lte=F("valid_until")),
                name="coupon_validity_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(category_restricted=True, segment_restricted=True),
                name="coupon_one_restriction_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.public_id}"


class ReferralSettings(models.Model):
    """How a tenant's referral coupons are made: one row per tenant, edited in the admin
    (through `services.referrals.referral_settings_save`).

    Without a row the tenant issues no referral coupons (the API answers 409): the
    discount is the merchandiser's decision, never a default.
    """

    tenant = models.OneToOneField(
        "tenancy.Tenant", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    discount_amount = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="The absolute discount of every coupon."
    )
    discount_currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. EUR.")
    code_prefix = models.CharField(
        max_length=32, blank=True, default="REF-", help_text="Put before a random code."
    )
    name_template = models.CharField(
        max_length=255,
        default="Referral coupon of {customerName}",
        help_text="The coupon's name; may use {customerNumber}, {customerName}, {firstName} "
        "and {lastName}.",
    )
    description = models.TextField(blank=True)
    allow_anonymous = models.BooleanField(
        default=False,
        help_text="An anonymous redemption names nobody, so the owner could redeem its own "
        "coupon that way.",
    )
    max_redemptions = models.IntegerField(default=UNLIMITED, help_text="-1 means unlimited.")
    max_redemptions_per_customer = models.IntegerField(
        default=1, help_text="-1 means unlimited (required when anonymous users may redeem)."
    )
    validity_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days a new coupon stays valid; empty: no end."
    )
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        ordering = ["tenant_id"]
        verbose_name = "referral settings"
        verbose_name_plural = "referral settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_amount__gt=0), name="referral_settings_discount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Referral settings of {self.tenant_id}"


class Redemption(models.Model):
    """One use of a coupon, by a customer (acting for a legal entity or not) or anonymously.

    `customer_number` is "" for an anonymous redemption, `legal_entity_public_id` "" for a
    B2C one; the per-customer limit counts (customer, legal entity) pairs.
    """

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    public_id = models.CharField("id", max_length=64)
    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="redemptions")
    order_code = models.CharField(max_length=128, blank=True)
    customer_number = models.CharField(max_length=128, blank=True)
    legal_entity_public_id = models.CharField("legal entity id", max_length=128, blank=True)
    site_code = models.CharField(max_length=64, blank=True)
    order_total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    order_total_currency = models.CharField(max_length=3)
    discount_amount = models.DecimalField(max_digits=14, decimal_places=2)
    discount_currency = models.CharField(max_length=3)
    created_at = models.DateTimeField("redeemed at")
    modified_at = models.DateTimeField()

    objects = RedemptionQuerySet.as_manager()

    class Meta:
        ordering = ["tenant_id", "coupon_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "public_id"], name="redemption_unique_id"),
        ]
        indexes = [
            # The per-customer limit counts these under the coupon's lock.
            models.Index(
                fields=["tenant", "coupon", "customer_number", "legal_entity_public_id"],
                name="redemption_by_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} of {self.coupon_id}"
