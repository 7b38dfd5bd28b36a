"""OpenAPI descriptions of the Products endpoints."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers

from segments_project.api.schema_components import (
    ACCEPT_LANGUAGE,
    BODY_ERRORS,
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

TAG = ["Products"]


class ProductWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=128, required=False, allow_null=True)
    name = localized_field(help_text="Localized name; a plain string with Content-Language.")
    published = serializers.BooleanField(required=False, default=True)
    mixins = serializers.DictField(required=False)
    metadata = MetadataWriteSerializer(required=False)


class ProductCreateSerializer(ProductWriteSerializer):
    id = serializers.CharField(required=False, help_text="Generated when not given.")


# Every member is optional: the `fields` parameter may project any of them away. Without
# `fields`, id, name, published and metadata (version, createdAt, modifiedAt) are present.
class ProductResponseSerializer(serializers.Serializer):
    """A product; with `fields`, only the named members (dotted paths) are present."""

    id = serializers.CharField(required=False)
    code = serializers.CharField(required=False, help_text="Absent when the product has none.")
    name = localized_field(
        required=False, help_text="Only the best language for a specific Accept-Language."
    )
    published = serializers.BooleanField(required=False)
    mixins = serializers.DictField(required=False)
    metadata = MetadataSerializer(required=False)


PRODUCT_ID = OpenApiParameter("product_id", OpenApiTypes.STR, OpenApiParameter.PATH)
FIELDS = OpenApiParameter("fields", OpenApiTypes.STR, description="Comma-separated fields.")


def product_collection(view):
    view.get = extend_schema(
        tags=TAG,
        summary="Retrieving all products",
        parameters=[Q_PARAMETER, *LIST_PARAMETERS, ACCEPT_LANGUAGE],
        responses={200: ProductResponseSerializer(many=True), **ERROR_RESPONSES},
    )(view.get)
    view.post = extend_schema(
        tags=TAG,
        summary="Creating a product",
        parameters=[CONTENT_LANGUAGE],
        request=ProductCreateSerializer,
        responses={201: IdSerializer, **ERROR_RESPONSES, **CONFLICT, **BODY_ERRORS},
    )(view.post)
    return view


def product_search(view):
    view.post = extend_schema(
        tags=TAG,
        summary="Searching for products",
        description=(
            "The body's `q` filters like the `q` parameter of the product list; paging, "
            "sorting and `fields` are query parameters, the answer is the list's."
        ),
        parameters=[*LIST_PARAMETERS, ACCEPT_LANGUAGE],
        request=SearchSerializer,
        responses={
            200: ProductResponseSerializer(many=True),
            **ERROR_RESPONSES,
            **TOO_LARGE,
        },
    )(view.post)
    return view


def product_detail(view):
    return document_detail(
        view,
        tags=TAG,
        noun="product",
        id_parameter=PRODUCT_ID,
        response=ProductResponseSerializer,
        write=ProductWriteSerializer,
        read_parameters=[FIELDS, ACCEPT_LANGUAGE],
        write_parameters=[CONTENT_LANGUAGE],
        descriptions={"delete": "Also removes the product's category assignments."},
    )


def product_bulk(view):
    view.put = extend_schema(
        tags=TAG,
        summary="Upserting products in bulk",
        description="At most 200 elements; elements without an id are created.",
        parameters=[CONTENT_LANGUAGE],
        request=ProductCreateSerializer(many=True),
        responses={207: BulkEntrySerializer(many=True), **ERROR_RESPONSES, **BODY_ERRORS},
    )(view.put)
    return view
