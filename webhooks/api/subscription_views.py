"""HTTP endpoints of webhook subscriptions: list, create, read, upsert, patch, delete, and
the rotation of the signing secret."""

from __future__ import annotations

import contextlib
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.documents import invalid
from segments_project.api.responses import projected
from segments_project.api.views import TenantAPIView
from segments_project.errors import NotFound
from segments_project.tenancy import scopes

from .. import services
from ..documents.subscriptions import (
    SUBSCRIPTION_QUERY_FIELDS,
    iso,
    subscription_document,
)
from ..selectors import subscriptions as selectors
from . import subscription_schemas as schemas

MANAGE = frozenset({scopes.WEBHOOK_MANAGE})
READ = frozenset({scopes.WEBHOOK_MANAGE, scopes.WEBHOOK_READ})


@schemas.subscription_collection
class SubscriptionCollectionView(TenantAPIView):
    required_scopes = {"GET": READ, "POST": MANAGE}
    operation_ids = {
        "GET": "GET-webhook-list-subscriptions",
        "POST": "POST-webhook-create-subscription",
    }

    def get(self, request: Request, tenant: str) -> Response:
        return self.list_response(
            selectors.subscriptions_of_tenant(tenant=tenant),
            render=subscription_document,
            fields=SUBSCRIPTION_QUERY_FIELDS,
            q=request.query_params.get("q"),
        )

    def post(self, request: Request, tenant: str) -> Response:
        subscription, secret = services.subscription_create(tenant=tenant, document=request.data)
        return Response({"id": subscription.public_id, "secret": secret}, status=201)


@schemas.subscription_detail
class SubscriptionDetailView(TenantAPIView):
    required_scopes = {"GET": READ, "PUT": MANAGE, "PATCH": MANAGE, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-webhook-retrieve-subscription",
        "PUT": "PUT-webhook-upsert-subscription",
        "PATCH": "PATCH-webhook-update-subscription",
        "DELETE": "DELETE-webhook-remove-subscription",
    }

    def get(self, request: Request, tenant: str, subscription_id: str) -> Response:
        subscription = selectors.subscription_get(tenant=tenant, subscription_id=subscription_id)
        return projected(request, subscription_document(subscription))

    def put(self, request: Request, tenant: str, subscription_id: str) -> Response:
        subscription, secret = services.subscription_upsert(
            tenant=tenant, subscription_id=subscription_id, document=request.data
        )
        if secret is None:
            return Response(status=204)
        return Response({"id": subscription.public_id, "secret": secret}, status=201)

    def patch(self, request: Request, tenant: str, subscription_id: str) -> Response:
        services.subscription_patch(
            tenant=tenant, subscription_id=subscription_id, patch=request.data
        )
        return Response(status=204)

    def delete(self, request: Request, tenant: str, subscription_id: str) -> Response:
        # DELETE is idempotent: clients retry it.
        with contextlib.suppress(NotFound):
            services.subscription_delete(tenant=tenant, subscription_id=subscription_id)
        return Response(status=204)


@schemas.secret_rotation
class SecretRotationView(TenantAPIView):
    required_scopes = {"POST": MANAGE}
    operation_ids = {"POST": "POST-webhook-rotate-subscription-secret"}

    def post(self, request: Request, tenant: str, subscription_id: str) -> Response:
        body: Any = request.data if request.data is not None else {}
        if not isinstance(body, dict):
            raise invalid("body", "The body is an object (or absent).")
        subscription, secret = services.subscription_rotate_secret(
            tenant=tenant,
            subscription_id=subscription_id,
            grace_seconds=body.get("gracePeriodSeconds"),
        )
        return Response(
            {
                "secret": secret,
                "previousSecretExpiresAt": iso(subscription.previous_secret_expires_at),
            }
        )
