"""OpenAPI descriptions of the customer directory endpoints (customers, legal entities)."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiTypes,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers

from segments_project.api.schema_components import (
    BODY_ERRORS,
    ERROR_RESPONSES,
    LIST_PARAMETERS,
    Q_PARAMETER,
    BulkEntrySerializer,
    MetadataSerializer,
    MetadataWriteSerializer,
)
from segments_project.api.schema_operations import document_detail

CUSTOMER_TAG = ["Customers"]
LEGAL_ENTITY_TAG = ["Legal Entities"]


# The codes' patterns admit the empty text (unset). (`allow_blank` would add a `maxLength: 0`
# alternative that the empty text matches as well, which `oneOf` refuses; the serializers
# describe, they do not validate: `customer_values` does.)
@extend_schema_field({"type": "string", "pattern": r"^([a-z]{2,3}(_[A-Z]{2})?)?$"})
class LanguageCodeField(serializers.Field):
    pass


@extend_schema_field({"type": "string", "pattern": r"^([A-Z]{3})?$"})
class CurrencyCodeField(serializers.Field):
    pass


class CustomerB2BSerializer(serializers.Serializer):
    companyRegistrationId = serializers.CharField(
        max_length=255, required=False, allow_blank=True, allow_null=True
    )


class CustomerAddressSerializer(serializers.Serializer):
    """An address of the customer; `q` finds customers by any address
    (`addresses.country:DE`, `addresses.tags:billing`)."""

    id = serializers.CharField(max_length=255, required=False, allow_blank=True)
    contactName = serializers.CharField(max_length=255, required=False, allow_blank=True)
    companyName = serializers.CharField(max_length=255, required=False, allow_blank=True)
    street = serializers.CharField(max_length=255, required=False, allow_blank=True)
    streetNumber = serializers.CharField(max_length=255, required=False, allow_blank=True)
    streetAppendix = serializers.CharField(max_length=255, required=False, allow_blank=True)
    extraLine1 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    extraLine2 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    extraLine3 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    extraLine4 = serializers.CharField(max_length=255, required=False, allow_blank=True)
    zipCode = serializers.CharField(max_length=255, required=False, allow_blank=True)
    city = serializers.CharField(max_length=255, required=False, allow_blank=True)
    state = serializers.CharField(max_length=255, required=False, allow_blank=True)
    contactPhone = serializers.CharField(max_length=64, required=False, allow_blank=True)
    country = serializers.RegexField(
        r"^[A-Z]{2}$", required=False, help_text="ISO 3166-1 alpha-2 code, e.g. DE."
    )
    isDefault = serializers.BooleanField(
        required=False, help_text="At most one address is the default. Absent means false."
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=128), required=False)
    mixins = serializers.DictField(required=False)


# The members of Emporix's customer that segments select on (no docstring: it would
# become the description of the components that inherit it).
class CustomerProfileSerializer(serializers.Serializer):
    contactPhone = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True
    )
    company = serializers.CharField(
        max_length=255, required=False, allow_blank=True, allow_null=True
    )
    preferredSite = serializers.CharField(
        max_length=64, required=False, allow_blank=True, allow_null=True
    )
    preferredLanguage = LanguageCodeField(
        required=False,
        allow_null=True,
        help_text="A language code like en or en_US; empty when unset.",
    )
    preferredCurrency = CurrencyCodeField(
        required=False,
        allow_null=True,
        help_text="An ISO 4217 currency code, e.g. EUR; empty when unset.",
    )
    active = serializers.BooleanField(required=False, help_text="Absent means true.")
    onHold = serializers.BooleanField(required=False, help_text="Absent means false.")
    b2b = CustomerB2BSerializer(required=False, allow_null=True)
    addresses = CustomerAddressSerializer(many=True, required=False, allow_null=True)


class CustomerWriteSerializer(CustomerProfileSerializer):
    firstName = serializers.CharField(
        max_length=255, required=False, allow_blank=True, allow_null=True
    )
    lastName = serializers.CharField(
        max_length=255, required=False, allow_blank=True, allow_null=True
    )
    email = serializers.EmailField(
        max_length=320, required=False, allow_blank=True, allow_null=True
    )
    legalEntityIds = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        help_text="Ids of the tenant's legal entities the customer acts for; replaces the "
        "current links. Absent means none.",
    )
    mixins = serializers.DictField(required=False)
    metadata = MetadataWriteSerializer(required=False)


class CustomerBulkElementSerializer(CustomerWriteSerializer):
    id = serializers.CharField(help_text="The customer to create or replace.")


# Every member is optional: the `fields` parameter may project any of them away. Without
# `fields`, every member but `mixins` (absent when empty) and `b2b` (absent without a
# company registration id) is present.
class CustomerResponseSerializer(CustomerProfileSerializer):
    """A customer; with `fields`, only the named members (dotted paths) are present."""

    id = serializers.CharField(required=False)
    firstName = serializers.CharField(required=False, allow_blank=True)
    lastName = serializers.CharField(required=False, allow_blank=True)
    email = serializers.CharField(required=False, allow_blank=True)
    legalEntityIds = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Sorted."
    )
    mixins = serializers.DictField(required=False)
    metadata = MetadataSerializer(required=False)


class LegalEntityWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    mixins = serializers.DictField(required=False)
    metadata = MetadataWriteSerializer(required=False)


class LegalEntityBulkElementSerializer(LegalEntityWriteSerializer):
    id = serializers.CharField(help_text="The legal entity to create or replace.")


class LegalEntityResponseSerializer(serializers.Serializer):
    """A legal entity; with `fields`, only the named members (dotted paths) are present."""

    id = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    mixins = serializers.DictField(required=False)
    metadata = MetadataSerializer(required=False)


CUSTOMER_ID = OpenApiParameter("customer_id", OpenApiTypes.STR, OpenApiParameter.PATH)
LEGAL_ENTITY_ID = OpenApiParameter("legal_entity_id", OpenApiTypes.STR, OpenApiParameter.PATH)
FIELDS = OpenApiParameter("fields", OpenApiTypes.STR, description="Comma-separated fields.")
BULK_DESCRIPTION = "At most 200 elements, each with its id; one entry per element, from index 0."


def customer_collection(view):
    view.get = extend_schema(
        tags=CUSTOMER_TAG,
        summary="Retrieving all customers",
        description="`legalEntityIds:x` in `q` matches the customers linked to x; "
        "`addresses.<member>:...` (e.g. `addresses.country:DE`) the customers with any "
        "address that matches.",
        parameters=[Q_PARAMETER, *LIST_PARAMETERS],
        responses={200: CustomerResponseSerializer(many=True), **ERROR_RESPONSES},
    )(view.get)
    return view


def customer_detail(view):
    return document_detail(
        view,
        tags=CUSTOMER_TAG,
        noun="customer",
        id_parameter=CUSTOMER_ID,
        response=CustomerResponseSerializer,
        write=CustomerWriteSerializer,
        read_parameters=[FIELDS],
        descriptions={
            "delete": "Also removes the customer's segment memberships and revokes every "
            "token that acts for the customer."
        },
    )


def customer_bulk(view):
    view.put = extend_schema(
        tags=CUSTOMER_TAG,
        summary="Upserting customers in bulk",
        description=BULK_DESCRIPTION,
        request=CustomerBulkElementSerializer(many=True),
        responses={207: BulkEntrySerializer(many=True), **ERROR_RESPONSES, **BODY_ERRORS},
    )(view.put)
    return view


def legal_entity_collection(view):
    view.get = extend_schema(
        tags=LEGAL_ENTITY_TAG,
        summary="Retrieving all legal entities",
        parameters=[Q_PARAMETER, *LIST_PARAMETERS],
        responses={200: LegalEntityResponseSerializer(many=True), **ERROR_RESPONSES},
    )(view.get)
    return view


def legal_entity_detail(view):
    return document_detail(
        view,
        tags=LEGAL_ENTITY_TAG,
        noun="legal entity",
        id_parameter=LEGAL_ENTITY_ID,
        response=LegalEntityResponseSerializer,
        write=LegalEntityWriteSerializer,
        read_parameters=[FIELDS],
        descriptions={
            "delete": "Also removes the customers' links to it and the B2B segment "
            "memberships for it; the customers stay."
        },
    )


def legal_entity_bulk(view):
    view.put = extend_schema(
        tags=LEGAL_ENTITY_TAG,
        summary="Upserting legal entities in bulk",
        description=BULK_DESCRIPTION,
        request=LegalEntityBulkElementSerializer(many=True),
        responses={207: BulkEntrySerializer(many=True), **ERROR_RESPONSES, **BODY_ERRORS},
    )(view.put)
    return view
