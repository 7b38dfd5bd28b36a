"""OpenAPI descriptions of the category and category-tree endpoints."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers

from segments_project.api.schema_components import (
    ACCEPT_LANGUAGE,
    CONFLICT,
    CONTENT_LANGUAGE,
    ERROR_RESPONSES,
    LIST_PARAMETERS,
    NOT_FOUND,
    Q_PARAMETER,
    TOO_LARGE,
    IdSerializer,
    MetadataSerializer,
    MetadataWriteSerializer,
    SearchSerializer,
    localized_field,
)
from segments_project.api.schema_operations import document_detail

CATEGORIES = ["Category Resources"]
TREES = ["Category Tree Resources"]


class CategoryValiditySerializer(serializers.Serializer):
    from_ = serializers.DateTimeField(required=False)
    to = serializers.DateTimeField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class CategoryWriteSerializer(serializers.Serializer):
    parentId = serializers.CharField(required=False, allow_null=True)
    localizedName = localized_field()
    localizedDescription = localized_field(required=False)
    localizedSlug = localized_field(required=False)
    code = serializers.CharField(required=False, allow_null=True)
    ecn = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    validity = CategoryValiditySerializer(required=False)
    position = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    published = serializers.BooleanField(required=False)
    mixins = serializers.DictField(required=False)
    metadata = MetadataWriteSerializer(required=False)


class CategoryCreateSerializer(CategoryWriteSerializer):
    id = serializers.CharField(required=False, help_text="Generated when not given.")


class CategoryNodeFields(serializers.Serializer):
    id = serializers.CharField()
    parentId = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    localizedName = localized_field()
    localizedDescription = localized_field(required=False)
    localizedSlug = localized_field(required=False)
    ecn = serializers.ListField(child=serializers.CharField(), required=False)
    validity = CategoryValiditySerializer()
    position = serializers.IntegerField()
    published = serializers.BooleanField()


class CategoryResponseSerializer(serializers.Serializer):
    # Every member is optional: the `fields` parameter may project any of them away.
    id = serializers.CharField(required=False)
    parentId = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    localizedName = localized_field(required=False)
    localizedDescription = localized_field(required=False)
    localizedSlug = localized_field(required=False)
    ecn = serializers.ListField(child=serializers.CharField(), required=False)
    validity = CategoryValiditySerializer(required=False)
    position = serializers.IntegerField(required=False)
    published = serializers.BooleanField(required=False)
    mixins = serializers.DictField(required=False)
    media = serializers.ListField(child=serializers.DictField(), required=False)
    metadata = MetadataSerializer(required=False)


class CategoryTreeSerializer(CategoryNodeFields):
    name = serializers.CharField(help_text="The name in the best matching language.")
    subcategories = serializers.ListField(
        child=serializers.DictField(), help_text="Nested CategoryTree nodes, in position order."
    )


class CategoryTreeSearchSerializer(serializers.Serializer):
    categoryIds = serializers.ListField(
        child=serializers.CharField(),
        max_length=200,
        help_text="The categories the trees start at (at most 200).",
    )


class DeprecatedCategoryTreeSerializer(serializers.Serializer):
    id = serializers.CharField()
    parentId = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    name = serializers.CharField(help_text="The name in the best matching language.")
    description = serializers.CharField(
        required=False, help_text="The description in the best matching language."
    )
    ecn = serializers.ListField(child=serializers.CharField(), required=False)
    position = serializers.IntegerField()
    published = serializers.BooleanField()
    subcategories = serializers.ListField(
        child=serializers.DictField(), help_text="Nested nodes of the same shape."
    )


CATEGORY_ID = OpenApiParameter("category_id", OpenApiTypes.STR, OpenApiParameter.PATH)
ROOT_CATEGORY_ID = OpenApiParameter(
    "root_category_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The id of a root category.",
)
WITH_SUBCATEGORIES = OpenApiParameter(
    "withSubcategories", OpenApiTypes.BOOL, description="Also delete every subcategory."
)


def category_collection(view):
    view.get = extend_schema(
        tags=CATEGORIES,
        summary="Retrieving a list of categories",
        parameters=[Q_PARAMETER, *LIST_PARAMETERS, ACCEPT_LANGUAGE],
        responses={200: CategoryResponseSerializer(many=True), **ERROR_RESPONSES},
    )(view.get)
    view.post = extend_schema(
        tags=CATEGORIES,
        summary="Creating a category",
        parameters=[CONTENT_LANGUAGE],
        request=CategoryCreateSerializer,
        responses={201: IdSerializer, **ERROR_RESPONSES, **CONFLICT, **TOO_LARGE},
    )(view.post)
    return view


def category_search(view):
    view.post = extend_schema(
        tags=CATEGORIES,
        summary="Searching for categories",
        parameters=[*LIST_PARAMETERS, ACCEPT_LANGUAGE],
        request=SearchSerializer,
        responses={200: CategoryResponseSerializer(many=True), **ERROR_RESPONSES, **TOO_LARGE},
    )(view.post)
    return view


def category_detail(view):
    return document_detail(
        view,
        tags=CATEGORIES,
        noun="category",
        id_parameter=CATEGORY_ID,
        response=CategoryResponseSerializer,
        write=CategoryWriteSerializer,
        read_parameters=[OpenApiParameter("fields", OpenApiTypes.STR), ACCEPT_LANGUAGE],
        write_parameters=[CONTENT_LANGUAGE],
        delete_parameters=[WITH_SUBCATEGORIES],
        summaries={"patch": "Partially updating a category"},
        descriptions={"put": "A changed parentId moves the category with its whole subtree."},
    )


def category_subcategories(view):
    view.get = extend_schema(
        tags=CATEGORIES,
        summary="Retrieving subcategories",
        parameters=[CATEGORY_ID, *LIST_PARAMETERS, ACCEPT_LANGUAGE],
        responses={200: CategoryResponseSerializer(many=True), **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    return view


def category_parents(view):
    view.get = extend_schema(
        tags=CATEGORIES,
        summary="Retrieving the parents of a category, root first",
        parameters=[CATEGORY_ID, ACCEPT_LANGUAGE],
        responses={200: CategoryResponseSerializer(many=True), **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    return view


def category_trees(view):
    view.get = extend_schema(
        tags=TREES,
        summary="Retrieving the category trees",
        parameters=[ACCEPT_LANGUAGE],
        responses={200: CategoryTreeSerializer(many=True), **ERROR_RESPONSES},
    )(view.get)
    return view


def category_tree(view):
    view.get = extend_schema(
        tags=TREES,
        summary="Retrieving the category tree of a category",
        parameters=[CATEGORY_ID, ACCEPT_LANGUAGE],
        responses={200: CategoryTreeSerializer, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    return view


def category_tree_search(view):
    view.post = extend_schema(
        tags=TREES,
        summary="Searching for category trees",
        parameters=[ACCEPT_LANGUAGE],
        request=CategoryTreeSearchSerializer,
        responses={200: CategoryTreeSerializer(many=True), **ERROR_RESPONSES, **TOO_LARGE},
    )(view.post)
    return view


def category_tree_rebuild(view):
    view.post = extend_schema(
        tags=TREES,
        summary="Rebuilding a category tree",
        parameters=[ROOT_CATEGORY_ID, ACCEPT_LANGUAGE],
        request=None,
        responses={200: CategoryTreeSerializer, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.post)
    return view


def category_tree_deprecated(view):
    view.get = extend_schema(
        tags=TREES,
        summary="Retrieving a category tree (deprecated)",
        deprecated=True,
        parameters=[ACCEPT_LANGUAGE],
        responses={200: DeprecatedCategoryTreeSerializer, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    return view
