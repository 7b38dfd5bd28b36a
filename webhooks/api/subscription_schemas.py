"""OpenAPI descriptions of the webhook subscription endpoints."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers

from segments_project.api.schema_components import (
    BODY_ERRORS,
    CONFLICT,
    DELETED,
    ERROR_RESPONSES,
    LIST_PARAMETERS,
    NOT_FOUND,
    PATCH_DESCRIPTION,
    Q_PARAMETER,
    UPDATED,
    MetadataSerializer,
    MetadataWriteSerializer,
    PatchOperationSerializer,
)

SUBSCRIPTIONS = ["Webhook Subscriptions"]
SUBSCRIPTION_ID = OpenApiParameter("subscription_id", OpenApiTypes.STR, OpenApiParameter.PATH)
EVENT_TYPES_HELP = (
    "Event types (`segment.member.added`) or patterns of whole words ending in `.*` "
    "(`segment.member.*`), or `*` for all; each must match a known type."
)
URL_HELP = (
    "Where deliveries are POSTed: https (plain http only to a loopback host in development). "
    "Deliveries never reach private, loopback or link-local addresses."
)


class WebhookSubscriptionWriteSerializer(serializers.Serializer):
    id = serializers.CharField(required=False, help_text="Generated when absent.")
    url = serializers.URLField(help_text=URL_HELP)
    eventTypes = serializers.ListField(child=serializers.CharField(), help_text=EVENT_TYPES_HELP)
    active = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(required=False, allow_blank=True)
    mixins = serializers.DictField(required=False)
    metadata = MetadataWriteSerializer(required=False)


class WebhookSubscriptionSerializer(serializers.Serializer):
    id = serializers.CharField(required=False)
    url = serializers.URLField(required=False)
    eventTypes = serializers.ListField(child=serializers.CharField(), required=False)
    active = serializers.BooleanField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    lastSuccessAt = serializers.DateTimeField(required=False, allow_null=True)
    failingSince = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Set when a delivery ran out of retries; cleared by the next success.",
    )
    mixins = serializers.DictField(required=False)
    metadata = MetadataSerializer(required=False)


class WebhookSubscriptionCreatedSerializer(serializers.Serializer):
    id = serializers.CharField()
    secret = serializers.CharField(
        help_text="The signing secret (`whsec_<base64>`), shown this once: keep it."
    )


class WebhookSecretRotationSerializer(serializers.Serializer):
    gracePeriodSeconds = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="How long the old secret keeps signing too (default 24 h, at most 7 days).",
    )


class WebhookSecretRotatedSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret, shown this once.")
    previousSecretExpiresAt = serializers.DateTimeField(allow_null=True)


CREATED = {
    201: OpenApiResponse(
        WebhookSubscriptionCreatedSerializer, description="Created; the secret is shown once."
    )
}


def subscription_collection(view):
    view.get = extend_schema(
        tags=SUBSCRIPTIONS,
        summary="Retrieving webhook subscriptions",
        parameters=[Q_PARAMETER, *LIST_PARAMETERS],
        responses={200: WebhookSubscriptionSerializer(many=True), **ERROR_RESPONSES},
    )(view.get)
    view.post = extend_schema(
        tags=SUBSCRIPTIONS,
        summary="Creating a webhook subscription",
        description="It receives the events committed from now on. The answer carries the "
        "signing secret, which is never shown again (rotate it to get a new one).",
        request=WebhookSubscriptionWriteSerializer,
        responses={**CREATED, **ERROR_RESPONSES, **CONFLICT, **BODY_ERRORS},
    )(view.post)
    return view


def subscription_detail(view):
    view.get = extend_schema(
        tags=SUBSCRIPTIONS,
        summary="Retrieving a webhook subscription",
        parameters=[SUBSCRIPTION_ID],
        responses={200: WebhookSubscriptionSerializer, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    view.put = extend_schema(
        tags=SUBSCRIPTIONS,
        summary="Upserting a webhook subscription",
        description="Replaces it (204), or creates it with this id (201, with its secret). "
        "A stale metadata.version is a 409.",
        parameters=[SUBSCRIPTION_ID],
        request=WebhookSubscriptionWriteSerializer,
        responses={**CREATED, **UPDATED, **ERROR_RESPONSES, **CONFLICT, **BODY_ERRORS},
    )(view.put)
    view.patch = extend_schema(
        tags=SUBSCRIPTIONS,
        summary="Patching a webhook subscription",
        description=PATCH_DESCRIPTION,
        parameters=[SUBSCRIPTION_ID],
        request=PatchOperationSerializer(many=True),
        responses={**UPDATED, **ERROR_RESPONSES, **NOT_FOUND, **CONFLICT, **BODY_ERRORS},
    )(view.patch)
    view.delete = extend_schema(
        tags=SUBSCRIPTIONS,
        summary="Deleting a webhook subscription",
        description="Nothing more is sent to it; its delivery log goes with it.",
        parameters=[SUBSCRIPTION_ID],
        responses={**DELETED, **ERROR_RESPONSES},
    )(view.delete)
    return view


def secret_rotation(view):
    view.post = extend_schema(
        tags=SUBSCRIPTIONS,
        summary="Rotating a webhook subscription's signing secret",
        description="Answers the new secret, shown this once. During the grace period every "
        "delivery carries two signatures (Standard Webhooks), one per secret.",
        parameters=[SUBSCRIPTION_ID],
        request=WebhookSecretRotationSerializer,
        responses={
            200: WebhookSecretRotatedSerializer,
            **ERROR_RESPONSES,
            **NOT_FOUND,
            **BODY_ERRORS,
        },
    )(view.post)
    return view
