"""OpenAPI descriptions of a segment's item assignments (the vendor's "Items Assignments" tag)."""

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
    ACCEPT_LANGUAGE,
    CONFLICT,
    ERROR_RESPONSES,
    LIST_PARAMETERS,
    NOT_FOUND,
    Q_PARAMETER,
    TOO_LARGE,
    BulkEntrySerializer,
    MetadataSerializer,
    MetadataWriteSerializer,
    SearchSerializer,
    localized_field,
)

TAG = ["Items Assignments"]


# A pattern rather than an enum: the enum post-processing hook would otherwise find two
# choice sets for fields named "type" (this one and the catalog's PRODUCT-only one) and warn.
@extend_schema_field(
    {"type": "string", "pattern": "^(PRODUCT|CATEGORY)$", "description": "PRODUCT or CATEGORY."}
)
class ItemAssignmentTypeField(serializers.CharField):
    pass


class ItemAssignmentUpsertSerializer(serializers.Serializer):
    mixins = serializers.DictField(required=False, help_text="Custom attributes.")
    metadata = MetadataWriteSerializer(required=False)


class ItemAssignmentBulkUpsertSerializer(ItemAssignmentUpsertSerializer):
    id = serializers.CharField(help_text="The id of an existing product or category.")


class ItemAssignmentItemSerializer(serializers.Serializer):
    id = serializers.CharField(required=False, help_text="The product or category id.")
    code = serializers.CharField(required=False, help_text="Its code, when it has one.")
    name = localized_field(required=False, help_text="Its localized name.")


class ItemAssignmentResponseSerializer(serializers.Serializer):
    # Every member is optional: the `fields` parameter may project any of them away.
    segmentId = serializers.CharField(required=False)
    type = ItemAssignmentTypeField(required=False)
    item = ItemAssignmentItemSerializer(required=False)
    mixins = serializers.DictField(required=False)
    metadata = MetadataSerializer(required=False)


SEGMENT_ID = OpenApiParameter(
    "segment_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The segment's id."
)
ITEM_TYPE = OpenApiParameter(
    "item_type",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="PRODUCT or CATEGORY (any capitalization is accepted).",
)
ITEM_ID = OpenApiParameter(
    "item_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The product or category id."
)
LEGAL_ENTITY_ID = OpenApiParameter(
    "legalEntityId",
    OpenApiTypes.STR,
    description="For a customer token: the legal entity the customer acts for (default: the "
    "token's).",
)
FIELDS = OpenApiParameter("fields", OpenApiTypes.STR, description="Comma-separated fields.")
LIST_RESPONSES = {
    200: ItemAssignmentResponseSerializer(many=True),
    **ERROR_RESPONSES,
    **NOT_FOUND,
}
BULK_RESPONSES = {207: BulkEntrySerializer(many=True), **ERROR_RESPONSES, **NOT_FOUND, **TOO_LARGE}
LIST_DESCRIPTION = (
    "`q` may name type, segmentId, item.id, item.code, item.name.<language>, mixins.<key>, "
    "metadata.version, metadata.createdAt, metadata.modifiedAt and metadata.mixins.<key>. "
    "A customer token reads only the segments its customer is assigned to."
)


def item_collection(view):
    view.get = extend_schema(
        tags=TAG,
        summary="Retrieving all item assignments for a customer segment",
        description=LIST_DESCRIPTION,
        parameters=[SEGMENT_ID, Q_PARAMETER, *LIST_PARAMETERS, ACCEPT_LANGUAGE, LEGAL_ENTITY_ID],
        responses=LIST_RESPONSES,
    )(view.get)
    return view


def item_search(view):
    view.post = extend_schema(
        tags=TAG,
        summary="Searching the item assignments of a customer segment",
        description=LIST_DESCRIPTION,
        parameters=[SEGMENT_ID, *LIST_PARAMETERS, ACCEPT_LANGUAGE, LEGAL_ENTITY_ID],
        request=SearchSerializer,
        responses={**LIST_RESPONSES, **TOO_LARGE},
    )(view.post)
    return view


def item_detail(view):
    view.get = extend_schema(
        tags=TAG,
        summary="Retrieving an item assignment",
        parameters=[SEGMENT_ID, ITEM_TYPE, ITEM_ID, FIELDS, ACCEPT_LANGUAGE, LEGAL_ENTITY_ID],
        responses={200: ItemAssignmentResponseSerializer, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    view.put = extend_schema(
        tags=TAG,
        summary="Upserting an item assignment",
        description=(
            "Assigns the product or category to the segment, or replaces the assignment's "
            "mixins. The item must exist in the tenant's catalog."
        ),
        parameters=[SEGMENT_ID, ITEM_TYPE, ITEM_ID],
        request=ItemAssignmentUpsertSerializer,
        responses={
            201: OpenApiResponse(description="Created (no body)."),
            204: OpenApiResponse(description="Updated."),
            **ERROR_RESPONSES,
            **NOT_FOUND,
            **CONFLICT,
            **TOO_LARGE,
        },
    )(view.put)
    view.delete = extend_schema(
        tags=TAG,
        summary="Removing an item assignment",
        parameters=[SEGMENT_ID, ITEM_TYPE, ITEM_ID],
        responses={
            204: OpenApiResponse(description="Removed (or was not assigned)."),
            **ERROR_RESPONSES,
            **NOT_FOUND,
        },
    )(view.delete)
    return view


def item_bulk(view):
    view.put = extend_schema(
        tags=TAG,
        summary="Upserting item assignments of a customer segment in bulk",
        description=(
            "At most 200 elements; 207 with one entry per element, in order: 201 created, "
            "204 updated, 400 (malformed, or the item is not in the catalog), 409 (stale "
            "metadata.version)."
        ),
        parameters=[SEGMENT_ID, ITEM_TYPE],
        request=ItemAssignmentBulkUpsertSerializer(many=True),
        responses=BULK_RESPONSES,
    )(view.put)
    view.delete = extend_schema(
        tags=TAG,
        summary="Removing item assignments of a customer segment in bulk",
        description=(
            "An array of at most 200 item ids; 207 with one entry per id, in order: 204 "
            "(removed, or was not assigned) or 400 (not an id string)."
        ),
        parameters=[SEGMENT_ID, ITEM_TYPE],
        request=serializers.ListField(child=serializers.CharField()),
        responses=BULK_RESPONSES,
    )(view.delete)
    return view
