"""Every statement of one bulk member upsert, with its plan: EXPLAIN (ANALYZE, BUFFERS).

Calls `customer_assignments_upsert_bulk` (the service behind PUT
/segments/{id}/customers/bulk) in-process on a benchmark database, with PostgreSQL's
`auto_explain` switched on for the session (nested statements and triggers included) and
its log sent to this client, so that what a call costs per statement, and which of those
costs grow with the tenant's size, can be read off at S, M and L alike:

    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/seg_bench_m \
        .venv/bin/python bench/bulk_statements.py --calls 3

Each call writes `--size` new members (random customers of the tenant, B2B ones acting for
one of their legal entities) into a segment of its own (`bench-write-statements`), deleted
again at the end. Prints each call's wall time, then the plans of the last call.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "segments_project.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from segments.models import Segment, SegmentCustomerAssignment  # noqa: E402
from segments.services.members import customer_assignments_upsert_bulk  # noqa: E402
from segments.services.segments import segment_upsert  # noqa: E402

SEGMENT = "bench-write-statements"


def _members(tenant: str, count: int, seed: int) -> list[dict[str, str]]:
    """`count` random customers, B2B ones with one of their legal entities."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM segments_customer WHERE tenant_id = %s", [tenant])
        (top,) = cursor.fetchone()
        rng = random.Random(seed)
        ids = sorted({rng.randint(1, top) for _ in range(count * 3)})
        cursor.execute(
            """
            SELECT c.public_id, min(e.public_id) FROM segments_customer c
            LEFT JOIN segments_customerlegalentity l ON l.customer_id = c.id
            LEFT JOIN segments_legalentity e ON e.id = l.legal_entity_id
            WHERE c.tenant_id = %s AND c.id = ANY(%s) GROUP BY c.id
            """,
            [tenant, ids],
        )
        rows = cursor.fetchall()
    rng.shuffle(rows)
    return [
        {"customerId": customer, **({"legalEntityId": entity} if entity else {})}
        for customer, entity in rows[:count]
    ]


def _explaining(cursor) -> None:
    for statement in (
        "LOAD 'auto_explain'",
        "SET auto_explain.log_min_duration = 0",
        "SET auto_explain.log_analyze = on",
        "SET auto_explain.log_buffers = on",
        "SET auto_explain.log_timing = on",
        "SET auto_explain.log_triggers = on",
        "SET auto_explain.log_nested_statements = on",
        "SET client_min_messages = log",
    ):
        cursor.execute(statement)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", default="bench")
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--calls", type=int, default=3, help="calls; plans of the last")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-explain", action="store_true", help="only the wall times")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("PostgreSQL only")
    segment_upsert(
        tenant=args.tenant,
        segment_id=SEGMENT,
        document={"name": {"en": "Statements"}, "status": "ACTIVE", "siteCode": "main"},
    )
    notices: list[str] = []
    try:
        for call in range(args.calls):
            members = _members(args.tenant, args.size, args.seed + call)
            last = call == args.calls - 1
            connection.ensure_connection()
            raw = connection.connection
            if last and not args.no_explain:
                with connection.cursor() as cursor:
                    _explaining(cursor)
                raw.add_notice_handler(lambda diag: notices.append(diag.message_primary))
            started = time.perf_counter()
            outcomes = customer_assignments_upsert_bulk(
                tenant=args.tenant, segment_id=SEGMENT, documents=members
            )
            ms = (time.perf_counter() - started) * 1000
            created = sum(1 for outcome in outcomes if outcome.created)
            print(f"call {call + 1}: {len(members)} elements, {created} created, {ms:.1f} ms")
    finally:
        connection.close()
        SegmentCustomerAssignment.objects.filter(
            tenant_id=args.tenant, segment__public_id=SEGMENT
        )._raw_delete("default")
        Segment.objects.filter(tenant_id=args.tenant, public_id=SEGMENT).delete()
    for notice in notices:
        print(notice)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
