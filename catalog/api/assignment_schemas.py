"""OpenAPI descriptions of the category assignment endpoints (products in categories)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers

from segments_project.api.schema_components import (
    ACCEPT_LANGUAGE,
    CONFLICT,
    ERROR_RESPONSES,
    LIST_PARAMETERS,
    NOT_FOUND,
    TOO_LARGE,
    IdSerializer,
    MetadataSerializer,
    localized_field,
)

from .category_schemas import CategoryValiditySerializer

CATEGORY_TAG = ["Category Assignment Resources"]
REFERENCE_TAG = ["Assignment Resources"]


class CategoryAssignmentReferenceSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The product id.")
    type = serializers.ChoiceField(
        choices=["PRODUCT"], help_text="PRODUCT (any capitalization is accepted)."
    )


class CategoryAssignmentCreateSerializer(serializers.Serializer):
    ref = CategoryAssignmentReferenceSerializer()


class CategoryAssignmentUpsertReferenceSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The product id.")
    type = serializers.ChoiceField(choices=["PRODUCT"], required=False)


class CategoryAssignmentUpsertSerializer(serializers.Serializer):
    ref = CategoryAssignmentUpsertReferenceSerializer()


class CategoryAssignmentBulkEntrySerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the element in the request, from 0.")
    assignmentId = serializers.CharField(
        required=False, help_text="The assignment created, or already there."
    )
    productId = serializers.CharField(required=False, help_text="The product of the element.")
    code = serializers.IntegerField(help_text="201, 204 (already there), 400 or 409.")
    status = serializers.CharField()
    message = serializers.CharField(required=False, help_text="Why the element failed.")


class CategoryAssignmentRefSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The product id.", required=False)
    type = serializers.ChoiceField(choices=["PRODUCT"], required=False)
    localizedName = localized_field(help_text="The product's name.", required=False)


class CategoryAssignmentMetadataSerializer(serializers.Serializer):
    createdAt = serializers.DateTimeField(required=False)
    modifiedAt = serializers.DateTimeField(required=False)


class CategoryAssignmentResponseSerializer(serializers.Serializer):
    # Every member is optional: the `fields` parameter may project any of them away.
    id = serializers.CharField(required=False)
    categoryId = serializers.CharField(required=False)
    ref = CategoryAssignmentRefSerializer(required=False)
    metadata = CategoryAssignmentMetadataSerializer(required=False)


class CategoryAssignmentValiditySerializer(CategoryValiditySerializer):
    # The same shape; the vendor's schema names it apart (its own OpenAPI component).
    pass


class CategoryAssignmentCategorySerializer(serializers.Serializer):
    """A category a product is in (the vendor's Category schema)."""

    id = serializers.CharField(required=False)
    parentId = serializers.CharField(required=False, help_text="Absent for a root category.")
    localizedName = localized_field(required=False)
    localizedDescription = localized_field(required=False)
    localizedSlug = localized_field(required=False)
    code = serializers.CharField(required=False)
    ecn = serializers.ListField(child=serializers.CharField(), required=False)
    validity = CategoryAssignmentValiditySerializer(required=False)
    position = serializers.IntegerField(required=False)
    published = serializers.BooleanField(required=False)
    supercategoriesIds = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Ids of all ancestors, root first (with expandSupercategoriesIds=true).",
    )
    mixins = serializers.DictField(required=False)
    media = serializers.ListField(child=serializers.DictField(), required=False)
    metadata = MetadataSerializer(required=False)


CATEGORY_ID = OpenApiParameter(
    "category_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The category id."
)
ASSIGNMENT_ID = OpenApiParameter(
    "assignment_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The assignment id."
)
REFERENCE_ID = OpenApiParameter(
    "reference_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The product id."
)
ASSIGNMENT_TYPE = OpenApiParameter(
    "assignmentType", OpenApiTypes.STR, enum=["PRODUCT"], description="Only PRODUCT."
)
# The filters (ref.id, showUnpublished, ...) come from assignment_filters.
ASSIGNMENT_LIST_PARAMETERS = [CATEGORY_ID, ASSIGNMENT_TYPE, *LIST_PARAMETERS, ACCEPT_LANGUAGE]
BULK_RESPONSES = {
    207: CategoryAssignmentBulkEntrySerializer(many=True),
    **ERROR_RESPONSES,
    **NOT_FOUND,
    **TOO_LARGE,
}
DELETED = {204: OpenApiResponse(description="Deleted (or was not there).")}


def assignment_collection(view):
    view.get = extend_schema(
        tags=CATEGORY_TAG,
        summary="Retrieving resources assigned to a category",
        parameters=ASSIGNMENT_LIST_PARAMETERS,
        responses={
            200: CategoryAssignmentResponseSerializer(many=True),
            **ERROR_RESPONSES,
            **NOT_FOUND,
        },
    )(view.get)
    view.post = extend_schema(
        tags=CATEGORY_TAG,
        summary="Assigning a resource to a category",
        parameters=[CATEGORY_ID],
        request=CategoryAssignmentCreateSerializer,
        responses={201: IdSerializer, **ERROR_RESPONSES, **NOT_FOUND, **CONFLICT, **TOO_LARGE},
    )(view.post)
    view.delete = extend_schema(
        tags=CATEGORY_TAG,
        summary="Deleting all category assignments",
        parameters=[CATEGORY_ID, ASSIGNMENT_TYPE],
        responses={**DELETED, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.delete)
    return view


def assignment_bulk(view):
    view.post = extend_schema(
        tags=CATEGORY_TAG,
        summary="Assigning resources to a category",
        description="At most 200 elements; 207 with one entry per element, in order.",
        parameters=[CATEGORY_ID],
        request=CategoryAssignmentCreateSerializer(many=True),
        responses=BULK_RESPONSES,
    )(view.post)
    return view


def assignment_reference_bulk(view):
    view.put = extend_schema(
        tags=CATEGORY_TAG,
        summary="Updating assignment of resources to a category",
        description=(
            "Puts each product in the category unless it is there (201 created, 204 already "
            "there). At most 200 elements; 207 with one entry per element, in order."
        ),
        parameters=[CATEGORY_ID],
        request=CategoryAssignmentUpsertSerializer(many=True),
        responses=BULK_RESPONSES,
    )(view.put)
    return view


def assignment_reference(view):
    view.put = extend_schema(
        tags=CATEGORY_TAG,
        summary="Upserting a resource to a category assignment",
        parameters=[CATEGORY_ID, REFERENCE_ID],
        request=None,
        responses={
            201: IdSerializer,
            204: OpenApiResponse(description="The product was in the category already."),
            **ERROR_RESPONSES,
            **NOT_FOUND,
        },
    )(view.put)
    view.delete = extend_schema(
        tags=CATEGORY_TAG,
        summary="Deleting a category assignment by reference id",
        parameters=[CATEGORY_ID, REFERENCE_ID],
        responses={**DELETED, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.delete)
    return view


def assignment_detail(view):
    view.delete = extend_schema(
        tags=CATEGORY_TAG,
        summary="Deleting a category assignment by id",
        parameters=[CATEGORY_ID, ASSIGNMENT_ID],
        responses={**DELETED, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.delete)
    return view


def product_categories(view):
    view.get = extend_schema(
        tags=REFERENCE_TAG,
        summary="Retrieving a list of categories for which the reference id is assigned",
        parameters=[REFERENCE_ID, *LIST_PARAMETERS, ACCEPT_LANGUAGE],
        responses={200: CategoryAssignmentCategorySerializer(many=True), **ERROR_RESPONSES},
    )(view.get)
    view.delete = extend_schema(
        tags=REFERENCE_TAG,
        summary="Deleting all assignments by referenceId",
        parameters=[REFERENCE_ID],
        responses={**DELETED, **ERROR_RESPONSES},
    )(view.delete)
    return view
