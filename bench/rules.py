"""Benchmark: rule segments (issue 17, "Speed"), each part next to a reference measured in
the same run.

1. Preview (`criteria_preview`) of the three-condition rule with a mixin path, next to the
   bare SQL COUNT of the same condition through psycopg. Goal: p95 <= 150 ms at M.
2. Full evaluation of one rule segment (`segment_rule_apply`), from no AUTOMATIC members
   and again with nothing to change, next to the bare `INSERT ... SELECT` of the matched
   members into an empty copy of the assignment table (same indexes, WAL-logged) through
   psycopg.
   Goal: <= 2 s at M, <= 20 s at L.
3. Customer writes (`customer_upsert`, and `customers_upsert_many` of 200) with the
   tenant's rule segments, next to the same writes with the rules set aside (criteria
   NULL for the duration, restored after). Goals: a single upsert <= 5 ms slower, a bulk
   upsert <= 2x.

Also the EXPLAIN (ANALYZE, BUFFERS) plans of the preview's aggregate and of the
evaluation's two statements. Runs in-process against its own PostgreSQL database
(`seg_bench_rules_<scale>`, created, migrated and generated with `generate_dataset` when
missing; the tenant `bench`):

    .venv/bin/python bench/rules.py --scale M      # about 5 minutes with the dataset
    .venv/bin/python bench/rules.py --smoke        # CI: tiny dataset, every part, < 1 minute

Writes bench/results/rules-<scale>-<stamp>.json (git-ignored), the summary
bench/results/summary-rules-<scale>.json (committed) and the table between the markers of
docs/benchmarks.md (not with --smoke or --no-docs).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import RESULTS, Target, ensure_database, log, percentiles  # noqa: E402
from bench.report import commit, machine  # noqa: E402

TENANT = "bench"
DOCS = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- rules-bench:start -->", "<!-- rules-bench:end -->"
PREVIEW_RULE = {
    "q": "addresses.country:DE mixins.loyalty.points:>=500 preferredLanguage:(de,de_DE)"
}
BULK_SIZE = 200
# The goals of issue 17 ("Speed").
PREVIEW_P95_MS = 150.0
EVALUATION_SECONDS = {"XS": 2.0, "S": 2.0, "M": 2.0, "L": 20.0}
SINGLE_UPSERT_EXTRA_MS = 5.0
BULK_UPSERT_FACTOR = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=str.upper, choices=("XS", "S", "M", "L"), default="M")
    parser.add_argument("--smoke", action="store_true", help="XS, few rounds, docs untouched")
    parser.add_argument("--database", help="PostgreSQL database (seg_bench_rules_<scale>)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=30, help="previews per kind")
    parser.add_argument("--evaluations", type=int, default=3, help="evaluations per kind")
    parser.add_argument("--upserts", type=int, default=50, help="single upserts per round")
    parser.add_argument("--write-rounds", type=int, default=4, help="rounds with and without")
    parser.add_argument(
        "--parts", default="preview,evaluation,upserts", help="comma-separated parts to run"
    )
    parser.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.smoke:
        args.scale = "XS"
        args.rounds, args.evaluations, args.upserts, args.write_rounds = 3, 1, 5, 1
        args.no_docs = True
    args.database = args.database or f"seg_bench_rules_{args.scale.lower()}"
    return args


def setup_django(target: Target) -> None:
    os.environ["DATABASE_URL"] = target.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "segments_project.settings.test")
    import django

    django.setup()


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Yields a list that holds the elapsed milliseconds once the block ends."""
    elapsed: list[float] = []
    started = time.perf_counter()
    yield elapsed
    elapsed.append((time.perf_counter() - started) * 1000)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    with stopwatch() as elapsed:
        answer = call()
    return elapsed[0], answer


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


# -- the dataset -----------------------------------------------------------------------------


def ensure_dataset(target: Target, scale: str, seed: int, created: bool) -> dict[str, Any]:
    """Migrated, generated (when the counts or the rule segments are missing) and vacuumed
    (statistics and visibility map as autovacuum leaves them after a bulk load)."""
    from django.core.management import call_command

    from segments.models import Customer, Segment, SegmentCustomerAssignment
    from segments_project.benchdata.scales import scale_for

    info: dict[str, Any] = {"database": target.database, "created": created}
    call_command("migrate", "--noinput", verbosity=0)
    expected = scale_for(scale)
    customers = Customer.objects.filter(tenant_id=TENANT).count()
    rules = Segment.objects.filter(tenant_id=TENANT, criteria__isnull=False).count()
    info["generated"] = customers != expected.customers or not rules
    if info["generated"]:
        log(f"  generating scale {scale} ...")
        options = ["--tenant", TENANT, "--scale", scale, "--seed", str(seed), "--replace"]
        options += ["--client-secret", "bench-rules-client-secret"]
        with open(os.devnull, "w") as quiet:
            seconds, _ = timed(lambda: call_command("generate_dataset", *options, stdout=quiet))
        info["generate_seconds"] = round(seconds / 1000, 1)
    seconds, _ = timed(vacuum)
    info["vacuum_seconds"] = round(seconds / 1000, 1)
    info["customers"] = Customer.objects.filter(tenant_id=TENANT).count()
    info["segments"] = Segment.objects.filter(tenant_id=TENANT).count()
    info["customer_assignments"] = SegmentCustomerAssignment.objects.filter(
        tenant_id=TENANT
    ).count()
    info["rule_segments"] = Segment.objects.filter(tenant_id=TENANT, criteria__isnull=False).count()
    return info


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "segments_customer",
            "segments_legalentity",
            "segments_customerlegalentity",
            "segments_segmentcustomerassignment",
            "segments_segment",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def explain(sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one statement, in a transaction rolled back."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


# -- 1. preview -------------------------------------------------------------------------------


def preview_part(target: Target, rounds: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from segments.documents.directory import CUSTOMER_QUERY_FIELDS
    from segments.models import Customer
    from segments.selectors.criteria import criteria_preview
    from segments_project.api.query import compile_query

    matching = Customer.objects.filter(tenant_id=TENANT).filter(
        compile_query(PREVIEW_RULE["q"], CUSTOMER_QUERY_FIELDS)
    )
    sql, params = matching.values("pk").query.sql_with_params()
    reference_sql = f"SELECT count(*) FROM ({sql}) AS matched"
    preview_ms: list[float] = []
    reference_ms: list[float] = []
    with target.connect(autocommit=True) as raw:

        def reference() -> int:
            return raw.execute(reference_sql, params).fetchone()[0]

        def preview() -> Any:
            return criteria_preview(tenant=TENANT, criteria=PREVIEW_RULE)

        for _ in range(2):  # warm both (plans, buffers)
            preview(), reference()
        for round_ in range(rounds):
            # Alternate which goes first, so neither always finds the other's buffers.
            order = (preview, reference) if round_ % 2 == 0 else (reference, preview)
            for call in order:
                elapsed, answer = timed(call)
                (preview_ms if call is preview else reference_ms).append(elapsed)
        answer, expected = preview(), reference()
    if answer.count != expected:
        raise RuntimeError(f"preview counted {answer.count}, the bare SQL {expected}")
    with CaptureQueriesContext(connection) as queries:
        preview()
    result = {
        "rule": PREVIEW_RULE,
        "count": answer.count,
        "total_customers": answer.total_customers,
        "queries": len(queries.captured_queries),
        "preview": percentiles(preview_ms),
        "reference": percentiles(reference_ms),
        "plan": explain(queries.captured_queries[0]["sql"]),
        "reference_plan": explain(raw_sql(reference_sql, params)),
    }
    result["ratio_p95"] = round(result["preview"]["p95_ms"] / result["reference"]["p95_ms"], 2)
    return result


def raw_sql(sql: str, params: Any) -> str:
    """The statement with its parameters inlined (for EXPLAIN), as the driver would send it."""
    from django.db import connection

    with connection.cursor() as cursor:
        return cursor.mogrify(sql, params)


# -- 2. full evaluation -------------------------------------------------------------------


def evaluation_segments() -> dict[str, Any]:
    """One rule segment of each kind: the preview's three-condition shape, a relative date,
    and a rule with `legalEntities` (B2B members)."""
    from segments.models import Segment

    rules = Segment.objects.filter(tenant_id=TENANT, criteria__isnull=False).order_by("pk")
    kinds = {
        "three conditions, mixin path": rules.filter(criteria__q__startswith="addresses.country:"),
        "relative date": rules.filter(criteria__q__icontains='lastOrderAt:>="-'),
        "with legalEntities": rules.filter(criteria__has_key="legalEntities"),
    }
    return {kind: chosen.first() for kind, chosen in kinds.items() if chosen.exists()}


def evaluation_part(target: Target, rounds: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from segments.models import SegmentCustomerAssignment
    from segments.selectors.criteria import criteria_pairs
    from segments.services.rule_evaluation import segment_rule_apply

    def without_automatic(segment: Any) -> None:
        SegmentCustomerAssignment.objects.filter(
            segment=segment, assignment_type="AUTOMATIC"
        ).delete()

    results: dict[str, Any] = {}
    for kind, segment in evaluation_segments().items():
        matched = criteria_pairs(tenant=TENANT, criteria=segment.criteria)
        reference_ms = bare_insert_ms(target, matched, segment.pk, rounds)

        def apply(segment: Any = segment) -> Any:
            return segment_rule_apply(tenant=TENANT, segment_id=segment.public_id)

        first_ms, first = timed(apply)  # as generated: a tenth of the members AUTOMATIC
        from_empty_ms, unchanged_ms = [], []
        for _ in range(rounds):
            without_automatic(segment)
            with CaptureQueriesContext(connection) as timed_queries:
                elapsed, applied = timed(apply)
            from_empty_ms.append(elapsed)
            unchanged_ms.append(timed(apply)[0])
        breakdown = statement_times(timed_queries.captured_queries, elapsed)
        without_automatic(segment)
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            apply()
            transaction.set_rollback(True)
        statements = [
            q["sql"] for q in queries.captured_queries if "WITH m(customer_id" in q["sql"]
        ]
        apply()  # leaves the segment evaluated
        results[kind] = {
            "segment": segment.public_id,
            "criteria": segment.criteria,
            "members": applied.added,
            "first": {"ms": round(first_ms, 1), "added": first.added, "removed": first.removed},
            "from_empty": percentiles(from_empty_ms),
            "unchanged": percentiles(unchanged_ms),
            "reference": percentiles(reference_ms),
            "ratio": round(min(from_empty_ms) / min(reference_ms), 2),
            "breakdown_ms": breakdown,
            "plans": {"insert": explain_after(statements[0], segment), "delete": ""},
        }
        results[kind]["plans"]["delete"] = explain(statements[1])
    return results


def statement_times(queries: list[dict[str, str]], total_ms: float) -> dict[str, float]:
    """Where one evaluation's time went: its INSERT, its DELETE, the COMMIT (which runs the
    deferred foreign-key checks of the new rows), the other queries (lock, rule, audit
    samples and event) and Python."""

    def seconds(test: Callable[[str], bool]) -> float:
        return sum(float(q["time"]) for q in queries if test(q["sql"]))

    insert = seconds(lambda sql: "INSERT INTO segments_segmentcustomerassignment" in sql)
    delete = seconds(lambda sql: "DELETE FROM segments_segmentcustomerassignment" in sql)
    commit = seconds(lambda sql: sql.strip() == "COMMIT")
    every = seconds(lambda sql: True)
    return {
        "insert": round(insert * 1000, 1),
        "delete": round(delete * 1000, 1),
        "commit": round(commit * 1000, 1),
        "other_queries": round((every - insert - delete - commit) * 1000, 1),
        "python": round(total_ms - every * 1000, 1),
    }


# The evaluation's reference: the same members written by one INSERT ... SELECT into an
# empty copy of the assignment table (its columns, defaults and indexes, WAL-logged like
# it; no foreign keys), without the anti-joins against members and exclusions, the DELETE,
# the lock, the audit and the commit. Made and written in a transaction rolled back.
_COPY_TABLE = "CREATE TABLE bench_members (LIKE segments_segmentcustomerassignment INCLUDING ALL)"
_BARE_INSERT = """
    INSERT INTO bench_members (tenant_id, segment_id, customer_id, legal_entity_id, mixins,
        metadata_mixins, assignment_type, version, created_at, modified_at)
    SELECT %s, %s, m.customer_id, m.legal_entity_id, '{{}}', '{{}}', 'AUTOMATIC', 1, now(), now()
    FROM (SELECT DISTINCT * FROM ({matched}) AS p(customer_id, legal_entity_id)) AS m
"""


def bare_insert_ms(target: Target, matched: Any, segment_pk: int, rounds: int) -> list[float]:
    sql, params = matched.query.sql_with_params()
    timings = []
    with target.connect() as raw:
        for _ in range(rounds):
            raw.execute(_COPY_TABLE)
            with stopwatch() as elapsed:
                raw.execute(_BARE_INSERT.format(matched=sql), [TENANT, segment_pk, *params])
            timings.append(elapsed[0])
            raw.rollback()
    return timings


def explain_after(insert_sql: str, segment: Any) -> str:
    """The plan of the evaluation's INSERT from no AUTOMATIC members (the segment is left
    as it was: rolled back)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM segments_segmentcustomerassignment"
            " WHERE segment_id = %s AND assignment_type = 'AUTOMATIC'",
            [segment.pk],
        )
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + insert_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


# -- 3. customer writes with and without rule segments ------------------------------------


@contextmanager
def rules_set_aside() -> Iterator[int]:
    """The tenant's segments without criteria for the duration (restored after, whatever
    happens): the same writes with and without rule segments, on the same data."""
    from django.db import transaction

    from segments.models import Segment

    rules = dict(
        Segment.objects.filter(tenant_id=TENANT, criteria__isnull=False).values_list(
            "pk", "criteria"
        )
    )
    Segment.objects.filter(pk__in=rules).update(criteria=None)
    try:
        yield len(rules)
    finally:
        with transaction.atomic():
            for pk, criteria in rules.items():
                Segment.objects.filter(pk=pk).update(criteria=criteria)


def _documents(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` customer documents of the tenant, seeded, each with its behaviour facts."""
    from segments.documents.directory import customer_document
    from segments.models import Customer

    pks = list(Customer.objects.filter(tenant_id=TENANT).values_list("pk", flat=True))
    chosen = random.Random(f"rules-bench:{seed}").sample(pks, min(count, len(pks)))
    customers = Customer.objects.filter(pk__in=chosen).prefetch_related("legal_entities")
    documents = [customer_document(customer) for customer in customers]
    for document in documents:
        document.pop("metadata", None)
    return documents


def _touched(document: dict[str, Any], step: int) -> dict[str, Any]:
    """The document with new order facts (an order placed now), so every write changes the
    row and may change what the rules select."""
    from django.utils import timezone

    from segments_project.api.documents import format_datetime

    mixins = dict(document.get("mixins") or {})
    orders = dict(mixins.get("orders") or {"count": 0, "totalSpent": 0})
    orders["count"] = orders.get("count", 0) + 1
    orders["totalSpent"] = round(orders.get("totalSpent", 0) + 10 + step, 2)
    orders["lastOrderAt"] = format_datetime(timezone.now())
    return {**document, "mixins": {**mixins, "orders": orders}}


def upserts_part(seed: int, singles: int, rounds: int) -> dict[str, Any]:
    from segments.documents.directory import customer_values, legal_entity_ids_of
    from segments.importers.customers import CustomerRow
    from segments.services.directory import customer_upsert, customers_upsert_many

    documents = _documents(max(singles, BULK_SIZE), seed)
    times: dict[str, dict[str, list[float]]] = {
        mode: {"single": [], "bulk": []} for mode in ("rules", "none")
    }
    step = 0

    def run(mode: str) -> None:
        nonlocal step
        step += 1
        for document in documents[:singles]:
            touched = _touched(document, step)
            elapsed, _ = timed(
                lambda touched=touched: customer_upsert(
                    tenant=TENANT, customer_id=touched["id"], document=touched
                )
            )
            times[mode]["single"].append(elapsed)
        rows = []
        for line, document in enumerate(documents[:BULK_SIZE]):
            touched = _touched(document, step)
            rows.append(
                CustomerRow(
                    line, touched["id"], customer_values(touched), None,
                    tuple(legal_entity_ids_of(touched)),
                )
            )  # fmt: skip
        elapsed, upserted = timed(lambda: customers_upsert_many(tenant=TENANT, rows=rows))
        if upserted.refused:
            raise RuntimeError(f"bulk upsert refused rows: {upserted.refused[:3]}")
        times[mode]["bulk"].append(elapsed)

    run("rules")  # warm-up of both paths, not counted
    with rules_set_aside():
        run("none")
    times = {mode: {"single": [], "bulk": []} for mode in ("rules", "none")}
    for round_ in range(rounds):
        # Alternate which mode goes first.
        for mode in ("rules", "none") if round_ % 2 == 0 else ("none", "rules"):
            if mode == "none":
                with rules_set_aside():
                    run(mode)
            else:
                run(mode)
    single = {mode: percentiles(values["single"]) for mode, values in times.items()}
    bulk = {mode: percentiles(values["bulk"]) for mode, values in times.items()}
    return {
        "engine_wired": engine_wired(),
        "single": single,
        "single_extra_ms": round(single["rules"]["mean_ms"] - single["none"]["mean_ms"], 2),
        "single_extra_p50_ms": round(single["rules"]["p50_ms"] - single["none"]["p50_ms"], 2),
        "bulk": bulk,
        "bulk_ratio": round(bulk["rules"]["mean_ms"] / bulk["none"]["mean_ms"], 2),
        "bulk_size": BULK_SIZE,
    }


def engine_wired() -> bool:
    """Whether a customer write evaluates the rules (the engine of issue 17): a customer
    written to match `PREVIEW_RULE` becomes an AUTOMATIC member of a segment with it."""
    from django.db import transaction

    from segments.models import Segment, SegmentCustomerAssignment
    from segments.services.directory import customer_upsert

    with transaction.atomic():
        segment = Segment.objects.filter(tenant_id=TENANT, criteria__isnull=False).first()
        segment.criteria = PREVIEW_RULE
        segment.save(update_fields=["criteria"])
        customer_upsert(
            tenant=TENANT,
            customer_id="bench-rules-probe",
            document={
                "firstName": "Probe",
                "addresses": [{"country": "DE", "isDefault": True}],
                "preferredLanguage": "de",
                "mixins": {"loyalty": {"points": 10_000}},
            },
        )
        wired = SegmentCustomerAssignment.objects.filter(
            segment=segment, customer__public_id="bench-rules-probe", assignment_type="AUTOMATIC"
        ).exists()
        transaction.set_rollback(True)
    return wired


# -- goals, files, docs -------------------------------------------------------------------


def judge(results: dict[str, Any]) -> list[dict[str, Any]]:
    goals = []
    scale = results["scale"]
    if preview := results.get("preview"):
        goals.append(
            {
                "goal": f"preview p95 <= {PREVIEW_P95_MS:.0f} ms",
                "measured": preview["preview"]["p95_ms"],
                "reference": preview["reference"]["p95_ms"],
                "ratio": preview["ratio_p95"],
                "met": preview["preview"]["p95_ms"] <= PREVIEW_P95_MS,
            }
        )
    for kind, evaluation in (results.get("evaluation") or {}).items():
        limit = EVALUATION_SECONDS[scale]
        best = evaluation["from_empty"]["p50_ms"]
        goals.append(
            {
                "goal": f"full evaluation ({kind}, {evaluation['members']:,} members)"
                f" <= {limit:.0f} s",
                "measured": round(best / 1000, 2),
                "reference": round(evaluation["reference"]["p50_ms"] / 1000, 2),
                "ratio": evaluation["ratio"],
                "met": best <= limit * 1000,
            }
        )
    if upserts := results.get("upserts"):
        goals.append(
            {
                "goal": f"single upsert <= {SINGLE_UPSERT_EXTRA_MS:.0f} ms slower with rules"
                " (mean)",
                "measured": upserts["single"]["rules"]["mean_ms"],
                "reference": upserts["single"]["none"]["mean_ms"],
                "ratio": round(
                    upserts["single"]["rules"]["mean_ms"] / upserts["single"]["none"]["mean_ms"], 2
                ),
                # Judged only when customer writes evaluate the rules (the engine).
                "met": upserts["single_extra_ms"] <= SINGLE_UPSERT_EXTRA_MS
                if upserts["engine_wired"]
                else None,
            }
        )
        goals.append(
            {
                "goal": f"bulk upsert of {BULK_SIZE} <= {BULK_UPSERT_FACTOR:.0f}x without rules",
                "measured": upserts["bulk"]["rules"]["mean_ms"],
                "reference": upserts["bulk"]["none"]["mean_ms"],
                "ratio": upserts["bulk_ratio"],
                "met": upserts["bulk_ratio"] <= BULK_UPSERT_FACTOR
                if upserts["engine_wired"]
                else None,
            }
        )
    return goals


def write_files(results: dict[str, Any]) -> list[Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = results["started"].replace(":", "").replace("-", "")[:15]
    written = [RESULTS / f"rules-{results['scale']}-{stamp}.json"]
    if not results["smoke"]:
        written.append(RESULTS / f"summary-rules-{results['scale']}.json")
    for path in written:
        path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return written


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


VERDICTS = {True: "met", False: "**not met**", None: "not judged: writes do not evaluate rules"}


def markdown(results: dict[str, Any]) -> str:
    dirty = " (work tree modified)" if results["commit"]["dirty"] else ""
    lines = [
        f"### Rule segments, scale {results['scale']}",
        "",
        f"Run of {results['started']} at scale **{results['scale']}**, commit "
        f"`{results['commit']['sha'][:12]}{dirty}`, "
        f"load average {results['load_average'][0]} at the start and {results['load_average'][1]} "
        f"at the end; {results['dataset']['customers']:,} customers, "
        f"{results['dataset']['segments']:,} segments of which "
        f"{results['dataset']['rule_segments']} with a rule"
        + (
            f", {results['dataset']['customer_assignments']:,} customer assignments."
            if "customer_assignments" in results["dataset"]
            else "."
        ),
        "",
        "| goal | measured | reference (same run) | ratio | met |",
        "|---|---:|---:|---:|---|",
    ]
    for goal in results["goals"]:
        unit = " s" if "evaluation" in goal["goal"] else " ms"
        lines.append(
            f"| {goal['goal']} | {goal['measured']:,}{unit} | {goal['reference']:,}{unit} | "
            f"{goal['ratio']}x | {VERDICTS[goal['met']]} |"
        )
    if preview := results.get("preview"):
        p, r = preview["preview"], preview["reference"]
        lines += [
            "",
            f"Preview of `{preview['rule']['q']}` ({preview['count']:,} of "
            f"{preview['total_customers']:,} customers, {preview['queries']} queries): "
            f"p50 / p95 {_ms(p['p50_ms'])} / {_ms(p['p95_ms'])} ms over {p['count']} calls; "
            f"the bare COUNT {_ms(r['p50_ms'])} / {_ms(r['p95_ms'])} ms.",
        ]
    for kind, evaluation in (results.get("evaluation") or {}).items():
        e, u, r = evaluation["from_empty"], evaluation["unchanged"], evaluation["reference"]
        b = evaluation["breakdown_ms"]
        first = evaluation["first"]
        lines += [
            "",
            f"Evaluation, {kind} (`{json.dumps(evaluation['criteria'], ensure_ascii=False)}`, "
            f"{evaluation['members']:,} members): as generated {first['ms']:,.0f} ms "
            f"(+{first['added']:,} / -{first['removed']:,}); from no AUTOMATIC members p50 "
            f"{_ms(e['p50_ms'])} ms; again with nothing to change p50 {_ms(u['p50_ms'])} ms; "
            f"the bare INSERT ... SELECT of the matched members p50 {_ms(r['p50_ms'])} ms. "
            f"Of the last evaluation: INSERT {_ms(b['insert'])} ms, DELETE "
            f"{_ms(b['delete'])} ms, COMMIT (the deferred foreign-key checks of the new rows) "
            f"{_ms(b['commit'])} ms, other queries {_ms(b['other_queries'])} ms, Python "
            f"{_ms(b['python'])} ms.",
        ]
    if upserts := results.get("upserts"):
        s, b = upserts["single"], upserts["bulk"]
        wired = (
            "customer writes evaluate the rules"
            if upserts["engine_wired"]
            else "**customer writes did not evaluate the rules yet in this run** (the engine "
            "had not landed), so the difference is the cost of the rule segments' presence only"
        )
        lines += [
            "",
            f"Upserts ({wired}): single p50 / p95 {_ms(s['rules']['p50_ms'])} / "
            f"{_ms(s['rules']['p95_ms'])} ms with rules, {_ms(s['none']['p50_ms'])} / "
            f"{_ms(s['none']['p95_ms'])} ms without ({s['rules']['count']} each); bulk of "
            f"{upserts['bulk_size']} {_ms(b['rules']['mean_ms'])} ms with rules, "
            f"{_ms(b['none']['mean_ms'])} ms without ({b['rules']['count']} each).",
        ]
    return "\n".join(lines + plans_markdown(results)) + "\n"


def plans_markdown(results: dict[str, Any]) -> list[str]:
    """The EXPLAIN (ANALYZE, BUFFERS) plans of the run, as code blocks."""
    plans = []
    if preview := results.get("preview"):
        plans.append(("The preview's aggregate (count and total in one pass)", preview["plan"]))
    for kind, evaluation in (results.get("evaluation") or {}).items():
        plans.append(
            (
                f"Evaluation, {kind}: the INSERT of new AUTOMATIC members",
                evaluation["plans"]["insert"],
            )
        )
        plans.append(
            (
                f"Evaluation, {kind}: the DELETE of members no longer matched",
                evaluation["plans"]["delete"],
            )
        )
    lines = []
    for title, plan in plans:
        lines += ["", f"{title}:", "", "```text", plan, "```"]
    return lines


def write_docs() -> None:
    """Redraws the rules block of docs/benchmarks.md from every committed rules summary."""
    blocks = []
    for scale in ("S", "M", "L"):
        path = RESULTS / f"summary-rules-{scale}.json"
        if path.exists():
            blocks.append(markdown(json.loads(path.read_text(encoding="utf-8"))))
    text = DOCS.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOCS.write_text(text[:start] + "\n" + "\n".join(blocks) + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    target = Target(
        database=args.database,
        tenant=TENANT,
        redis_db=0,
        port=0,
        pg_host=os.environ.get("PGHOST", "127.0.0.1"),
        pg_port=int(os.environ.get("PGPORT", "5432")),
        pg_user=os.environ.get("PGUSER", "postgres"),
    )
    created = ensure_database(target)
    setup_django(target)
    parts = set(args.parts.split(","))
    results: dict[str, Any] = {
        "scale": args.scale,
        "smoke": args.smoke,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(target),
    }
    start_load = load_average()
    log(f"rules benchmark at scale {args.scale} in {target.database}")
    results["dataset"] = ensure_dataset(target, args.scale, args.seed, created)
    log(f"  dataset: {results['dataset']}")
    if "preview" in parts:
        results["preview"] = preview = preview_part(target, args.rounds)
        log(f"  preview: p95 {preview['preview']['p95_ms']} ms, ratio {preview['ratio_p95']}")
    if "evaluation" in parts:
        results["evaluation"] = evaluation_part(target, args.evaluations)
        for kind, evaluation in results["evaluation"].items():
            best, ratio = evaluation["from_empty"]["p50_ms"], evaluation["ratio"]
            log(f"  evaluation, {kind}: p50 {best} ms, ratio {ratio}")
    if "upserts" in parts:
        results["upserts"] = upserts = upserts_part(args.seed, args.upserts, args.write_rounds)
        log(
            f"  upserts: single +{upserts['single_extra_ms']} ms, bulk {upserts['bulk_ratio']}x"
            f" (engine wired: {upserts['engine_wired']})"
        )
    results["load_average"] = [start_load, load_average()]
    results["goals"] = judge(results)
    for path in write_files(results):
        log(f"  wrote {path.relative_to(REPO)}")
    if not args.no_docs:
        write_docs()
        log("  docs/benchmarks.md updated")
    return results


if __name__ == "__main__":
    main()
