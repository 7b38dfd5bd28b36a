"""Why a coupon cannot be redeemed: stable, machine-readable reasons."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from http import HTTPStatus

from segments_project.errors import ApplicationError, ErrorDetail


class Refusal(enum.StrEnum):
    DELETED = "DELETED"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    ANONYMOUS_NOT_ALLOWED = "ANONYMOUS_NOT_ALLOWED"
    NOT_VALID_FOR_CUSTOMER = "NOT_VALID_FOR_CUSTOMER"
    OWN_REFERRAL_COUPON = "OWN_REFERRAL_COUPON"
    NOT_A_SEGMENT_MEMBER = "NOT_A_SEGMENT_MEMBER"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    MIN_ORDER_VALUE_NOT_REACHED = "MIN_ORDER_VALUE_NOT_REACHED"
    REDEMPTION_LIMIT_REACHED = "REDEMPTION_LIMIT_REACHED"
    CUSTOMER_REDEMPTION_LIMIT_REACHED = "CUSTOMER_REDEMPTION_LIMIT_REACHED"
    NO_ELIGIBLE_ITEMS = "NO_ELIGIBLE_ITEMS"
    DISCOUNT_TOO_HIGH = "DISCOUNT_TOO_HIGH"
    DISCOUNT_MISMATCH = "DISCOUNT_MISMATCH"


# Refusals that depend on how many redemptions exist: a conflict with the coupon's state.
LIMITS = frozenset({Refusal.REDEMPTION_LIMIT_REACHED, Refusal.CUSTOMER_REDEMPTION_LIMIT_REACHED})


@dataclass(frozen=True)
class Problem:
    reason: Refusal
    field: str
    message: str

    def as_detail(self) -> ErrorDetail:
        return ErrorDetail(field=self.field, type=str(self.reason), message=self.message)


class CouponRefused(ApplicationError):
    """The coupon cannot be redeemed; `details` carry every reason, in the order checked.

    A redemption refused only by its limits is a 409 (the coupon's state conflicts with
    it); every other refusal, and every refused validation, is a 400.
    """

    def __init__(self, code: str, problems: list[Problem], *, redeeming: bool) -> None:
        super().__init__(
            f"The coupon {code} cannot be redeemed: {problems[0].message}",
            resource_id=code,
            details=[problem.as_detail() for problem in problems],
        )
        self.reasons = [problem.reason for problem in problems]
        only_limits = all(reason in LIMITS for reason in self.reasons)
        conflict = redeeming and only_limits
        self.status_code = HTTPStatus.CONFLICT if conflict else HTTPStatus.BAD_REQUEST
