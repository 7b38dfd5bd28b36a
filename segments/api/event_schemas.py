"""OpenAPI description of the changes feed (an extension of the vendor's API)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers

from segments_project.api.schema_components import ERROR_RESPONSES, ErrorSerializer
from segments_project.events.types import EventType

TAG = ["Events"]


class EventResourceSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="segment, coupon or customer.")
    id = serializers.CharField(help_text="The resource's public id.")


class EventEnvelopeSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Unique per event: de-duplicate deliveries by it.")
    type = serializers.CharField(help_text=f"One of: {', '.join(EventType)}.")
    tenant = serializers.CharField()
    createdAt = serializers.DateTimeField()
    resource = EventResourceSerializer()
    sequenceNumber = serializers.IntegerField(
        help_text="Increases with every event of the resource, in commit order."
    )
    data = serializers.DictField(help_text="What changed; per type, see docs/events.md.")


PAGE_SIZE = OpenApiParameter(
    "pageSize", OpenApiTypes.INT, description="Events per page (default 60, at most 1000)."
)


def event_feed(view):
    view.get = extend_schema(
        tags=TAG,
        summary="Retrieving the change events of the tenant",
        description=(
            "The tenant's change events in commit order, after the `after` cursor. The "
            "response header X-Next-Cursor is the cursor of the next call: pass it as "
            "`after` to continue (an empty page answers a cursor to poll with). Events are "
            "kept EVENTS_RETENTION_DAYS days (default 7); a cursor older than the oldest "
            "retained event answers 410."
        ),
        parameters=[
            PAGE_SIZE,
            OpenApiParameter(
                "X-Next-Cursor",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                response=[200],
                description="The cursor to continue from (pass it as `after`).",
            ),
        ],
        responses={
            200: EventEnvelopeSerializer(many=True),
            **ERROR_RESPONSES,
            410: OpenApiResponse(
                ErrorSerializer, description="The cursor is older than the retention."
            ),
        },
    )(view.get)
    return view
