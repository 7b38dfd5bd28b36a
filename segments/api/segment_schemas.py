"""OpenAPI descriptions of the Segments endpoints."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers

from segments_project.api.schema_components import (
    ACCEPT_LANGUAGE,
    CONFLICT,
    CONTENT_LANGUAGE,
    ERROR_RESPONSES,
    LIST_PARAMETERS,
    Q_PARAMETER,
    TOO_LARGE,
    BulkEntrySerializer,
    IdSerializer,
    MetadataSerializer,
    MetadataWriteSerializer,
    SearchSerializer,
    localized_field,
)
from segments_project.api.schema_operations import document_detail

TAG = ["Segments"]


class SegmentValiditySerializer(serializers.Serializer):
    from_ = serializers.DateTimeField(required=False, allow_null=True)
    to = serializers.DateTimeField(required=False, allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class SegmentWriteSerializer(serializers.Serializer):
    name = localized_field(help_text="Localized name; a plain string with Content-Language.")
    description = localized_field(required=False)
    validity = SegmentValiditySerializer(required=False)
    status = serializers.ChoiceField(choices=["ACTIVE", "INACTIVE"], required=False)
    siteCode = serializers.CharField(max_length=64)
    mixins = serializers.DictField(required=False)
    metadata = MetadataWriteSerializer(required=False)


class SegmentCreateSerializer(SegmentWriteSerializer):
    id = serializers.CharField(required=False, help_text="Generated when not given.")


class SegmentResponseSerializer(serializers.Serializer):
    # Every member is optional: the `fields` parameter may project any of them away.
    id = serializers.CharField(required=False)
    name = localized_field(required=False)
    description = localized_field(required=False)
    validity = SegmentValiditySerializer(required=False)
    status = serializers.ChoiceField(choices=["ACTIVE", "INACTIVE"], required=False)
    siteCode = serializers.CharField(required=False)
    mixins = serializers.DictField(required=False)
    metadata = MetadataSerializer(required=False)


SEGMENT_ID = OpenApiParameter("segment_id", OpenApiTypes.STR, OpenApiParameter.PATH)
# The list's customerId and legalEntityId come from segment_filters; a single segment's
# read documents legalEntityId too.
LEGAL_ENTITY_ID = OpenApiParameter(
    "legalEntityId", OpenApiTypes.STR, description="The legal entity the customer acts for."
)
FORCE_DELETE = OpenApiParameter(
    "forceDelete", OpenApiTypes.BOOL, description="Also delete the segment's assignments."
)
BULK_RESPONSES = {207: BulkEntrySerializer(many=True), **ERROR_RESPONSES, **TOO_LARGE}


def segment_collection(view):
    view.get = extend_schema(
        tags=TAG,
        summary="Retrieving all customer segments",
        parameters=[Q_PARAMETER, *LIST_PARAMETERS, ACCEPT_LANGUAGE],
        responses={200: SegmentResponseSerializer(many=True), **ERROR_RESPONSES},
    )(view.get)
    view.post = extend_schema(
        tags=TAG,
        summary="Creating a customer segment",
        parameters=[CONTENT_LANGUAGE],
        request=SegmentCreateSerializer,
        responses={201: IdSerializer, **ERROR_RESPONSES, **CONFLICT, **TOO_LARGE},
    )(view.post)
    return view


def segment_search(view):
    view.post = extend_schema(
        tags=TAG,
        summary="Searching with parameters for customer segments",
        parameters=[*LIST_PARAMETERS, ACCEPT_LANGUAGE],
        request=SearchSerializer,
        responses={200: SegmentResponseSerializer(many=True), **ERROR_RESPONSES, **TOO_LARGE},
    )(view.post)
    return view


def segment_detail(view):
    return document_detail(
        view,
        tags=TAG,
        noun="customer segment",
        id_parameter=SEGMENT_ID,
        response=SegmentResponseSerializer,
        write=SegmentWriteSerializer,
        read_parameters=[
            OpenApiParameter("fields", OpenApiTypes.STR),
            ACCEPT_LANGUAGE,
            LEGAL_ENTITY_ID,
        ],
        write_parameters=[CONTENT_LANGUAGE],
        delete_parameters=[FORCE_DELETE],
    )


def segment_bulk(view):
    view.post = extend_schema(
        tags=TAG,
        summary="Creating customer segments in bulk",
        parameters=[CONTENT_LANGUAGE],
        request=SegmentCreateSerializer(many=True),
        responses=BULK_RESPONSES,
    )(view.post)
    view.put = extend_schema(
        tags=TAG,
        summary="Upserting customer segments in bulk",
        parameters=[CONTENT_LANGUAGE],
        request=SegmentCreateSerializer(many=True),
        responses=BULK_RESPONSES,
    )(view.put)
    view.delete = extend_schema(
        tags=TAG,
        summary="Deleting customer segments in bulk",
        parameters=[FORCE_DELETE],
        request=serializers.ListField(child=serializers.CharField()),
        responses=BULK_RESPONSES,
    )(view.delete)
    return view
