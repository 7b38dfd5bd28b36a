"""Money as coupons speak it: ISO 4217 currency codes and amounts with at most two decimals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from segments_project.api.documents import invalid

# The active ISO 4217 codes (list one, 2024), without the fund and precious-metal codes.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XOF XPF YER ZAR
    ZMW ZWG
    """.split()  # noqa: SIM905 - a list of 150 literals would hide nothing
)

# The vendor's currency-amount schema defaults a missing currency to USD.
DEFAULT_CURRENCY = "USD"
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def as_dict(self) -> dict[str, Any]:
        return {"amount": float(self.amount), "currency": self.currency}


def round_money(amount: Decimal) -> Decimal:
    """Half-up to cents, the rounding of every computed amount."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def clean_currency(value: Any, field: str) -> str:
    if value is None:
        return DEFAULT_CURRENCY
    if not isinstance(value, str) or value not in ISO_4217:
        raise invalid(field, f"{field} must be an ISO 4217 currency code such as EUR or USD.")
    return value


def clean_amount(value: Any, field: str) -> Decimal:
    """A non-negative number with at most two decimals, as an exact Decimal.

    JSON numbers arrive as int or float; a float's shortest repr is the number the client
    wrote, so `Decimal(repr(value))` keeps 24.99 as 24.99.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(field, f"{field} must be a number.")
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - json never yields nan or inf here
        raise invalid(field, f"{field} must be a finite number.") from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise invalid(field, f"{field} must be between 0 and {MAX_AMOUNT}.")
    if amount != amount.quantize(CENT):
        raise invalid(field, f"{field} may have at most two decimal places.")
    return amount.quantize(CENT)


def clean_money(value: Any, field: str) -> Money:
    """`{amount, currency}`: the amount is required, the currency defaults to USD."""
    if not isinstance(value, dict):
        raise invalid(field, f"{field} must be an object with amount and currency.")
    if value.get("amount") is None:
        raise invalid(f"{field}.amount", f"{field}.amount is required.", type="required")
    return Money(
        amount=clean_amount(value["amount"], f"{field}.amount"),
        currency=clean_currency(value.get("currency"), f"{field}.currency"),
    )
