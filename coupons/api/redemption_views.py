"""HTTP endpoints of a coupon's redemptions: list, redeem, read and delete.

Redeeming makes every check of the validation (`coupon_views`) and records the redemption.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.responses import projected
from segments_project.api.views import TenantAPIView
from segments_project.errors import NotFound

from .. import services
from ..documents.redemptions import (
    REDEMPTION_QUERY_FIELDS,
    redemption_document,
    redemption_request,
)
from ..selectors.coupons import coupon_lookup
from ..selectors.redemptions import redemption_get, redemptions_of_coupon
from . import redemption_schemas as schemas
from .coupon_views import MANAGE, REDEEM, coupon_code, grant_members, named_customer, redeemer_of


@schemas.redemption_collection
class RedemptionCollectionView(TenantAPIView):
    required_scopes = {"GET": MANAGE, "POST": REDEEM}
    operation_ids = {
        "GET": "GET-coupon-list-coupon-redemptions",
        "POST": "POST-coupon-invalidate-coupon",
    }

    def get(self, request: Request, tenant: str, code: str) -> Response:
        coupon = coupon_lookup(tenant=tenant, code=coupon_code(code))
        return self.list_response(
            redemptions_of_coupon(coupon=coupon),
            render=redemption_document,
            fields=REDEMPTION_QUERY_FIELDS,
            q=request.query_params.get("q"),
        )

    def post(self, request: Request, tenant: str, code: str) -> Response:
        body = redemption_request(request.data)
        redeemer = redeemer_of(self.principal, body)
        redemption, verdict = services.coupon_redeem(
            tenant=tenant, code=coupon_code(code), request=body, redeemer=redeemer
        )
        return Response({"id": redemption.public_id, **grant_members(verdict)}, status=201)


@schemas.redemption_detail
class RedemptionDetailView(TenantAPIView):
    required_scopes = {"GET": MANAGE | REDEEM, "DELETE": MANAGE}
    operation_ids = {
        "GET": "GET-coupon-retrieve-coupon-redemption",
        "DELETE": "DELETE-coupon-remove-coupon-redemption",
    }

    def get(self, request: Request, tenant: str, code: str, redemption_id: str) -> Response:
        principal = self.principal
        named = named_customer(request, principal)
        coupon = coupon_lookup(tenant=tenant, code=coupon_code(code))
        if principal.is_customer:
            owner = principal.customer_id
        elif principal.has_any_scope(MANAGE):
            owner = named
        elif named is None:
            # Neither a customer token nor naming a customer: no redemption is its own.
            raise NotFound(
                f"The redemption with id {redemption_id} has not been found.",
                resource_id=redemption_id,
            )
        else:
            owner = named
        redemption = redemption_get(
            coupon=coupon, redemption_id=redemption_id, customer_number=owner
        )
        return projected(request, redemption_document(redemption))

    def delete(self, request: Request, tenant: str, code: str, redemption_id: str) -> Response:
        services.redemption_delete(
            tenant=tenant, code=coupon_code(code), redemption_id=redemption_id
        )
        return Response(status=204)
