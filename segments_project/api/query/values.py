"""Conversion of query literals to the Python values a field kind compares against."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from decimal import Decimal

from django.utils.dateparse import parse_date

from segments_project.api.documents import parse_iso_datetime

from .fields import FieldKind, ResolvedField
from .lexer import syntax_error
from .parser import Value

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: JSON numbers with more significant digits, or beyond this decimal exponent, cannot be
#: compared the same way by PostgreSQL (exact numeric) and SQLite (doubles).
MAX_PORTABLE_DIGITS = 15
MAX_PORTABLE_EXPONENT = 300

_INTEGER = re.compile(r"-?[0-9]{1,19}")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]{1,4})?")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]{1,4})?")
_BOOLEANS = {"true": True, "false": False}


def convert(field: ResolvedField, value: Value) -> object:
    """`value` as the Python value field kinds STRING..ENUM compare with.

    Guarantees: str for STRING/ENUM (ENUM one of the choices), int within int64 for INTEGER,
    finite Decimal for NUMBER, bool for BOOLEAN, aware UTC datetime for DATETIME. Raises
    ValidationFailed naming the value's position otherwise.
    """
    kind = field.spec.kind
    text = value.text
    if kind is FieldKind.INTEGER:
        if _INTEGER.fullmatch(text) and INT64_MIN <= int(text) <= INT64_MAX:
            return int(text)
        raise _bad(value, field, "an integer")
    if kind is FieldKind.NUMBER:
        number = _decimal(text, _NUMBER, max_digits=30)
        if number is None:
            raise _bad(value, field, "a number")
        return number
    if kind is FieldKind.BOOLEAN:
        if text.lower() in _BOOLEANS:
            return _BOOLEANS[text.lower()]
        raise _bad(value, field, "true or false")
    if kind is FieldKind.DATETIME:
        return _datetime(value, field)
    if kind is FieldKind.ENUM and text not in field.spec.choices:
        raise _bad(value, field, "one of " + ", ".join(field.spec.choices))
    return text


def json_number(text: str) -> Decimal | None:
    """`text` as a number when it is a JSON number both databases compare alike, else None."""
    return _decimal(text, _JSON_NUMBER, max_digits=MAX_PORTABLE_DIGITS)


def json_boolean(text: str) -> str | None:
    """'true' or 'false' when `text` spells a boolean (any case), else None."""
    lowered = text.lower()
    return lowered if lowered in _BOOLEANS else None


def _decimal(text: str, syntax: re.Pattern[str], *, max_digits: int) -> Decimal | None:
    if not syntax.fullmatch(text):
        return None
    number = Decimal(text)
    digits = "".join(map(str, number.as_tuple().digits)).strip("0")
    if len(digits) > max_digits or abs(number.adjusted()) > MAX_PORTABLE_EXPONENT:
        return None
    return number


def _datetime(value: Value, field: ResolvedField) -> datetime:
    parsed = parse_iso_datetime(value.text)
    if parsed is None:
        try:
            day = parse_date(value.text)
        except ValueError:  # well-formed, but not a day of the calendar
            day = None
        parsed = datetime.combine(day, time(), tzinfo=UTC) if day else None
    if parsed is None:
        raise _bad(
            value,
            field,
            'an ISO 8601 date-time such as "2021-05-18T07:27:27Z" or a relative date such as'
            ' "-30d" (units s, m, h, d, w)',
        )
    return parsed


def _bad(value: Value, field: ResolvedField, expected: str) -> Exception:
    shown = value.text if len(value.text) <= 40 else value.text[:40] + "..."
    return syntax_error(
        f"'{shown}' is not valid for '{field.name}': expected {expected}", value.pos
    )
