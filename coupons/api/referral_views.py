"""HTTP endpoints of referral coupons: a customer's one referral coupon, read or issued.

The vendor opens both operations to any token (`OAuth2: []`). Here a customer token acts
for its own customer only (it holds coupon.coupon_redeem); any other token must be the
seller's: coupon_manage to issue, coupon_read or coupon_manage to read. Anonymous and
storefront-client tokens, which name no customer, are refused.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.views import TenantAPIView
from segments_project.errors import PermissionDenied
from segments_project.tenancy import scopes

from .. import services
from ..documents.referrals import referral_document
from ..models import Coupon
from ..selectors import coupons as coupon_selectors
from ..selectors.referrals import referral_coupon_get
from . import referral_schemas as schemas
from .coupon_views import MANAGE, SELLER

CUSTOMER = frozenset({scopes.COUPON_REDEEM})


@schemas.referral_coupon
class ReferralCouponView(TenantAPIView):
    required_scopes = {"GET": SELLER | CUSTOMER, "POST": MANAGE | CUSTOMER}
    operation_ids = {
        "GET": "GET-coupon-retrieve-referral-coupon",
        "POST": "POST-coupon-create-referral-coupon-code",
    }

    def _check_caller(self, customer_id: str, seller_scopes: frozenset[str]) -> None:
        principal = self.principal
        if principal.is_customer:
            if principal.customer_id != customer_id:
                raise PermissionDenied(
                    "A customer token reads and creates only its own referral coupon."
                )
        elif not principal.has_any_scope(seller_scopes):
            raise PermissionDenied(
                "Referral coupons of any customer need one of the scopes "
                f"{', '.join(sorted(seller_scopes))}; a customer token may ask for its own."
            )

    def _answer(self, coupon: Coupon) -> Response:
        seller = not self.principal.is_customer
        counts = coupon_selectors.legal_entity_counts([coupon]).get(coupon.pk) if seller else None
        return Response(referral_document(coupon, seller=seller, legal_entity_counts=counts))

    def get(self, request: Request, tenant: str, customer_id: str) -> Response:
        self._check_caller(customer_id, SELLER)
        coupon = referral_coupon_get(tenant=tenant, customer_number=customer_id)
        if coupon is None:
            return Response(status=204)
        return self._answer(coupon)

    def post(self, request: Request, tenant: str, customer_id: str) -> Response:
        self._check_caller(customer_id, MANAGE)
        coupon, _ = services.referral_coupon_issue(tenant=tenant, customer_number=customer_id)
        return self._answer(coupon)
