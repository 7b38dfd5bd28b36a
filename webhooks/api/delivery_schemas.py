"""OpenAPI descriptions of a webhook subscription's deliveries: the log, retry, replay and
the test message."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers

from segments_project.api.schema_components import (
    BODY_ERRORS,
    ERROR_RESPONSES,
    LIST_PARAMETERS,
    NOT_FOUND,
    Q_PARAMETER,
)

from .subscription_schemas import SUBSCRIPTION_ID

DELIVERIES = ["Webhook Deliveries"]
DELIVERY_ID = OpenApiParameter("delivery_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class WebhookAttemptSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    statusCode = serializers.IntegerField(allow_null=True)
    latencyMs = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)


class WebhookResourceSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()


class WebhookDeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField(required=False)
    eventId = serializers.CharField(required=False, help_text="The `webhook-id` header.")
    eventType = serializers.CharField(required=False)
    resource = WebhookResourceSerializer(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=["PENDING", "SUCCEEDED", "FAILED"], required=False)
    attempts = serializers.IntegerField(required=False)
    lastStatusCode = serializers.IntegerField(required=False, allow_null=True)
    lastLatencyMs = serializers.IntegerField(required=False, allow_null=True)
    lastError = serializers.CharField(required=False, allow_null=True)
    nextAttemptAt = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When a pending delivery is tried next."
    )
    createdAt = serializers.DateTimeField(required=False)
    lastAttemptAt = serializers.DateTimeField(required=False, allow_null=True)
    deliveredAt = serializers.DateTimeField(required=False, allow_null=True)
    attemptLog = WebhookAttemptSerializer(many=True, required=False)


class WebhookReplaySerializer(serializers.Serializer):
    # `from` is a Python keyword: declared through the field mapping below.
    to = serializers.DateTimeField(required=False)


WebhookReplaySerializer._declared_fields["from"] = serializers.DateTimeField()


class WebhookReplayedSerializer(serializers.Serializer):
    deliveries = serializers.IntegerField(help_text="How many deliveries were queued.")


class WebhookTestSentSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The delivery of the test message.")
    eventId = serializers.CharField()


def delivery_collection(view):
    view.get = extend_schema(
        tags=DELIVERIES,
        summary="Retrieving a webhook subscription's deliveries",
        description="Attempts, status codes, latency, next retry; oldest first "
        "(`sort=createdAt:desc` for the newest first).",
        parameters=[SUBSCRIPTION_ID, Q_PARAMETER, *LIST_PARAMETERS],
        responses={200: WebhookDeliverySerializer(many=True), **ERROR_RESPONSES, **NOT_FOUND},
    )(view.get)
    return view


def delivery_retry(view):
    view.post = extend_schema(
        tags=DELIVERIES,
        summary="Retrying a delivery",
        description="Tries it again as soon as the deliveries before it of its resource "
        "allow (a given-up delivery: once more).",
        parameters=[SUBSCRIPTION_ID, DELIVERY_ID],
        request=None,
        responses={202: WebhookDeliverySerializer, **ERROR_RESPONSES, **NOT_FOUND},
    )(view.post)
    return view


def replay(view):
    view.post = extend_schema(
        tags=DELIVERIES,
        summary="Replaying the events of a time range",
        description="Sends again, in order, the subscription's matching events created "
        "between `from` and `to` (default: now) that it was already given.",
        parameters=[SUBSCRIPTION_ID],
        request=WebhookReplaySerializer,
        responses={
            202: WebhookReplayedSerializer,
            **ERROR_RESPONSES,
            **NOT_FOUND,
            **BODY_ERRORS,
        },
    )(view.post)
    return view


def test_message(view):
    view.post = extend_schema(
        tags=DELIVERIES,
        summary="Sending a test event",
        description="Queues a signed `webhook.test` message; its delivery shows in the log.",
        parameters=[SUBSCRIPTION_ID],
        request=None,
        responses={
            202: OpenApiResponse(WebhookTestSentSerializer, description="Queued."),
            **ERROR_RESPONSES,
            **NOT_FOUND,
        },
    )(view.post)
    return view
