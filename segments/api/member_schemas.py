"""OpenAPI descriptions of the customer assignment endpoints (the vendor's "Customers
Assignments" tag)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers

from segments_project.api.schema_components import (
    CONFLICT,
    ERROR_RESPONSES,
    LIST_PARAMETERS,
    NOT_FOUND,
    Q_PARAMETER,
    TOO_LARGE,
    ErrorSerializer,
    MetadataSerializer,
    MetadataWriteSerializer,
    SearchSerializer,
)

TAG = ["Customers Assignments"]


class CustomerAssignmentUpsertSerializer(serializers.Serializer):
    mixins = serializers.DictField(required=False, help_text="Custom attributes.")
    metadata = MetadataWriteSerializer(required=False)


class CustomerAssignmentUpsertBulkSerializer(CustomerAssignmentUpsertSerializer):
    customerId = serializers.CharField(help_text="An existing customer of the tenant.")
    legalEntityId = serializers.CharField(
        required=False, help_text="A legal entity the customer belongs to; omitted for B2C."
    )


class CustomerAssignmentKeySerializer(serializers.Serializer):
    customerId = serializers.CharField()
    legalEntityId = serializers.CharField(required=False, help_text="Omitted for B2C.")


class CustomerAssignmentCustomerSerializer(serializers.Serializer):
    id = serializers.CharField(required=False)
    firstName = serializers.CharField(required=False, allow_blank=True)
    lastName = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)


class CustomerAssignmentLegalEntitySerializer(serializers.Serializer):
    id = serializers.CharField(required=False)
    name = serializers.CharField(required=False, allow_blank=True)


class CustomerAssignmentResponseSerializer(serializers.Serializer):
    # Every member is optional: the `fields` parameter may project any of them away.
    customer = CustomerAssignmentCustomerSerializer(required=False)
    legalEntity = CustomerAssignmentLegalEntitySerializer(
        required=False, help_text="Only for B2B assignments."
    )
    assignmentType = serializers.ChoiceField(choices=["MANUAL", "AUTOMATIC"], required=False)
    mixins = serializers.DictField(required=False)
    metadata = MetadataSerializer(required=False)


class CustomerAssignmentBulkEntrySerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the element in the request, from 0.")
    code = serializers.IntegerField(help_text="201, 204, 400 or 409.")
    status = serializers.CharField()
    message = serializers.CharField(required=False, help_text="Why the element failed.")


SEGMENT_ID = OpenApiParameter(
    "segment_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The segment id."
)
CUSTOMER_ID = OpenApiParameter(
    "customer_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The customer id."
)
LEGAL_ENTITY_ID = OpenApiParameter(
    "legal_entity_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The legal entity the customer acts for.",
)
FIELDS = OpenApiParameter("fields", OpenApiTypes.STR, description="Comma-separated fields.")
DELETED = {204: OpenApiResponse(description="Removed (or was not assigned).")}
AUTOMATIC_REFUSED = {
    409: OpenApiResponse(
        ErrorSerializer,
        description="The assignment is AUTOMATIC: exclude the customer instead "
        "(PUT .../exclusions/{customerId}).",
    )
}
UPSERTED = {
    201: OpenApiResponse(description="The customer was assigned to the segment."),
    204: OpenApiResponse(description="The assignment was updated."),
}
BULK_RESPONSES = {
    207: CustomerAssignmentBulkEntrySerializer(many=True),
    **ERROR_RESPONSES,
    **NOT_FOUND,
    **TOO_LARGE,
}
LIST_RESPONSES = {
    200: CustomerAssignmentResponseSerializer(many=True),
    **ERROR_RESPONSES,
    **NOT_FOUND,
}


def customer_assignment_collection(view):
    view.get = extend_schema(
        tags=TAG,
        summary="Retrieving all customer assignments for a customer segment",
        description="A customer token (segment_read_own) sees only its own assignments, and "
        "only in segments it belongs to.",
        parameters=[SEGMENT_ID, Q_PARAMETER, *LIST_PARAMETERS],
        responses=LIST_RESPONSES,
    )(view.get)
    return view


def customer_assignment_search(view):
    view.post = extend_schema(
        tags=TAG,
        summary="Searching with parameters for customer assignments",
        parameters=[SEGMENT_ID, *LIST_PARAMETERS],
        request=SearchSerializer,
        responses={**LIST_RESPONSES, **TOO_LARGE},
    )(view.post)
    return view


def customer_assignment_bulk(view):
    view.put = extend_schema(
        tags=TAG,
        summary="Updating customer assignments for a customer segment in bulk",
        description="Upserts each element (201 created, 204 updated). At most 200 elements; "
        "207 with one entry per element, in order.",
        parameters=[SEGMENT_ID],
        request=CustomerAssignmentUpsertBulkSerializer(many=True),
        responses=BULK_RESPONSES,
    )(view.put)
    view.delete = extend_schema(
        tags=TAG,
        summary="Removing customers from customer segment in bulk",
        description="At most 200 elements; 207 with one entry per element, in order. An "
        "element naming an AUTOMATIC assignment gets a 409 entry (exclude the customer "
        "instead); the others apply.",
        parameters=[SEGMENT_ID],
        request=CustomerAssignmentKeySerializer(many=True),
        responses=BULK_RESPONSES,
    )(view.delete)
    return view


def _detail(view, *, kind: str, parameters: list[OpenApiParameter]):
    view.get = extend_schema(
        tags=TAG,
        summary=f"[{kind}] Retrieving a customer assignment for a customer segment",
        parameters=[*parameters, FIELDS],
        responses={200: CustomerAssignmentResponseSerializer, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    view.put = extend_schema(
        tags=TAG,
        summary=f"[{kind}] Updating a customer assignment for a customer segment",
        description="Upsert: creates the assignment when it is not there.",
        parameters=parameters,
        request=CustomerAssignmentUpsertSerializer,
        responses={**UPSERTED, **ERROR_RESPONSES, **NOT_FOUND, **CONFLICT, **TOO_LARGE},
    )(view.put)
    view.delete = extend_schema(
        tags=TAG,
        summary=f"[{kind}] Removing a customer from customer segment",
        description="Only a MANUAL assignment can be removed; an AUTOMATIC one (made by the "
        "segment's criteria) is refused with a 409 that points to the segment's exclusions.",
        parameters=parameters,
        responses={**DELETED, **ERROR_RESPONSES, **NOT_FOUND, **AUTOMATIC_REFUSED},
    )(view.delete)
    return view


def customer_assignment_b2c(view):
    return _detail(view, kind="B2C", parameters=[SEGMENT_ID, CUSTOMER_ID])


def customer_assignment_b2b(view):
    return _detail(view, kind="B2B", parameters=[SEGMENT_ID, CUSTOMER_ID, LEGAL_ENTITY_ID])
