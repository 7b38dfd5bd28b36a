"""Relative dates: `"-30d"` in a date comparison means 30 days before the query's "now".

A relative date is a sign, an amount of one to six digits and a unit: `s` seconds, `m`
minutes, `h` hours, `d` days, `w` weeks (`-30d`, `-12h`, `+2w`; quoted or bare). It is
resolved once, when the query is compiled, into the instant `now + amount` written as the
service writes timestamps (`2026-11-03T11:00:00.000Z`), and then compared like any date:

- on a date-time field (`metadata.createdAt`, `validity.from`) wherever a date may stand;
- on a JSON member (`mixins.orders.lastOrderAt`) or an object member only in comparisons
  and ranges (`:>="-30d"`), where it compares as that text; an exact `mixins.x:"-30d"`
  still means the string, since an instant to the millisecond is never what one asks for.

A rule holding a relative date therefore matches a moving set of documents, which is why
such rules must be re-evaluated as time passes.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from segments_project.api.documents import format_datetime

from . import parser as nodes
from .fields import FieldKind
from .lexer import syntax_error

_RELATIVE = re.compile(r"([+-])([0-9]{1,6})([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DATE_KINDS = {FieldKind.DATETIME}
_COMPARED_KINDS = {FieldKind.DATETIME, FieldKind.JSON, FieldKind.OBJECTS}


def is_relative(text: str) -> bool:
    """Whether `text` spells a relative date."""
    return _RELATIVE.fullmatch(text) is not None


def resolve(expr: nodes.Expr, kind: FieldKind, now: datetime) -> nodes.Expr:
    """`expr` with its relative dates replaced by the instants they mean at `now`, where
    the field kind takes dates (see the module docstring); otherwise `expr` itself."""
    match expr:
        case nodes.Compare(op, value) if kind in _COMPARED_KINDS:
            return nodes.Compare(op, _instant(value, now))
        case nodes.Range(bounds) if kind in _COMPARED_KINDS:
            return nodes.Range(tuple(nodes.Compare(b.op, _instant(b.value, now)) for b in bounds))
        case nodes.Exact(value) if kind in _DATE_KINDS:
            return nodes.Exact(_instant(value, now))
        case nodes.AnyOf(values) if kind in _DATE_KINDS:
            return nodes.AnyOf(tuple(_instant(value, now) for value in values))
    return expr


def _instant(value: nodes.Value, now: datetime) -> nodes.Value:
    match = _RELATIVE.fullmatch(value.text)
    if match is None:
        return value
    sign, amount, unit = match.groups()
    delta = timedelta(**{_UNITS[unit]: int(amount)})
    try:
        instant = now + delta if sign == "+" else now - delta
    except OverflowError:
        raise syntax_error(
            f"the relative date '{value.text}' is outside the calendar", value.pos
        ) from None
    return nodes.Value(format_datetime(instant) or "", quoted=True, pos=value.pos)
