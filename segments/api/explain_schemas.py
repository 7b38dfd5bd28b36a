"""OpenAPI description of `GET /segments/explain`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from segments_project.api.schema_components import (
    ACCEPT_LANGUAGE,
    ERROR_RESPONSES,
    NOT_FOUND,
    localized_field,
)

from ..documents.explain import MEMBERSHIP_HOWS

SEGMENTS = ["Segments"]


class ExplainValiditySerializer(serializers.Serializer):
    from_ = serializers.DateTimeField(allow_null=True)
    to = serializers.DateTimeField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class ExplainMembershipSerializer(serializers.Serializer):
    how = serializers.ChoiceField(
        choices=list(MEMBERSHIP_HOWS),
        help_text="MANUAL: assigned by hand, by file or through the API. AUTOMATIC: made by "
        "the segment's rule (see `rule`). EXCLUDED: an exclusion keeps the customer out of "
        "the rule's members (never applies; MANUAL memberships stay).",
    )
    legalEntityId = serializers.CharField(
        allow_null=True, help_text="The legal entity of a B2B membership; null for B2C."
    )
    applies = serializers.BooleanField(
        help_text="Whether this assignment makes the customer a member in the asked context."
    )
    reason = serializers.CharField(allow_null=True, help_text="Why it does not apply.")


class ExplainConditionSerializer(serializers.Serializer):
    condition = serializers.CharField(help_text="A top-level condition of q, as written.")
    field = serializers.CharField(help_text="The customer field it is about.")
    values = serializers.ListField(
        child=serializers.JSONField(),
        help_text="The customer's values of the field, as the customer document shows them "
        "(each element of an array such as addresses or legalEntityIds); empty when absent.",
    )
    holds = serializers.BooleanField(help_text="Whether the condition holds for the customer.")


class ExplainRuleQSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="criteria.q")
    matches = serializers.BooleanField(
        help_text="Every condition holds: the customer is a B2C member of the rule."
    )
    conditions = ExplainConditionSerializer(many=True)


class ExplainRuleLegalEntitiesSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="criteria.legalEntities")
    matchingLegalEntityIds = serializers.ListField(
        child=serializers.CharField(),
        help_text="The customer's legal entities the query selects: a B2B member for each.",
    )
    otherLegalEntityIds = serializers.ListField(
        child=serializers.CharField(), help_text="The customer's other legal entities."
    )


class ExplainRuleSerializer(serializers.Serializer):
    matches = serializers.BooleanField(help_text="The rule selects the customer now.")
    q = ExplainRuleQSerializer(allow_null=True)
    legalEntities = ExplainRuleLegalEntitiesSerializer(allow_null=True)
    notes = serializers.ListField(
        child=serializers.CharField(),
        help_text="Where the stored members lag behind the rule (an evaluation is pending), "
        "or why the rule cannot be evaluated.",
    )


class ExplainSegmentSerializer(serializers.Serializer):
    segmentId = serializers.CharField()
    name = localized_field()
    status = serializers.CharField()
    siteCode = serializers.CharField()
    validity = ExplainValiditySerializer()
    member = serializers.BooleanField()
    memberships = ExplainMembershipSerializer(many=True)
    counts = serializers.BooleanField(
        help_text="The storefront draws on this segment for the customer now: member, "
        "ACTIVE, inside its validity window, of the asked site."
    )
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text="Why the segment does not count (empty if it does).",
    )
    rule = ExplainRuleSerializer(
        allow_null=True,
        help_text="What the segment's rule (criteria) says about the customer now; null for "
        "a segment without a rule.",
    )


class ExplainAssignedItemSerializer(serializers.Serializer):
    itemType = serializers.ChoiceField(choices=["PRODUCT", "CATEGORY"])
    itemId = serializers.CharField()


class ExplainRouteSerializer(serializers.Serializer):
    segmentId = serializers.CharField()
    assignment = ExplainAssignedItemSerializer(help_text="The segment's item assignment.")
    categoryPath = serializers.ListField(
        child=serializers.CharField(),
        help_text="Category ids from the assigned category down to the one holding the item; "
        "empty for a product assigned directly.",
    )
    counts = serializers.BooleanField(help_text="Whether the segment counts for the customer.")


class ExplainItemSerializer(serializers.Serializer):
    itemType = serializers.ChoiceField(choices=["PRODUCT", "CATEGORY"])
    itemId = serializers.CharField()
    found = serializers.BooleanField()
    published = serializers.BooleanField(allow_null=True)
    visible = serializers.BooleanField()
    visibleThrough = serializers.ListField(
        child=serializers.CharField(), help_text="The segments through which the customer sees it."
    )
    routes = ExplainRouteSerializer(many=True)
    reason = serializers.CharField(allow_null=True, help_text="Why the item is not visible.")
    notes = serializers.ListField(child=serializers.CharField())


class ExplainResponseSerializer(serializers.Serializer):
    customerId = serializers.CharField()
    legalEntityId = serializers.CharField(allow_null=True)
    actsForLegalEntity = serializers.BooleanField(allow_null=True)
    siteCode = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()
    segments = ExplainSegmentSerializer(many=True)
    item = ExplainItemSerializer(required=False)


def segments_explain(view):
    view.get = extend_schema(
        tags=SEGMENTS,
        summary="Explaining why a customer sees an item (or not)",
        description=(
            "Every segment that concerns the customer (assigned to them, selecting them by "
            "its rule, excluding them, or carrying the item) with how they are a member "
            "(MANUAL, AUTOMATIC with the rule's conditions and the customer's values, or "
            "EXCLUDED), whether it counts for them now (member, ACTIVE, valid, of the site) "
            "and why not; with itemType and itemId, whether the customer sees the item, "
            "through which segment and assignment (direct, or the category path), or why "
            "not. segment_read explains any customer; a customer token only itself. An "
            "extension of the vendor's API."
        ),
        parameters=[ACCEPT_LANGUAGE],
        responses={200: ExplainResponseSerializer, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    return view
