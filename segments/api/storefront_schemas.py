"""OpenAPI descriptions of the storefront reads."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers

from segments_project.api.schema_components import (
    ACCEPT_LANGUAGE,
    ERROR_RESPONSES,
    FIELDS_PARAMETER,
    LIST_PARAMETERS,
    Q_PARAMETER,
    TOO_LARGE,
    localized_field,
)

from .item_schemas import ItemAssignmentResponseSerializer
from .segment_schemas import SegmentResponseSerializer, SegmentValiditySerializer

ITEMS = ["Items Assignments"]
SEGMENTS = ["Segments"]

NOT_MODIFIED = {304: OpenApiResponse(description="Unchanged since the ETag in If-None-Match.")}
# siteCode, legalEntityId, customerId and onlyActive come from storefront_filters.
VIEW_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        description="An ETag of an earlier answer; 304 when it is still current.",
    ),
    ACCEPT_LANGUAGE,
]


class SegmentTreeNodeSerializer(serializers.Serializer):
    id = serializers.CharField()
    parentId = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    name = localized_field()
    localizedDescription = localized_field(required=False)
    localizedSlug = localized_field(required=False)
    ecn = serializers.ListField(child=serializers.CharField(), required=False)
    validity = SegmentValiditySerializer()
    position = serializers.IntegerField()
    published = serializers.BooleanField()
    isSegmentAssigned = serializers.BooleanField()
    segmentIds = serializers.ListField(child=serializers.CharField())
    subcategories = serializers.ListField(
        child=serializers.DictField(), help_text="Nested nodes of the same shape, by position."
    )


class MatchItemSerializer(serializers.Serializer):
    id = serializers.CharField()


class MatchRequestSerializer(serializers.Serializer):
    items = MatchItemSerializer(many=True)
    segmentIds = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Required for segment_manage; a customer token defaults to its own segments.",
    )
    site = serializers.CharField(required=False, help_text="Also accepted as siteCode.")


class MatchResultSerializer(serializers.Serializer):
    id = serializers.CharField()
    segmentIds = serializers.ListField(child=serializers.CharField())


def segments_items(view):
    view.get = extend_schema(
        tags=ITEMS,
        summary="Retrieving all item assignments of the caller's segments",
        description=(
            "Item assignments of every segment the customer belongs to (active, valid now, "
            "of the site). A segment_read caller without customerId reads every segment's, "
            "with onlyActive honoured."
        ),
        parameters=[Q_PARAMETER, *LIST_PARAMETERS, *VIEW_PARAMETERS],
        responses={
            200: ItemAssignmentResponseSerializer(many=True),
            **NOT_MODIFIED,
            **ERROR_RESPONSES,
        },
    )(view.get)
    return view


def segment_category_trees(view):
    view.get = extend_schema(
        tags=ITEMS,
        summary="Retrieving category trees for a customer's segments",
        parameters=VIEW_PARAMETERS,
        responses={200: SegmentTreeNodeSerializer(many=True), **NOT_MODIFIED, **ERROR_RESPONSES},
    )(view.get)
    return view


def my_segments(view):
    view.get = extend_schema(
        tags=SEGMENTS,
        summary="Retrieving the caller's active segments",
        parameters=[FIELDS_PARAMETER, *VIEW_PARAMETERS],
        responses={200: SegmentResponseSerializer(many=True), **NOT_MODIFIED, **ERROR_RESPONSES},
    )(view.get)
    return view


def segment_match(view):
    view.post = extend_schema(
        tags=SEGMENTS,
        summary="Checking which items belong to segments",
        description=(
            "The given products that belong to the segments (active, valid now, of the site), "
            "directly or through an assigned category or any of its descendants, each with "
            "the segments that matched."
        ),
        request=MatchRequestSerializer,
        responses={200: MatchResultSerializer(many=True), **ERROR_RESPONSES, **TOO_LARGE},
    )(view.post)
    return view
