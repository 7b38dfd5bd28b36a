"""OpenAPI descriptions of the Coupon endpoints (management and validation), and the
request and money shapes the redemption endpoints share (`redemption_schemas`)."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers

from segments_project.api.schema_components import (
    BODY_ERRORS,
    CONFLICT,
    ERROR_RESPONSES,
    LIST_PARAMETERS,
    NOT_FOUND,
    Q_PARAMETER,
    ErrorSerializer,
    IdSerializer,
    MetadataSerializer,
    MetadataWriteSerializer,
    PatchOperationSerializer,
)

MANAGEMENT = ["Coupon Management"]
VALIDATION = ["Coupon Validation"]

DISCOUNT_TYPES = ["PERCENT", "ABSOLUTE", "FREE_SHIPPING"]
CALCULATION_TYPES = ["TOTAL", "SUBTOTAL"]
STATUSES = ["VALID", "INACTIVE", "EXPIRED", "USED"]
REFUSALS = (
    "`DELETED`, `NOT_YET_VALID`, `EXPIRED`, `ANONYMOUS_NOT_ALLOWED`, `NOT_VALID_FOR_CUSTOMER`, "
    "`OWN_REFERRAL_COUPON`, `NOT_A_SEGMENT_MEMBER`, `CURRENCY_MISMATCH`, "
    "`MIN_ORDER_VALUE_NOT_REACHED`, `REDEMPTION_LIMIT_REACHED`, "
    "`CUSTOMER_REDEMPTION_LIMIT_REACHED`, `NO_ELIGIBLE_ITEMS`, `DISCOUNT_TOO_HIGH`, "
    "`DISCOUNT_MISMATCH`"
)
GRANTED = (
    "The discount a redemption records: the one sent, when the coupon grants it, else the "
    "one computed (on the eligible items, or on the order total without items)."
)


# A pattern, not an enum: drf-spectacular's enum hook warns (failing --fail-on-warn) when a
# second choice set is named "status" besides the segments' one, unless the project settings
# name both in ENUM_NAME_OVERRIDES.
@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^({'|'.join(STATUSES)})$",
        "description": "INACTIVE before validFrom, EXPIRED after validUntil, USED once "
        "maxRedemptions redemptions exist, else VALID.",
    }
)
class CouponStatusField(serializers.CharField):
    pass


class CouponMoneySerializer(serializers.Serializer):
    amount = serializers.FloatField(min_value=0, help_text="At most two decimals.")
    currency = serializers.CharField(
        required=False, help_text="ISO 4217 code; USD when absent on writes."
    )


class CouponRestrictionsSerializer(serializers.Serializer):
    validFor = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Customer ids."
    )
    validFrom = serializers.DateTimeField(required=False)
    validUntil = serializers.DateTimeField(required=False)
    minOrderValue = CouponMoneySerializer(required=False)
    includedCategories = serializers.ListField(child=serializers.CharField(), required=False)
    excludedCategories = serializers.ListField(child=serializers.CharField(), required=False)
    segments = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Segment ids."
    )


class CouponWriteSerializer(serializers.Serializer):
    """Unknown members are refused; the read-only ones (status, redemptionCount,
    legalEntityRedemptions, deleted, referralCoupon) are ignored."""

    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False)
    discountType = serializers.ChoiceField(choices=DISCOUNT_TYPES, required=False)
    discountPercentage = serializers.FloatField(min_value=0, max_value=100, required=False)
    discountAbsolute = CouponMoneySerializer(required=False)
    allowAnonymous = serializers.BooleanField(required=False)
    maxRedemptions = serializers.IntegerField(min_value=-1, required=False)
    maxRedemptionsPerCustomer = serializers.IntegerField(min_value=-1, required=False)
    discountCalculationType = serializers.ChoiceField(choices=CALCULATION_TYPES, required=False)
    categoryRestricted = serializers.BooleanField(required=False)
    segmentRestricted = serializers.BooleanField(required=False)
    restrictions = CouponRestrictionsSerializer(required=False)
    issuedTo = serializers.CharField(required=False)
    mixins = serializers.DictField(required=False)
    metadata = MetadataWriteSerializer(required=False)


class CouponCreateSerializer(CouponWriteSerializer):
    code = serializers.CharField(
        required=False, help_text="Stored in upper case; generated when not given."
    )


class CouponLegalEntityRedemptionsSerializer(serializers.Serializer):
    legalEntityId = serializers.CharField()
    count = serializers.IntegerField()


# Every member is optional: `fields` may project any of them away, and callers that are not
# the seller (no coupon_manage/coupon_read) do not see the seller-only ones.
class CouponResponseSerializer(serializers.Serializer):
    code = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    description = serializers.CharField(required=False)
    discountType = serializers.ChoiceField(choices=DISCOUNT_TYPES, required=False)
    discountPercentage = serializers.FloatField(required=False)
    discountAbsolute = CouponMoneySerializer(required=False)
    allowAnonymous = serializers.BooleanField(required=False)
    maxRedemptions = serializers.IntegerField(required=False)
    maxRedemptionsPerCustomer = serializers.IntegerField(required=False)
    discountCalculationType = serializers.ChoiceField(choices=CALCULATION_TYPES, required=False)
    categoryRestricted = serializers.BooleanField(required=False)
    segmentRestricted = serializers.BooleanField(required=False)
    restrictions = CouponRestrictionsSerializer(required=False)
    issuedTo = serializers.CharField(required=False)
    mixins = serializers.DictField(required=False)
    metadata = MetadataSerializer(required=False)
    status = CouponStatusField(required=False)
    redemptionCount = serializers.IntegerField(required=False)
    legalEntityRedemptions = CouponLegalEntityRedemptionsSerializer(many=True, required=False)
    deleted = serializers.BooleanField(required=False)
    referralCoupon = serializers.BooleanField(required=False)


class RedemptionCartLineSerializer(serializers.Serializer):
    productId = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)
    unitPrice = serializers.FloatField(min_value=0, help_text="In the orderTotal's currency.")


class RedemptionCreateSerializer(serializers.Serializer):
    orderCode = serializers.CharField(required=False)
    customerNumber = serializers.CharField(
        required=False,
        help_text="The redeeming customer; needs coupon.coupon_redeem_on_behalf. A customer "
        "token redeems for its own customer.",
    )
    legalEntityId = serializers.CharField(
        required=False, help_text="The legal entity the customer acts for (B2B)."
    )
    siteCode = serializers.CharField(
        required=False, help_text="Segment membership is checked on this site only."
    )
    orderTotal = CouponMoneySerializer()
    discount = CouponMoneySerializer(
        required=False,
        help_text="Computed when absent. With items it must be the one computed on the "
        "eligible items (DISCOUNT_MISMATCH); without, at most what the coupon grants on the "
        "order total: PERCENT of it, ABSOLUTE capped at it, FREE_SHIPPING up to it "
        "(DISCOUNT_TOO_HIGH). A percentage may differ by a cent of rounding.",
    )
    items = RedemptionCartLineSerializer(
        many=True, required=False, help_text="Cart lines (an extension of the vendor's API)."
    )


class RedemptionLineVerdictSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the line in the request, from 0.")
    productId = serializers.CharField()
    quantity = serializers.IntegerField()
    unitPrice = serializers.FloatField()
    eligible = serializers.BooleanField()
    segmentIds = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Segment-restricted coupons: the member segments that give the product.",
    )


class CouponValidationSerializer(serializers.Serializer):
    code = serializers.CharField()
    valid = serializers.BooleanField()
    customerNumber = serializers.CharField(required=False)
    legalEntityId = serializers.CharField(required=False)
    items = RedemptionLineVerdictSerializer(many=True, required=False)
    eligibleSubtotal = CouponMoneySerializer(required=False)
    discount = CouponMoneySerializer(help_text=GRANTED)


CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="URL-encoded coupon code."
)
FIELDS = OpenApiParameter("fields", OpenApiTypes.STR, description="Comma-separated fields.")
SHOW_DELETED = OpenApiParameter(
    "showDeleted",
    OpenApiTypes.BOOL,
    description="Include soft-deleted coupons (`show_deleted` is accepted too).",
)
CUSTOMER_NUMBER = OpenApiParameter(
    "customerNumber",
    OpenApiTypes.STR,
    description="Read as this customer would (needs coupon.coupon_redeem_on_behalf).",
)
PARTIAL = OpenApiParameter(
    "partial",
    OpenApiTypes.BOOL,
    description="Deprecated by the vendor in favour of PATCH. `true` merges the body into "
    "the coupon (RFC 7396); `false` (the default here, required by the vendor) replaces it.",
)
# Unlike the other resources' 204 (schema_components.UPDATED), the vendor's coupon update
# answers 200 without a body.
UPDATE_RESPONSES = {
    200: OpenApiResponse(description="Updated (no body, as the vendor answers)."),
    **ERROR_RESPONSES,
    **NOT_FOUND,
    **CONFLICT,
    **BODY_ERRORS,
}
PATCH_BODY = {
    "application/json": CouponWriteSerializer(partial=True),
    "application/merge-patch+json": CouponWriteSerializer(partial=True),
    "application/json-patch+json": PatchOperationSerializer(many=True),
}
REFUSED = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="Invalid body, or the coupon is refused: `details[].type` is one of "
        f"{REFUSALS}.",
    )
}


def coupon_collection(view):
    view.get = extend_schema(
        tags=MANAGEMENT,
        summary="Retrieving list of coupons by criteria",
        parameters=[Q_PARAMETER, *LIST_PARAMETERS, SHOW_DELETED],
        responses={200: CouponResponseSerializer(many=True), **ERROR_RESPONSES},
    )(view.get)
    view.post = extend_schema(
        tags=MANAGEMENT,
        summary="Creating a new coupon",
        request=CouponCreateSerializer,
        responses={201: IdSerializer, **ERROR_RESPONSES, **CONFLICT, **BODY_ERRORS},
    )(view.post)
    return view


def coupon_detail(view):
    view.get = extend_schema(
        tags=MANAGEMENT,
        summary="Retrieving information about particular coupon by code",
        description="Sellers (coupon_manage, coupon_read) see every coupon, deleted ones too. "
        "Customer tokens, and callers naming a customerNumber, see only live coupons valid "
        "for that customer, without the seller-only members (the vendor requires only "
        "coupon_redeem_on_behalf here; seller and customer scopes are accepted as well).",
        parameters=[CODE, FIELDS, CUSTOMER_NUMBER],
        responses={200: CouponResponseSerializer, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    view.put = extend_schema(
        tags=MANAGEMENT,
        summary="Updating the coupon by code",
        description="Not an upsert: a missing or deleted coupon is a 404.",
        parameters=[CODE, PARTIAL],
        request=CouponWriteSerializer,
        responses=UPDATE_RESPONSES,
    )(view.put)
    view.patch = extend_schema(
        tags=MANAGEMENT,
        summary="Partially updating the coupon by code",
        description="A merge-patch object (RFC 7396, the vendor's form) or an RFC 6902 JSON "
        "Patch array.",
        parameters=[CODE],
        request=PATCH_BODY,
        responses=UPDATE_RESPONSES,
    )(view.patch)
    view.delete = extend_schema(
        tags=MANAGEMENT,
        summary="Deleting a coupon by code",
        description="A soft delete: the coupon keeps its code and redemptions, is hidden from "
        "lists unless showDeleted, and can no longer be redeemed. Deleting it again is a 204.",
        parameters=[CODE],
        responses={
            204: OpenApiResponse(description="Deleted."),
            **ERROR_RESPONSES,
            **NOT_FOUND,
        },
    )(view.delete)
    return view


def coupon_validation(view):
    view.post = extend_schema(
        tags=VALIDATION,
        summary="Validating redeemability of a coupon",
        description="Every check of a redemption, without redeeming. A customer token "
        "(coupon.coupon_redeem) validates for its own customer; coupon.coupon_redeem_on_behalf "
        "may name one with customerNumber. The answer carries the discount the redemption "
        "would record; with `items`, also which lines the coupon applies to.",
        parameters=[CODE],
        request=RedemptionCreateSerializer,
        responses={
            200: CouponValidationSerializer,
            **ERROR_RESPONSES,
            **REFUSED,
            **NOT_FOUND,
            **BODY_ERRORS,
        },
    )(view.post)
    return view
