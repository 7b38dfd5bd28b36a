"""The membership rule as ready SQL, for the storefront's uncached hot path (match).

Building `active_member_segments`' queryset costs Django about 2 ms of `filter()` calls
per request, before any SQL runs: more than the statement itself. Its shape depends only
on whether a legal entity and a site are given, so each shape is built once with
placeholder values, compiled, and cached; a request only binds its own values into the
compiled statement. The rule itself stays in `membership.py`: this module compiles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from .membership import active_member_segments

# Placeholder values, each unlike anything a caller could pass, replaced at binding.
_TENANT = "\x1fmember-sql-tenant"
_CUSTOMER = "\x1fmember-sql-customer"
_LEGAL_ENTITY = "\x1fmember-sql-legal-entity"
_SITE = "\x1fmember-sql-site"
_AT = datetime(1900, 1, 1, 0, 0, 0, 424242, tzinfo=UTC)


@dataclass(frozen=True)
class SegmentRowsStatement:
    """SQL selecting `(id, public_id)` of segments, with its parameters, on database `using`."""

    sql: str
    params: list[Any]
    using: str


@lru_cache(maxsize=32)
def _compiled(using: str, with_legal_entity: bool, with_site: bool) -> tuple[str, tuple]:
    queryset = active_member_segments(
        tenant=_TENANT,
        customer_id=_CUSTOMER,
        legal_entity_id=_LEGAL_ENTITY if with_legal_entity else None,
        at=_AT,
        site_code=_SITE if with_site else None,
    )
    rows = queryset.using(using).order_by().values("pk", "public_id")
    sql, params = rows.query.sql_with_params()
    bound = {param for param in params if _is_placeholder(param)}
    if _TENANT not in bound or _CUSTOMER not in bound or _AT not in bound:
        # A database whose driver adapts values while compiling (SQLite turns datetimes
        # into text) would leave placeholders unbound: refuse rather than answer wrongly.
        raise RuntimeError(f"The membership statement cannot be precompiled on {using}.")
    return sql, tuple(params)


def active_member_segment_rows(
    *,
    tenant: str,
    customer_id: str,
    legal_entity_id: str | None,
    at: datetime,
    site_code: str | None,
    using: str,
) -> SegmentRowsStatement:
    """`active_member_segments(...)` as a statement of `(id, public_id)` rows."""
    sql, template = _compiled(using, legal_entity_id is not None, site_code is not None)
    values = {
        _TENANT: tenant,
        _CUSTOMER: customer_id,
        _LEGAL_ENTITY: legal_entity_id,
        _SITE: site_code,
        _AT: at,
    }
    params = [values[param] if _is_placeholder(param) else param for param in template]
    return SegmentRowsStatement(sql, params, using)


def _is_placeholder(param: Any) -> bool:
    return (isinstance(param, str) and param.startswith("\x1fmember-sql-")) or param == _AT
