"""HTTP endpoints of a subscription's deliveries: the log, retry, replay, test message."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.views import TenantAPIView

from .. import services
from ..documents.deliveries import DELIVERY_QUERY_FIELDS, delivery_document, replay_range
from ..selectors.deliveries import deliveries_of_subscription
from ..selectors.subscriptions import subscription_get
from . import delivery_schemas as schemas
from .subscription_views import MANAGE, READ


@schemas.delivery_collection
class DeliveryCollectionView(TenantAPIView):
    required_scopes = {"GET": READ}
    operation_ids = {"GET": "GET-webhook-list-deliveries"}

    def get(self, request: Request, tenant: str, subscription_id: str) -> Response:
        subscription = subscription_get(tenant=tenant, subscription_id=subscription_id)
        return self.list_response(
            deliveries_of_subscription(subscription=subscription),
            render=delivery_document,
            fields=DELIVERY_QUERY_FIELDS,
            q=request.query_params.get("q"),
            tie_breaker="id",
        )


@schemas.delivery_retry
class DeliveryRetryView(TenantAPIView):
    required_scopes = {"POST": MANAGE}
    operation_ids = {"POST": "POST-webhook-retry-delivery"}

    def post(
        self, request: Request, tenant: str, subscription_id: str, delivery_id: str
    ) -> Response:
        delivery = services.delivery_retry(
            tenant=tenant, subscription_id=subscription_id, delivery_id=delivery_id
        )
        return Response(delivery_document(delivery), status=202)


@schemas.replay
class ReplayView(TenantAPIView):
    required_scopes = {"POST": MANAGE}
    operation_ids = {"POST": "POST-webhook-replay-events"}

    def post(self, request: Request, tenant: str, subscription_id: str) -> Response:
        start, end = replay_range(request.data)
        count = services.deliveries_replay(
            tenant=tenant, subscription_id=subscription_id, start=start, end=end
        )
        return Response({"deliveries": count}, status=202)


@schemas.test_message
class TestMessageView(TenantAPIView):
    required_scopes = {"POST": MANAGE}
    operation_ids = {"POST": "POST-webhook-send-test-event"}

    def post(self, request: Request, tenant: str, subscription_id: str) -> Response:
        delivery = services.subscription_test_send(tenant=tenant, subscription_id=subscription_id)
        return Response(
            {"id": str(delivery.public_id), "eventId": delivery.test_payload["id"]}, status=202
        )
