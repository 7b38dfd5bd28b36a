"""A date drill-down for the admin that stays cheap on a trail of millions of rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Max, Min, QuerySet
from django.utils import timezone


def periods_between(first: date, last: date, kind: str) -> list[date]:
    if kind == "year":
        return [date(year, 1, 1) for year in range(first.year, last.year + 1)]
    if kind == "month":
        months = range(first.year * 12 + first.month - 1, last.year * 12 + last.month)
        return [date(month // 12, month % 12 + 1, 1) for month in months]
    return [date.fromordinal(day) for day in range(first.toordinal(), last.toordinal() + 1)]


class DrillDownQuerySet(QuerySet):
    """`datetimes()` lists every year, month or day from the first row to the last instead
    of those that have rows: MIN and MAX (two ends of an index) instead of a DISTINCT over
    every row (a second per million rows on PostgreSQL). A listed period may be empty."""

    def datetimes(self, field_name: str, kind: str, *args: Any, **kwargs: Any) -> list[date]:
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        first, last = (timezone.localtime(bounds[end]).date() for end in ("first", "last"))
        return periods_between(first, last, kind)
