"""OpenAPI descriptions of the Coupon Redemption endpoints (a coupon's redemptions)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers

from segments_project.api.schema_components import (
    BODY_ERRORS,
    ERROR_RESPONSES,
    LIST_PARAMETERS,
    NOT_FOUND,
    Q_PARAMETER,
    ErrorSerializer,
)

from .coupon_schemas import (
    CODE,
    CUSTOMER_NUMBER,
    FIELDS,
    REFUSED,
    CouponMoneySerializer,
    RedemptionCreateSerializer,
    RedemptionLineVerdictSerializer,
)

REDEMPTION = ["Coupon Redemption"]


class RedemptionCreatedSerializer(serializers.Serializer):
    id = serializers.CharField()
    items = RedemptionLineVerdictSerializer(many=True, required=False)
    eligibleSubtotal = CouponMoneySerializer(required=False)
    discount = CouponMoneySerializer(help_text="The recorded discount.")


class RedemptionResponseSerializer(serializers.Serializer):
    id = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    orderCode = serializers.CharField(required=False)
    customerNumber = serializers.CharField(required=False)
    legalEntityId = serializers.CharField(required=False)
    siteCode = serializers.CharField(required=False)
    orderTotal = CouponMoneySerializer(required=False)
    discount = CouponMoneySerializer(required=False)
    redeemedAt = serializers.DateTimeField(required=False)


REDEMPTION_ID = OpenApiParameter("redemption_id", OpenApiTypes.STR, OpenApiParameter.PATH)


def redemption_collection(view):
    view.get = extend_schema(
        tags=REDEMPTION,
        summary="Retrieving a list of redemptions by criteria",
        parameters=[CODE, Q_PARAMETER, *LIST_PARAMETERS],
        responses={200: RedemptionResponseSerializer(many=True), **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    view.post = extend_schema(
        tags=REDEMPTION,
        summary="Redeeming the coupon by creating a redemption",
        description="Like the validation, then records the redemption. A refusal by the "
        "redemption limits alone is a 409 with the limit reason; every other refusal a 400.",
        parameters=[CODE],
        request=RedemptionCreateSerializer,
        responses={
            201: RedemptionCreatedSerializer,
            **ERROR_RESPONSES,
            **REFUSED,
            **NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer,
                description="Refused by `REDEMPTION_LIMIT_REACHED` or "
                "`CUSTOMER_REDEMPTION_LIMIT_REACHED` only.",
            ),
            **BODY_ERRORS,
        },
    )(view.post)
    return view


def redemption_detail(view):
    view.get = extend_schema(
        tags=REDEMPTION,
        summary="Retrieving a coupon redemption",
        description="coupon_manage reads any redemption; a customer token only its own; "
        "coupon_redeem_on_behalf those of the customerNumber it names.",
        parameters=[CODE, REDEMPTION_ID, FIELDS, CUSTOMER_NUMBER],
        responses={200: RedemptionResponseSerializer, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    view.delete = extend_schema(
        tags=REDEMPTION,
        summary="Deleting a coupon redemption",
        description="Frees the redemption's place under the coupon's limits.",
        parameters=[CODE, REDEMPTION_ID],
        responses={
            204: OpenApiResponse(description="Deleted."),
            **ERROR_RESPONSES,
            **NOT_FOUND,
        },
    )(view.delete)
    return view
