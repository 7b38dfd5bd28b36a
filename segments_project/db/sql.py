"""SQL fragments the members' hot paths share, written once per database vendor."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import connection
from django.db.models import Lookup


def one_of(column: str, values: Collection[Any]) -> tuple[str, list[Any]]:
    """`column` is one of `values`: one array parameter on PostgreSQL (a statement whose
    text does not grow with the values), a list of placeholders elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


class InComputedFirst(Lookup):
    """`lhs IN (subquery)`, which PostgreSQL is made to compute first (`lhs = ANY(ARRAY(
    subquery))`, an InitPlan) and then answer from `lhs`'s index. Used as an expression,
    `.filter(InComputedFirst(F("pk"), rows))`, where the planner overestimates the
    subquery's rows by orders of magnitude and would otherwise hash-join it with a scan of
    the whole table (the preview's products: 3,000 estimated as 33,000, 2,000,000 products
    read, 0.3 s a query at L). Elsewhere a plain `IN`."""

    lookup_name = "in_computed_first"

    def _sides(self, compiler: Any, connection: Any) -> tuple[str, str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return lhs, rhs, [*lhs_params, *rhs_params]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} IN {rhs}", params

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, rhs, params = self._sides(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", params


def row_lock(strength: str) -> str:
    """` FOR <strength>` (`KEY SHARE`, `NO KEY UPDATE`) where rows can be locked; SQLite
    takes no row locks, its immediate transactions serialize writers already."""
    return f" FOR {strength}" if connection.vendor == "postgresql" else ""


# The namespace (first key) of the segments' transaction-level advisory locks.
SEGMENT_LOCKS = 17
# A rule segment's advisory lock is one of its tenant's stripes (the pk modulo this), so a
# customer write, which holds every stripe of its tenant shared, takes this many locks
# whatever the number of rule segments: each advisory lock fills a slot of PostgreSQL's
# shared lock table (max_locks_per_transaction per connection, 64 by default), which one
# lock per rule segment would exhaust at a few concurrent writes of 2,000 rule segments.
SEGMENT_LOCK_STRIPES = 16


def segment_stripe(pk_column: str) -> str:
    """The SQL expression of the stripe of the segment whose pk is `pk_column`."""
    return f"mod({pk_column}, {SEGMENT_LOCK_STRIPES})"


def segment_advisory_lock(tenant_column: str, stripe: str, *, shared: bool) -> str:
    """PostgreSQL: an SQL expression taking the transaction-level advisory lock of the
    tenant's segment stripe `stripe` (an SQL expression, see `segment_stripe`), shared or
    exclusive, held until the transaction ends.

    Unlike a row lock it writes nothing (no tuple header, no WAL record). Two tenants whose
    stripes hash alike only wait for each other needlessly."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    key = f"hashtext(CAST({tenant_column} AS text) || ':' || CAST({stripe} AS text))"
    return f"{function}({SEGMENT_LOCKS}, {key})"


def rule_segment_lock(table: str) -> str:
    """PostgreSQL: an SQL expression over a row of the segments table `table` taking its
    stripe's advisory lock exclusively if the segment has a rule (NULL otherwise): what
    every writer of a segment's members takes, since the customer writes that evaluate
    the rules hold the stripes shared. A segment without a rule locks nothing, so its
    member writes never wait for customer writes."""
    lock = segment_advisory_lock(f"{table}.tenant_id", segment_stripe(f"{table}.id"), shared=False)
    return f"CASE WHEN {table}.criteria IS NOT NULL THEN {lock} END"
