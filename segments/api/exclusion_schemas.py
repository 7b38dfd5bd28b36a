"""OpenAPI descriptions of a segment's exclusions (an extension of the vendor's API)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers

from segments_project.api.schema_components import (
    ERROR_RESPONSES,
    LIST_PARAMETERS,
    NOT_FOUND,
    Q_PARAMETER,
)

TAG = ["Exclusions"]


class ExclusionCustomerSerializer(serializers.Serializer):
    id = serializers.CharField(required=False)
    firstName = serializers.CharField(required=False, allow_blank=True)
    lastName = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)


class ExclusionMetadataSerializer(serializers.Serializer):
    createdAt = serializers.DateTimeField(required=False)


class ExclusionResponseSerializer(serializers.Serializer):
    # Every member is optional: the `fields` parameter may project any of them away.
    customerId = serializers.CharField(required=False)
    customer = ExclusionCustomerSerializer(required=False)
    metadata = ExclusionMetadataSerializer(required=False)


SEGMENT_ID = OpenApiParameter(
    "segment_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The segment id."
)
CUSTOMER_ID = OpenApiParameter(
    "customer_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The excluded customer's id.",
)
FIELDS = OpenApiParameter("fields", OpenApiTypes.STR, description="Comma-separated fields.")
EXCLUSION_DESCRIPTION = (
    "An excluded customer is never an AUTOMATIC member of the segment (in any role, B2C or "
    "for a legal entity): excluding removes the customer's AUTOMATIC assignments at once, "
    "and rule evaluation does not add them back while the exclusion stands. MANUAL "
    "assignments are not touched."
)


def exclusion_collection(view):
    view.get = extend_schema(
        tags=TAG,
        summary="Retrieving the customers excluded from a customer segment",
        description=EXCLUSION_DESCRIPTION,
        parameters=[SEGMENT_ID, Q_PARAMETER, *LIST_PARAMETERS],
        responses={
            200: ExclusionResponseSerializer(many=True),
            **ERROR_RESPONSES,
            **NOT_FOUND,
        },
    )(view.get)
    return view


def exclusion_detail(view):
    view.get = extend_schema(
        tags=TAG,
        summary="Retrieving a customer's exclusion from a customer segment",
        parameters=[SEGMENT_ID, CUSTOMER_ID, FIELDS],
        responses={200: ExclusionResponseSerializer, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    view.put = extend_schema(
        tags=TAG,
        summary="Excluding a customer from a customer segment's AUTOMATIC members",
        description=f"{EXCLUSION_DESCRIPTION} No body is needed.",
        parameters=[SEGMENT_ID, CUSTOMER_ID],
        request=None,
        responses={
            201: OpenApiResponse(description="The customer is now excluded."),
            204: OpenApiResponse(description="The customer already was excluded."),
            **ERROR_RESPONSES,
            **NOT_FOUND,
        },
    )(view.put)
    view.delete = extend_schema(
        tags=TAG,
        summary="Lifting a customer's exclusion from a customer segment",
        description="The customer becomes an AUTOMATIC member again at the next evaluation "
        "of the segment's criteria that matches them.",
        parameters=[SEGMENT_ID, CUSTOMER_ID],
        responses={
            204: OpenApiResponse(description="Lifted (or was not excluded)."),
            **ERROR_RESPONSES,
            **NOT_FOUND,
        },
    )(view.delete)
    return view
