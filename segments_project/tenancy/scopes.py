"""The OAuth2 scopes the service knows, as the vendor's specs name them."""

from __future__ import annotations

SEGMENT_MANAGE = "customersegment.segment_manage"
SEGMENT_READ = "customersegment.segment_read"
SEGMENT_READ_OWN = "customersegment.segment_read_own"
COUPON_MANAGE = "coupon.coupon_manage"
COUPON_READ = "coupon.coupon_read"
COUPON_REDEEM = "coupon.coupon_redeem"
COUPON_REDEEM_ON_BEHALF = "coupon.coupon_redeem_on_behalf"
CATEGORY_MANAGE = "category.category_manage"
CATEGORY_READ = "category.category_read"
CATEGORY_READ_UNPUBLISHED = "category.category_read_unpublished"
PRODUCT_MANAGE = "product.product_manage"
PRODUCT_READ = "product.product_read"
PRODUCT_READ_UNPUBLISHED = "product.product_read_unpublished"
CUSTOMER_MANAGE = "customer.customer_manage"
CUSTOMER_READ = "customer.customer_read"
# Lets a storefront's client ask for tokens that act for one logged-in customer.
CUSTOMER_TOKEN_ISSUE = "customer.token_issue"
WEBHOOK_MANAGE = "webhook.webhook_manage"
WEBHOOK_READ = "webhook.webhook_read"

DESCRIPTIONS: dict[str, str] = {
    SEGMENT_MANAGE: "Create, change and delete segments and their assignments.",
    SEGMENT_READ: "Read every segment and assignment of the tenant.",
    SEGMENT_READ_OWN: "Read the segments the token's own customer belongs to.",
    COUPON_MANAGE: "Create, change and delete coupons.",
    COUPON_READ: "Read coupons and redemptions.",
    COUPON_REDEEM: "Validate and redeem coupons as the token's own customer.",
    COUPON_REDEEM_ON_BEHALF: "Validate and redeem coupons for a named customer.",
    CATEGORY_MANAGE: "Create, change and delete categories and their assignments.",
    CATEGORY_READ: "Read categories, trees and assignments (any token of the tenant may read "
    "published ones: kept for older clients).",
    CATEGORY_READ_UNPUBLISHED: "Read unpublished categories too.",
    PRODUCT_MANAGE: "Create, change and delete products.",
    PRODUCT_READ: "Read products (any token of the tenant may read published ones: kept for "
    "older clients).",
    PRODUCT_READ_UNPUBLISHED: "Read unpublished products too.",
    CUSTOMER_MANAGE: "Create, change and delete customers and legal entities.",
    CUSTOMER_READ: "Read customers and legal entities.",
    CUSTOMER_TOKEN_ISSUE: "Obtain short-lived tokens that act for one customer.",
    WEBHOOK_MANAGE: "Create, change and delete webhook subscriptions; retry and replay deliveries.",
    WEBHOOK_READ: "Read webhook subscriptions and their delivery logs.",
}

ALL_SCOPES: frozenset[str] = frozenset(DESCRIPTIONS)

# Not a scope any token carries: an operation whose scopes include it is open to every valid
# token of the path's tenant (client, customer or anonymous), as the vendor's published
# catalog reads are.
ANY_TENANT_TOKEN = "(any token of the tenant)"

# Not a scope any client can be granted (it is not in DESCRIPTIONS, and holds spaces, so no
# stored scope string can name it): the one scope of an anonymous storefront visitor's
# token. Operations open to visitors name it in their `required_scopes`; every other
# operation, not naming it, refuses such a token (fails closed).
ANONYMOUS_VISITOR = "(anonymous storefront visitor)"
VISITOR_SCOPES: frozenset[str] = frozenset({ANONYMOUS_VISITOR})

# The only scopes a customer-bound token ever carries.
CUSTOMER_SCOPES: frozenset[str] = frozenset({SEGMENT_READ_OWN, COUPON_REDEEM})


def grantable_scopes(allowed: frozenset[str], *, for_customer: bool) -> frozenset[str]:
    """The scopes a token may carry when its client holds `allowed`: the known ones of
    them, or for a customer token the customer scopes if the client may issue those."""
    if for_customer:
        return CUSTOMER_SCOPES if CUSTOMER_TOKEN_ISSUE in allowed else frozenset()
    return allowed & ALL_SCOPES


def parse_scopes(text: str) -> frozenset[str]:
    """Split a space- or comma-separated scope list, dropping empty entries."""
    return frozenset(part for part in text.replace(",", " ").split() if part)
