"""OpenAPI descriptions of the referral coupon endpoints."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema

from segments_project.api.schema_components import (
    BODY_ERRORS,
    ERROR_RESPONSES,
    NOT_FOUND,
    ErrorSerializer,
)

from .coupon_schemas import CouponResponseSerializer

REFERRAL = ["Referral Coupon Management"]

CUSTOMER_NUMBER = OpenApiParameter(
    "customer_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Customer number (id) of the customer in the tenant's customer directory.",
)
WHO = (
    "A customer token (coupon.coupon_redeem) may name only its own customer; any other "
    "token needs {scopes} (the vendor asks for no particular scope). The customer sees "
    "its coupon without the seller-only members, but with `issuedTo`."
)
REFERRAL_ANSWER = OpenApiResponse(
    CouponResponseSerializer,
    description="The customer's referral coupon: `referralCoupon` true, `issuedTo` the "
    "customer, an ABSOLUTE discount.",
)


def referral_coupon(view):
    view.get = extend_schema(
        tags=REFERRAL,
        summary="Retrieving customer's referral coupon",
        description="The customer's live referral coupon, or 204 when it has none. 404 when "
        "there is no coupon and no such customer in the customer directory. "
        + WHO.format(scopes="coupon.coupon_read or coupon.coupon_manage"),
        parameters=[CUSTOMER_NUMBER],
        responses={
            200: REFERRAL_ANSWER,
            204: OpenApiResponse(description="The customer has no referral coupon."),
            **ERROR_RESPONSES,
            **NOT_FOUND,
        },
    )(view.get)
    view.post = extend_schema(
        tags=REFERRAL,
        summary="Creating a referral coupon code for a given customer",
        description="Answers the customer's referral coupon, creating it first when it has "
        "none: one per customer, even when two requests race. The discount, currency, "
        "name, code prefix, limits and validity come from the tenant's referral settings "
        "(admin). 404 when the customer is not in the customer directory; 409 when the "
        "tenant has no referral settings. No body is read. "
        + WHO.format(scopes="coupon.coupon_manage"),
        parameters=[CUSTOMER_NUMBER],
        request=None,
        responses={
            200: REFERRAL_ANSWER,
            **ERROR_RESPONSES,
            **NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer, description="The tenant has no referral settings."
            ),
            **BODY_ERRORS,
        },
    )(view.post)
    return view
