"""Validation and redemption of coupons, and removal of redemptions.

`coupon_redeem` locks the coupon row, counts its redemptions and inserts the new one in
one transaction, so `maxRedemptions` and `maxRedemptionsPerCustomer` hold however many
redemptions run at once. Segment membership is the segments app's rule
(`segments.selectors.membership.active_member_segments`), never re-implemented here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from segments.querysets import SegmentQuerySet
from segments.selectors.membership import active_member_segments, token_subject_problem
from segments_project.api.documents import generate_id, invalid
from segments_project.audit.models import AuditAction, DocumentType
from segments_project.audit.record import Change, record, snapshot
from segments_project.checkpoints import Checkpoint, reached
from segments_project.errors import ApplicationError

from ..documents.currencies import Money
from ..documents.redemptions import RedemptionRequest
from ..models import UNLIMITED, Coupon, DiscountType, Redemption
from ..querysets import RedemptionQuerySet
from ..selectors.coupons import coupon_not_found
from ..selectors.eligibility import CartAssessment, assess_cart
from ..selectors.redemptions import redemption_get
from .discounts import discount_problem, granted_discount
from .refusals import CouponRefused, Problem, Refusal


@dataclass(frozen=True)
class Redeemer:
    """Who redeems: a customer, acting for a legal entity or not; or nobody (anonymous)."""

    customer_id: str | None = None
    legal_entity_id: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.customer_id is None


@dataclass(frozen=True)
class Verdict:
    """A coupon found redeemable, with the discount a redemption records and what the
    coupon grants on the request's cart lines."""

    coupon: Coupon
    redeemer: Redeemer
    # In the request's currency (the orderTotal's), as every amount of the answer.
    discount: Money
    cart: CartAssessment | None = None

    @property
    def currency(self) -> str:
        return self.discount.currency


@dataclass(frozen=True)
class _Known:
    """What the checks of many coupons read from the database, read once for all of them
    (`coupons_validate`): the redeemer's problem (None when it passes), their active member
    segments on the site, and each coupon's redemptions, in all and by the redeemer."""

    redeemer_problem: ApplicationError | None
    member_segment_ids: frozenset[str]
    redemptions: dict[int, int]
    own_redemptions: dict[int, int]


def _check_redeemer(tenant: str, redeemer: Redeemer) -> None:
    if redeemer.anonymous:
        if redeemer.legal_entity_id is not None:
            raise invalid("legalEntityId", "A legal entity needs a customer (customerNumber).")
        return
    if redeemer.legal_entity_id is not None:
        problem = token_subject_problem(tenant, redeemer.customer_id, redeemer.legal_entity_id)
        if problem:
            raise invalid("legalEntityId", problem)


def _member_segments(
    coupon: Coupon, redeemer: Redeemer, site_code: str | None, at: datetime
) -> SegmentQuerySet:
    """The coupon's segments the redeemer is an active member of (on the site, if named)."""
    return active_member_segments(
        tenant=coupon.tenant_id,
        customer_id=redeemer.customer_id,
        legal_entity_id=redeemer.legal_entity_id,
        at=at,
        site_code=site_code,
    ).filter(public_id__in=coupon.segment_ids)


def _time_problems(coupon: Coupon, at: datetime) -> list[Problem]:
    problems = []
    if coupon.valid_from is not None and at < coupon.valid_from:
        problems.append(
            Problem(Refusal.NOT_YET_VALID, "restrictions.validFrom", "It is not valid yet.")
        )
    if coupon.valid_until is not None and at > coupon.valid_until:
        problems.append(
            Problem(Refusal.EXPIRED, "restrictions.validUntil", "Its validity has ended.")
        )
    return problems


def _money_problems(coupon: Coupon, request: RedemptionRequest) -> list[Problem]:
    currency = request.order_total.currency
    mismatch = Problem(
        Refusal.CURRENCY_MISMATCH,
        "orderTotal.currency",
        f"The coupon's amounts are not in {currency}.",
    )
    if coupon.discount_type == DiscountType.ABSOLUTE and coupon.discount_currency != currency:
        return [mismatch]
    if coupon.min_order_amount is None:
        return []
    if coupon.min_order_currency != currency:
        return [mismatch]
    if request.order_total.amount < coupon.min_order_amount:
        return [
            Problem(
                Refusal.MIN_ORDER_VALUE_NOT_REACHED,
                "orderTotal.amount",
                f"The order total is below the minimum of {coupon.min_order_amount} "
                f"{coupon.min_order_currency}.",
            )
        ]
    return []


def _limit_problems(
    coupon: Coupon, redeemer: Redeemer, known: _Known | None = None
) -> list[Problem]:
    """Counts redemption rows (under the coupon's row lock when redeeming), or takes the
    counts `known` read for many coupons at once."""
    problems = []

    def redemptions() -> RedemptionQuerySet:
        return Redemption.objects.for_tenant(coupon.tenant_id).filter(coupon=coupon)

    def total() -> int:
        if known is not None:
            return known.redemptions.get(coupon.pk, 0)
        return redemptions().count()

    def own() -> int:
        if known is not None:
            return known.own_redemptions.get(coupon.pk, 0)
        customer = redeemer.customer_id or ""
        return redemptions().by_customer(customer, redeemer.legal_entity_id or "").count()

    if coupon.max_redemptions != UNLIMITED and total() >= coupon.max_redemptions:
        problems.append(
            Problem(
                Refusal.REDEMPTION_LIMIT_REACHED,
                "maxRedemptions",
                f"It has been redeemed the maximum of {coupon.max_redemptions} times.",
            )
        )
    per_customer = coupon.max_redemptions_per_customer
    if not redeemer.anonymous and per_customer != UNLIMITED and own() >= per_customer:
        problems.append(
            Problem(
                Refusal.CUSTOMER_REDEMPTION_LIMIT_REACHED,
                "maxRedemptionsPerCustomer",
                "The customer has redeemed it the maximum of "
                f"{coupon.max_redemptions_per_customer} times.",
            )
        )
    reached(Checkpoint.COUPON_LIMITS_COUNTED)
    return problems


def _customer_problems(coupon: Coupon, redeemer: Redeemer) -> list[Problem]:
    """Who may redeem: anonymous callers only where allowed, customers only if named."""
    if redeemer.anonymous:
        if coupon.allow_anonymous:
            return []
        return [
            Problem(
                Refusal.ANONYMOUS_NOT_ALLOWED,
                "customerNumber",
                "Only a logged-in customer may redeem it.",
            )
        ]
    if coupon.valid_for and redeemer.customer_id not in coupon.valid_for:
        return [
            Problem(
                Refusal.NOT_VALID_FOR_CUSTOMER,
                "customerNumber",
                f"It is not valid for the customer {redeemer.customer_id}.",
            )
        ]
    return []


def _referral_problems(coupon: Coupon, redeemer: Redeemer) -> list[Problem]:
    """A referral coupon is for the customers its owner refers, never for the owner."""
    if coupon.referral_coupon and redeemer.customer_id == coupon.issued_to:
        return [
            Problem(
                Refusal.OWN_REFERRAL_COUPON,
                "customerNumber",
                f"It is the referral coupon of the customer {redeemer.customer_id}, who "
                "cannot redeem it.",
            )
        ]
    return []


def _segment_problems(
    coupon: Coupon,
    redeemer: Redeemer,
    site_code: str | None,
    at: datetime,
    known: _Known | None = None,
    *,
    for_cart: bool = True,
) -> tuple[SegmentQuerySet | None, list[Problem]]:
    """A segment-restricted coupon: the redeemer's member segments among the coupon's (None
    when it is not segment-restricted or the redeemer anonymous, or when they are `known`
    and not needed `for_cart`), refused when there are none (read from the redeemer's
    member segments `known`, when given)."""
    if not coupon.segment_restricted or redeemer.anonymous:
        return None, []
    segments = None
    if known is None or for_cart:
        segments = _member_segments(coupon, redeemer, site_code, at)
    if known is not None:
        member = not known.member_segment_ids.isdisjoint(coupon.segment_ids)
    else:
        member = segments is not None and segments.exists()
    if member:
        return segments, []
    problem = Problem(
        Refusal.NOT_A_SEGMENT_MEMBER,
        "customerNumber",
        f"The customer {redeemer.customer_id} is not an active member of any of its segments.",
    )
    return segments, [problem]


def _cart_problems(
    coupon: Coupon, request: RedemptionRequest, segments: SegmentQuerySet | None
) -> tuple[CartAssessment | None, list[Problem]]:
    """With cart lines: what the coupon grants on them, refused when a restricted coupon
    applies to none."""
    if request.items is None:
        return None, []
    cart = assess_cart(coupon=coupon, lines=request.items, segments=segments)
    restricted = coupon.segment_restricted or coupon.category_restricted
    if restricted and not cart.any_eligible:
        return cart, [
            Problem(Refusal.NO_ELIGIBLE_ITEMS, "items", "It applies to none of the items.")
        ]
    return cart, []


def _verdict(
    coupon: Coupon,
    request: RedemptionRequest,
    redeemer: Redeemer,
    at: datetime,
    *,
    redeeming: bool,
    known: _Known | None = None,
) -> Verdict:
    """Every check a redemption makes, in a fixed order; CouponRefused lists all that fail
    (a deleted coupon only that).

    The order: deleted; the redeemer itself (a 400 of its own); validity in time; who may
    redeem (anonymous callers, validFor, not the owner of a referral coupon); segment
    membership; currency and minimum order value; the redemption limits; then, only when
    all of these pass, the cart lines and the discount sent along.
    """
    code = coupon.public_id
    if coupon.deleted:
        problem = Problem(Refusal.DELETED, "code", "It has been deleted.")
        raise CouponRefused(code, [problem], redeeming=redeeming)
    if known is None:
        _check_redeemer(coupon.tenant_id, redeemer)
    elif known.redeemer_problem is not None:
        raise known.redeemer_problem
    problems = _time_problems(coupon, at)
    problems += _customer_problems(coupon, redeemer)
    problems += _referral_problems(coupon, redeemer)
    site_code = request.site_code
    segments, segment_problems = _segment_problems(
        coupon, redeemer, site_code, at, known, for_cart=request.items is not None
    )
    problems += segment_problems
    problems += _money_problems(coupon, request)
    problems += _limit_problems(coupon, redeemer, known)
    cart = None
    if not problems:
        cart, cart_problems = _cart_problems(coupon, request, segments)
        problems += cart_problems
    if not problems:
        problem = discount_problem(coupon, request, cart)
        problems += [problem] if problem else []
    if problems:
        raise CouponRefused(code, problems, redeeming=redeeming)
    return Verdict(
        coupon=coupon,
        redeemer=redeemer,
        discount=granted_discount(coupon, request, cart),
        cart=cart,
    )


def coupon_validate(
    *,
    tenant: str,
    code: str,
    request: RedemptionRequest,
    redeemer: Redeemer,
    at: datetime | None = None,
) -> Verdict:
    """Makes every check of a redemption without redeeming; CouponRefused (400) says why not."""
    coupon = Coupon.objects.for_tenant(tenant).filter(public_id=code).first()
    if coupon is None:
        raise coupon_not_found(code)
    return _verdict(coupon, request, redeemer, at or timezone.now(), redeeming=False)


def _known(
    tenant: str, coupons: list[Coupon], redeemer: Redeemer, site_code: str | None, at: datetime
) -> _Known:
    """`_Known` for the coupons: three queries, whatever their number."""
    try:
        _check_redeemer(tenant, redeemer)
        redeemer_problem = None
    except ApplicationError as exc:
        redeemer_problem = exc
    members: frozenset[str] = frozenset()
    if not redeemer.anonymous and any(coupon.segment_restricted for coupon in coupons):
        members = frozenset(
            active_member_segments(
                tenant=tenant,
                customer_id=redeemer.customer_id,
                legal_entity_id=redeemer.legal_entity_id,
                at=at,
                site_code=site_code,
            ).values_list("public_id", flat=True)
        )
    redemptions = Redemption.objects.for_tenant(tenant).filter(coupon__in=coupons)

    def counted(rows) -> dict[int, int]:
        grouped = rows.order_by().values("coupon_id").annotate(n=Count("pk"))
        return {row["coupon_id"]: row["n"] for row in grouped}

    own: dict[int, int] = {}
    if not redeemer.anonymous:
        customer = redeemer.customer_id or ""
        own = counted(redemptions.by_customer(customer, redeemer.legal_entity_id or ""))
    return _Known(redeemer_problem, members, counted(redemptions), own)


def coupons_validate(
    *,
    tenant: str,
    coupons: Iterable[Coupon],
    request_of: Callable[[Coupon], RedemptionRequest],
    redeemer: Redeemer,
    site_code: str | None,
    at: datetime | None = None,
) -> list[tuple[Coupon, Verdict | ApplicationError]]:
    """`coupon_validate` of each of the tenant's coupons (rows already read), with the
    request `request_of` makes for it (all on the site `site_code`): its Verdict, or the
    refusal (CouponRefused) or error it raised. The same checks in the same order, with
    what they read from the database read once for all the coupons (a fixed number of
    queries), so that validating many coupons costs what validating one does."""
    coupons = [coupon for coupon in coupons if coupon.tenant_id == tenant]
    at = at or timezone.now()
    known = _known(tenant, coupons, redeemer, site_code, at)
    answers: list[tuple[Coupon, Verdict | ApplicationError]] = []
    for coupon in coupons:
        request = request_of(coupon)
        if request.site_code != site_code:
            raise ValueError("Every request of coupons_validate is on its site_code.")
        try:
            answers.append(
                (coupon, _verdict(coupon, request, redeemer, at, redeeming=False, known=known))
            )
        except ApplicationError as exc:
            answers.append((coupon, exc))
    return answers


@transaction.atomic
def coupon_redeem(
    *,
    tenant: str,
    code: str,
    request: RedemptionRequest,
    redeemer: Redeemer,
    at: datetime | None = None,
) -> tuple[Redemption, Verdict]:
    """Redeems the coupon: one more Redemption row, or CouponRefused saying why not.

    The coupon row stays locked from the checks to the insert, so concurrent redemptions
    are counted one after the other. The recorded discount is the verdict's: the one sent
    if the coupon grants it, else the computed one (`discounts`).
    """
    at = at or timezone.now()
    coupon = Coupon.objects.select_for_update().filter(tenant_id=tenant, public_id=code).first()
    if coupon is None:
        raise coupon_not_found(code)
    verdict = _verdict(coupon, request, redeemer, at, redeeming=True)
    discount = verdict.discount
    redemption = Redemption.objects.create(
        tenant_id=tenant,
        public_id=generate_id(),
        coupon=coupon,
        order_code=request.order_code,
        customer_number=redeemer.customer_id or "",
        legal_entity_public_id=redeemer.legal_entity_id or "",
        site_code=request.site_code or "",
        order_total_amount=request.order_total.amount,
        order_total_currency=request.order_total.currency,
        discount_amount=discount.amount,
        discount_currency=discount.currency,
        created_at=at,
        modified_at=at,
    )
    _record(redemption, coupon, AuditAction.CREATED)
    return redemption, verdict


def _record(redemption: Redemption, coupon: Coupon, action: str) -> None:
    """Files the redemption under `<coupon code>/<redemption id>`, as its URL names it."""
    values = snapshot(redemption)
    del values["coupon_id"]
    values["coupon"] = coupon.public_id
    document_id = f"{coupon.public_id}/{redemption.public_id}"
    change = Change(DocumentType.REDEMPTION, document_id, action, None, values)
    record(redemption.tenant_id, [change])


@transaction.atomic
def redemption_delete(*, tenant: str, code: str, redemption_id: str) -> None:
    """Deletes the redemption, which frees its place under the coupon's limits.

    Takes the coupon's lock, so a redemption counting the limits sees it either before
    or after, never half-way.
    """
    coupon = Coupon.objects.select_for_update().filter(tenant_id=tenant, public_id=code).first()
    if coupon is None:
        raise coupon_not_found(code)
    redemption = redemption_get(coupon=coupon, redemption_id=redemption_id)
    redemption.delete()
    _record(redemption, coupon, AuditAction.DELETED)
