"""HTTP endpoints of coupons: management and validation, and what the redemption endpoints
(`redemption_views`) share with them: scopes, codes, acting for a customer, the redeemer and
the discount granted.

Coupon codes arrive URL-decoded by Django and are looked up in upper case, the case they
are stored in.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from segments_project.api.responses import projected
from segments_project.api.views import TenantAPIView
from segments_project.errors import PermissionDenied
from segments_project.tenancy import scopes
from segments_project.tenancy.principal import Principal

from .. import services
from ..documents.coupons import COUPON_QUERY_FIELDS, coupon_document
from ..documents.currencies import Money
from ..documents.redemptions import (
    RedemptionRequest,
    redemption_request,
)
from ..selectors import coupons as selectors
from ..services import Redeemer, Verdict
from . import coupon_schemas as schemas

MANAGE = frozenset({scopes.COUPON_MANAGE})
SELLER = frozenset({scopes.COUPON_MANAGE, scopes.COUPON_READ})
ON_BEHALF = frozenset({scopes.COUPON_REDEEM_ON_BEHALF})
# The vendor lists only coupon_redeem_on_behalf; customer tokens carry coupon_redeem.
REDEEM = frozenset({scopes.COUPON_REDEEM, scopes.COUPON_REDEEM_ON_BEHALF})
# Validation is also open to anonymous storefront visitors, for coupons that allow anonymous
# use (`allowAnonymous`; the other coupons refuse an anonymous redeemer).
REDEEM_OR_VISITOR = REDEEM | scopes.VISITOR_SCOPES


def coupon_code(code: str) -> str:
    return code.upper()


def _is_seller(principal: Principal) -> bool:
    return not principal.is_customer and principal.has_any_scope(SELLER)


def named_customer(request: Request, principal: Principal) -> str | None:
    """The `customerNumber` query parameter; naming someone else needs redeem_on_behalf."""
    customer_number = request.query_params.get("customerNumber")
    if customer_number is None or customer_number == principal.customer_id:
        return customer_number
    if principal.is_customer or not principal.has_any_scope(ON_BEHALF):
        raise PermissionDenied(
            "Acting for a customerNumber needs the coupon.coupon_redeem_on_behalf scope."
        )
    return customer_number


def redeemer_of(principal: Principal, body: RedemptionRequest) -> Redeemer:
    """A customer token redeems for its own customer (and its legal entity, unless the body
    names another one it acts for); other tokens for the `customerNumber` they name, which
    needs coupon_redeem_on_behalf, or anonymously; an anonymous visitor's token only
    anonymously."""
    if principal.is_visitor:
        if body.customer_number is not None or body.legal_entity_id is not None:
            raise PermissionDenied(
                "An anonymous token validates coupons anonymously: it cannot name a "
                "customerNumber or legalEntityId."
            )
        return Redeemer()
    if principal.is_customer:
        if body.customer_number not in (None, principal.customer_id):
            raise PermissionDenied("A customer token redeems coupons for its own customer only.")
        return Redeemer(
            customer_id=principal.customer_id,
            legal_entity_id=body.legal_entity_id or principal.legal_entity_id,
        )
    if body.customer_number is not None and not principal.has_any_scope(ON_BEHALF):
        raise PermissionDenied(
            "Redeeming for a customerNumber needs the coupon.coupon_redeem_on_behalf scope."
        )
    return Redeemer(customer_id=body.customer_number, legal_entity_id=body.legal_entity_id)


def grant_members(verdict: Verdict) -> dict[str, Any]:
    """The discount a redemption records and, with cart lines, which lines the coupon
    applies to."""
    discount = {"discount": verdict.discount.as_dict()}
    if verdict.cart is None:
        return discount
    lines = []
    for line in verdict.cart.lines:
        entry = {
            "index": line.index,
            "productId": line.line.product_id,
            "quantity": line.line.quantity,
            "unitPrice": float(line.line.unit_price),
            "eligible": line.eligible,
        }
        if verdict.coupon.segment_restricted:
            entry["segmentIds"] = list(line.segment_ids)
        lines.append(entry)
    return {
        "items": lines,
        "eligibleSubtotal": Money(verdict.cart.eligible_subtotal, verdict.currency).as_dict(),
        **discount,
    }


@schemas.coupon_collection
class CouponCollectionView(TenantAPIView):
    required_scopes = {"GET": SELLER, "POST": MANAGE}
    operation_ids = {
        "GET": "GET-coupon-list-specified-coupons",
        "POST": "POST-coupon-create-coupon",
    }

    def get(self, request: Request, tenant: str) -> Response:
        show_deleted = self.query_param_bool(
            "showDeleted", default=self.query_param_bool("show_deleted")
        )
        coupons = selectors.coupons_of_tenant(
            tenant=tenant, at=timezone.now(), show_deleted=show_deleted
        )
        counts: dict[int, dict[str, int]] = {}  # the page's, fetched in one query
        return self.list_response(
            coupons,
            prepare=lambda page: counts.update(selectors.legal_entity_counts(page)),
            render=lambda coupon: coupon_document(
                coupon, legal_entity_counts=counts.get(coupon.pk)
            ),
            fields=COUPON_QUERY_FIELDS,
            q=request.query_params.get("q"),
        )

    def post(self, request: Request, tenant: str) -> Response:
        coupon = services.coupon_create(tenant=tenant, document=request.data)
        return self.created(coupon.public_id)


@schemas.coupon_detail
class CouponDetailView(TenantAPIView):
    required_scopes = {
        "GET": SELLER | REDEEM,
        "PUT": MANAGE,
        "PATCH": MANAGE,
        "DELETE": MANAGE,
    }
    operation_ids = {
        "GET": "GET-coupon-retrieve-coupon",
        "PUT": "PUT-coupon-update-coupon",
        "PATCH": "PATCH-coupon-update-coupon",
        "DELETE": "DELETE-coupon-remove-coupon",
    }

    def get(self, request: Request, tenant: str, code: str) -> Response:
        principal = self.principal
        named = named_customer(request, principal)
        seller = _is_seller(principal)
        coupon = selectors.coupon_get(tenant=tenant, code=coupon_code(code), at=timezone.now())
        if not seller or named is not None:
            viewer = principal.customer_id if principal.is_customer else named
            if not selectors.coupon_visible_to_customer(coupon, viewer):
                raise selectors.coupon_not_found(coupon.public_id)
        counts = selectors.legal_entity_counts([coupon]).get(coupon.pk) if seller else None
        return projected(
            request, coupon_document(coupon, legal_entity_counts=counts, seller=seller)
        )

    def put(self, request: Request, tenant: str, code: str) -> Response:
        services.coupon_update(
            tenant=tenant,
            code=coupon_code(code),
            document=request.data,
            partial=self.query_param_bool("partial"),
        )
        return Response(status=200)

    def patch(self, request: Request, tenant: str, code: str) -> Response:
        services.coupon_patch(tenant=tenant, code=coupon_code(code), patch=request.data)
        return Response(status=200)

    def delete(self, request: Request, tenant: str, code: str) -> Response:
        services.coupon_delete(tenant=tenant, code=coupon_code(code))
        return Response(status=204)


@schemas.coupon_validation
class CouponValidationView(TenantAPIView):
    required_scopes = {"POST": REDEEM_OR_VISITOR}
    operation_ids = {"POST": "POST-coupon-validate-coupon"}

    def post(self, request: Request, tenant: str, code: str) -> Response:
        body = redemption_request(request.data)
        redeemer = redeemer_of(self.principal, body)
        verdict = services.coupon_validate(
            tenant=tenant, code=coupon_code(code), request=body, redeemer=redeemer
        )
        answer: dict[str, Any] = {"code": verdict.coupon.public_id, "valid": True}
        if verdict.redeemer.customer_id is not None:
            answer["customerNumber"] = verdict.redeemer.customer_id
        if verdict.redeemer.legal_entity_id is not None:
            answer["legalEntityId"] = verdict.redeemer.legal_entity_id
        return Response({**answer, **grant_members(verdict)})
