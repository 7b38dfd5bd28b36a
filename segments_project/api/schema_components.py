"""Serializers that describe the shared wire shapes in the OpenAPI schema.

They only describe: incoming documents are validated by each app's `documents/`
functions, which the services call.
"""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema_field,
)
from rest_framework import serializers

_DETAIL_OBJECT = {
    "type": "object",
    "properties": {
        # Absent when the problem concerns no field.
        "field": {"type": "string"},
        "type": {"type": "string"},
        "message": {"type": "string"},
    },
    "required": ["type", "message"],
}
_BARE_DETAIL = {
    "type": "string",
    "description": "A bare message: a 403's `missing scope: <scope>`, one per scope that would do.",
}


@extend_schema_field({"oneOf": [_DETAIL_OBJECT, _BARE_DETAIL]})
class ErrorDetailField(serializers.JSONField):
    """One entry of `details`: a problem object (`field`, `type`, `message`) or a bare
    message string (a missing scope). A refusal of coupon validation or redemption names
    its reason in upper case (`NOT_A_SEGMENT_MEMBER`, docs/compatibility.md)."""


class ErrorSerializer(serializers.Serializer):
    """The customer-segment error (also customer paths): the operations declare this one,
    and `ScopedAutoSchema` swaps in the family's own (`FAMILY_ERRORS`) by path."""

    code = serializers.IntegerField()
    status = serializers.CharField()
    message = serializers.CharField()
    resourceId = serializers.CharField(required=False)
    details = serializers.ListField(child=ErrorDetailField(), required=False)


_ERROR_TYPE = r"^[a-z]+[a-z_]*[a-z]+$"


class CouponErrorSerializer(serializers.Serializer):
    """The Coupon API's error: the integer status and a lowercase error type."""

    status = serializers.IntegerField(min_value=100, max_value=599)
    type = serializers.RegexField(_ERROR_TYPE)
    message = serializers.CharField()
    details = serializers.ListField(child=ErrorDetailField(), required=False)


class CategoryErrorSerializer(serializers.Serializer):
    """The Category Tree API's `ErrorResponse`: `details` always present, a list of strings."""

    code = serializers.IntegerField()
    status = serializers.CharField()
    message = serializers.CharField()
    resourceId = serializers.CharField(required=False)
    details = serializers.ListField(child=serializers.CharField())


class ProductErrorSerializer(serializers.Serializer):
    """The Product API's error: `productId` names the product a 404 is about."""

    code = serializers.IntegerField()
    status = serializers.CharField()
    message = serializers.CharField()
    productId = serializers.CharField(required=False)
    details = serializers.ListField(child=ErrorDetailField(), required=False)


class FaultDetailSerializer(serializers.Serializer):
    errorcode = serializers.CharField()


class FaultSerializer(serializers.Serializer):
    faultstring = serializers.CharField()
    detail = FaultDetailSerializer()


class UnauthorizedSerializer(serializers.Serializer):
    fault = FaultSerializer()


class IdSerializer(serializers.Serializer):
    id = serializers.CharField()


class BulkEntrySerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the element in the request, from 0.")
    id = serializers.CharField(required=False)
    code = serializers.IntegerField()
    status = serializers.CharField()
    message = serializers.CharField(required=False)


class MetadataSerializer(serializers.Serializer):
    # Response members are optional: the `fields` parameter may project any of them away.
    version = serializers.IntegerField(required=False)
    createdAt = serializers.DateTimeField(required=False)
    modifiedAt = serializers.DateTimeField(required=False)
    mixins = serializers.DictField(child=serializers.CharField(), required=False)


class MetadataWriteSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, help_text="The version the write is based on."
    )
    mixins = serializers.DictField(child=serializers.CharField(), required=False)


class PatchOperationSerializer(serializers.Serializer):
    op = serializers.ChoiceField(choices=["add", "remove", "replace", "copy", "move", "test"])
    path = serializers.CharField()
    value = serializers.JSONField(required=False)


class SearchSerializer(serializers.Serializer):
    q = serializers.CharField(required=False)


def localized_field(**kwargs) -> serializers.DictField:
    return serializers.DictField(child=serializers.CharField(), **kwargs)


ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorSerializer, description="Validation problem or bad parameters."),
    401: OpenApiResponse(UnauthorizedSerializer, description="Missing, invalid or expired token."),
    403: OpenApiResponse(
        ErrorSerializer, description="The token lacks the operation's scope or tenant."
    ),
}
NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="Resource not found.")}
CONFLICT = {409: OpenApiResponse(ErrorSerializer, description="Already exists, or stale version.")}
# What any operation that reads a body may answer about the body itself.
BODY_ERRORS = {
    413: OpenApiResponse(ErrorSerializer, description="Request body too large."),
    415: OpenApiResponse(ErrorSerializer, description="Unsupported Content-Type."),
}
TOO_LARGE = BODY_ERRORS
# The 204s of a document's writes (coupons answer their updates differently: a 200).
UPDATED = {204: OpenApiResponse(description="Updated.")}
DELETED = {204: OpenApiResponse(description="Deleted (or did not exist).")}
PATCH_DESCRIPTION = "An RFC 6902 JSON Patch array, or an RFC 7396 merge-patch object."

FIELDS_PARAMETER = OpenApiParameter(
    "fields", OpenApiTypes.STR, description="Comma-separated fields to return."
)
LIST_PARAMETERS = [
    OpenApiParameter("pageNumber", OpenApiTypes.INT, description="1-based page number."),
    OpenApiParameter(
        "pageSize", OpenApiTypes.INT, description="Page size (default 60, at most 1000)."
    ),
    OpenApiParameter("sort", OpenApiTypes.STR, description="`field:asc,other:desc`."),
    FIELDS_PARAMETER,
    OpenApiParameter(
        "X-Total-Count",
        OpenApiTypes.BOOL,
        location=OpenApiParameter.HEADER,
        description="`true` adds an X-Total-Count header to the response.",
    ),
]
Q_PARAMETER = OpenApiParameter("q", OpenApiTypes.STR, description="Filter in the q query language.")
ACCEPT_LANGUAGE = OpenApiParameter(
    "Accept-Language",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="`*` (all languages), a code, or a weighted list.",
)
CONTENT_LANGUAGE = OpenApiParameter(
    "Content-Language",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="`*` (localized fields are maps) or one language code (plain strings allowed).",
)
