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

from .directory_schemas import CustomerResponseSerializer

TAG = ["Segments"]


class SegmentValiditySerializer(serializers.Serializer):
    from_ = serializers.DateTimeField(required=False, allow_null=True)
    to = serializers.DateTimeField(required=False, allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class SegmentCriteriaSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        help_text="The q language over customer documents (the fields of the customer "
        'list\'s q), relative dates allowed: `mixins.orders.lastOrderAt:>="-30d"`.',
    )
    legalEntities = serializers.CharField(
        required=False,
        help_text="The q language over legal-entity documents: customers linked to a "
        "matching legal entity are selected (B2B, for that legal entity).",
    )


class SegmentWriteSerializer(serializers.Serializer):
    name = localized_field(help_text="Localized name; a plain string with Content-Language.")
    description = localized_field(required=False)
    validity = SegmentValiditySerializer(required=False)
    status = serializers.ChoiceField(choices=["ACTIVE", "INACTIVE"], required=False)
    siteCode = serializers.CharField(max_length=64)
    criteria = SegmentCriteriaSerializer(
        required=False,
        allow_null=True,
        help_text="The rule selecting members (an extension of the vendor's segment); "
        "null or absent: members are managed by hand only.",
    )
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
    criteria = SegmentCriteriaSerializer(required=False)
    mixins = serializers.DictField(required=False)
    metadata = MetadataSerializer(required=False)


class CriteriaPreviewSerializer(serializers.Serializer):
    criteria = SegmentCriteriaSerializer()


class CriteriaPreviewResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Customers the rule selects now.")
    totalCustomers = serializers.IntegerField(help_text="Customers of the tenant.")
    sample = CustomerResponseSerializer(
        many=True, help_text="Up to 10 of the selected customers, by id."
    )


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


def criteria_preview(view):
    view.post = extend_schema(
        tags=TAG,
        summary="Previewing the customers a segment rule selects",
        description="Counts the customers `criteria` selects now and shows up to 10 of "
        "them, without saving anything. Customers matching `q` and customers linked to a "
        "legal entity matching `legalEntities` are counted once each.",
        request=CriteriaPreviewSerializer,
        responses={200: CriteriaPreviewResponseSerializer, **ERROR_RESPONSES, **TOO_LARGE},
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
