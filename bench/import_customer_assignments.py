"""Benchmark: `import_data --kind segment-customers` next to PostgreSQL's own COPY.

Generates a CSV of N customer assignments (and, set-based in SQL, the segments and
customers it names), then times, on the same table of the same database in the same run:

1. COPY of the same rows, already in table form (surrogate ids), from a file streamed
   with psycopg 3 `cursor.copy` and committed (the deferred foreign keys are checked at
   the commit, so it is included);
2. the import of the CSV (`import_data`, default chunk size), every row new;
3. the same import again, every row unchanged (the nightly re-sync case).

The table holds no rows of the tenant before 1 and 2. Prints the result as JSON and
writes it into its section of docs/benchmarks.md (other sections are left alone).
The goal is an import within 2x of COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \
        .venv/bin/python bench/import_customer_assignments.py --rows 1000000

`--smoke` (with e.g. `--rows 2000`) checks that everything runs and counts right, and
leaves the docs alone: the variant for CI. Runs `migrate` first; writes only rows of the
tenant `bench` (deleted again at the end unless `--keep`).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "segments_project.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from segments.models import Customer, Segment, SegmentCustomerAssignment  # noqa: E402
from segments_project.db.copy import copy_disabled  # noqa: E402
from segments_project.imports.chunks import DEFAULT_CHUNK_SIZE  # noqa: E402
from segments_project.tenancy.models import Tenant  # noqa: E402

TENANT = "bench"  # the default; --tenant names another (e.g. next to a scale L tenant)
DOCS = REPO / "docs" / "benchmarks.md"
SECTION = "import_customer_assignments"
BEGIN, END = f"<!-- BEGIN {SECTION} -->", f"<!-- END {SECTION} -->"
TABLE = SegmentCustomerAssignment._meta.db_table
NOTES = """\
How the import gets there, per chunk: one query each for the segments (locked), the
customers and the stored assignments; new rows COPYed straight into the table (changed
ones merged from a staging table); the audit trail's events (one per segment and
action); the storefront cache bump as the last statement of the chunk's transaction,
after the deferred foreign-key checks, so that a chunk costs one commit (one WAL
flush). What remains on top of COPY is Python: reading the CSV and the API's own
validation of every row (`bulk_member_write`), planning and encoding the rows, about
10 us of CPU per row with the objects older than the import frozen out of the garbage
collector's scans (15 us without), plus a dozen round trips per chunk. Measured and
left out: a read-ahead thread validating the next chunk while the database works
(slower: every query then waits for the GIL), one audit row per changed assignment
(about 0.6x of COPY more, see docs/imports.md). The plain
`bulk_create` path (the one SQLite takes) is several times slower than the COPY path.
The machine is shared: the load average (start, end) says how busy it was; above its
two cores every time grows and the ratio swings between runs."""
COPY_COLUMNS = (
    "tenant_id, segment_id, customer_id, legal_entity_id, mixins, metadata_mixins, "
    "assignment_type, version, created_at, modified_at"
)


def _sql(statement: str, params: tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _vacuum(*models: type) -> None:
    # VACUUM cannot run inside a transaction; Django is in autocommit mode here.
    for model in models:
        _sql(f"VACUUM ANALYZE {model._meta.db_table}")


def _refuse_foreign_rows(tenant: str) -> None:
    """Stops unless the tenant's customers are all this benchmark's (`cust<n>`): every row
    of the tenant is deleted before and after the run, and a benchmark dataset's tenant
    (`bench` of `bench/run.py`, for one) must not be."""
    foreign = _sql(
        f"SELECT EXISTS (SELECT 1 FROM {Customer._meta.db_table} WHERE tenant_id = %s"
        " AND public_id !~ '^cust[0-9]{8}$')",
        (tenant,),
    )[0][0]
    if foreign:
        raise SystemExit(
            f"The tenant {tenant} holds customers this benchmark did not make, which it would"
            " delete: name another with --tenant."
        )


def _clear(tenant: str) -> None:
    """Removes every row of the tenant (set-based, children first)."""
    for model in (SegmentCustomerAssignment, Customer, Segment):
        _sql(f"DELETE FROM {model._meta.db_table} WHERE tenant_id = %s", (tenant,))
    _vacuum(SegmentCustomerAssignment, Customer, Segment)


def _generate_directory(tenant: str, segments: int, customers: int) -> None:
    """The segments and customers the file names, inserted with one statement each."""
    Tenant.objects.get_or_create(name=tenant)
    _sql(
        f"INSERT INTO {Segment._meta.db_table} (tenant_id, public_id, mixins, metadata_mixins, "
        "version, created_at, modified_at, name, description, status, site_code) "
        "SELECT %s, 'seg' || n, '{}', '{}', 1, now(), now(), "
        "jsonb_build_object('en', 'Segment ' || n), '{}', 'ACTIVE', 'main' "
        "FROM generate_series(1, %s) AS n",
        (tenant, segments),
    )
    _sql(
        f"INSERT INTO {Customer._meta.db_table} (tenant_id, public_id, mixins, metadata_mixins, "
        "version, created_at, modified_at, first_name, last_name, email) "
        "SELECT %s, 'cust' || lpad(n::text, 8, '0'), '{}', '{}', 1, now(), now(), "
        "'First', 'Last ' || n, 'c' || n || '@example.com' FROM generate_series(1, %s) AS n",
        (tenant, customers),
    )
    _vacuum(Customer, Segment)


def _pairs(rows: int, segments: int):
    """(segment number, customer number) of each row: customer after customer, each in
    every segment, as a nightly sync of a CRM's memberships would list them."""
    for index in range(rows):
        yield index % segments + 1, index // segments + 1


def _write_files(tenant: str, directory: Path, rows: int, segments: int) -> tuple[Path, Path]:
    """The CSV to import and the same rows in COPY's table format."""
    segment_pks = dict(Segment.objects.filter(tenant_id=tenant).values_list("public_id", "pk"))
    customer_pks = dict(Customer.objects.filter(tenant_id=tenant).values_list("public_id", "pk"))
    stamp = datetime.now(UTC).isoformat()
    csv_path, copy_path = directory / "assignments.csv", directory / "assignments.copy"
    with (
        open(csv_path, "w", encoding="utf-8") as csv_file,
        open(copy_path, "w", encoding="utf-8") as copy_file,
    ):
        csv_file.write("segmentId,customerId,legalEntityId,mixins\n")
        for segment, customer in _pairs(rows, segments):
            segment_id, customer_id = f"seg{segment}", f"cust{customer:08d}"
            csv_file.write(f"{segment_id},{customer_id},,\n")
            copy_file.write(
                f"{tenant}\t{segment_pks[segment_id]}\t{customer_pks[customer_id]}\t\\N\t"
                f"{{}}\t{{}}\tMANUAL\t1\t{stamp}\t{stamp}\n"
            )
    return csv_path, copy_path


def _time_copy(copy_path: Path) -> float:
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy(f"COPY {TABLE} ({COPY_COLUMNS}) FROM STDIN") as copy,
        open(copy_path, "rb") as source,
    ):
        while block := source.read(1 << 20):
            copy.write(block)
    return time.perf_counter() - started


def _time_import(tenant: str, csv_path: Path, chunk_size: int) -> tuple[float, str]:
    out = io.StringIO()
    started = time.perf_counter()
    call_command(
        "import_data",
        str(csv_path),
        tenant=tenant,
        kind="segment-customers",
        chunk_size=chunk_size,
        progress="none",
        stdout=out,
        stderr=io.StringIO(),
    )
    return time.perf_counter() - started, out.getvalue().strip()


def _count(tenant: str) -> int:
    return SegmentCustomerAssignment.objects.filter(tenant_id=tenant).count()


def _table_rows() -> int:
    """The assignments in the table (of every tenant), as the planner's statistics count
    them: what the import writes next to (0 on an empty database, about 10 million on a
    copy of scale L)."""
    return int(_sql("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (TABLE,))[0][0])


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()


def _machine() -> dict[str, object]:
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        if _git("status", "--porcelain", "--untracked-files=no"):
            commit += " (work tree modified)"
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": _sql("SHOW server_version")[0][0],
        "commit": commit,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }


def run(
    rows: int,
    segments: int,
    chunk_size: int,
    repeat: int = 1,
    bulk_path: bool = False,
    tenant: str = TENANT,
) -> dict[str, object]:
    """Times COPY, the import and the re-import `repeat` times each (alternating, so that
    a busy moment of the machine hits both) and keeps the fastest of each. With
    `bulk_path`, also the import through bulk_create (the path SQLite takes)."""
    load_before = os.getloadavg()[0]
    customers = -(-rows // segments)
    _clear(tenant)
    _generate_directory(tenant, segments, customers)
    copies, imports, reimports, bulks = [], [], [], []
    with tempfile.TemporaryDirectory() as directory:
        csv_path, copy_path = _write_files(tenant, Path(directory), rows, segments)
        for _ in range(repeat):
            copies.append(_time_copy(copy_path))
            copied = _count(tenant)
            _delete_assignments(tenant)

            seconds, summary = _time_import(tenant, csv_path, chunk_size)
            imports.append(seconds)
            imported = _count(tenant)
            seconds, resummary = _time_import(tenant, csv_path, chunk_size)
            reimports.append(seconds)
            _delete_assignments(tenant)

            if bulk_path:
                with copy_disabled():
                    bulks.append(_time_import(tenant, csv_path, chunk_size)[0])
                _delete_assignments(tenant)
    table_rows = _table_rows()
    copy_seconds, import_seconds, reimport_seconds = min(copies), min(imports), min(reimports)
    extra: dict[str, object] = {}
    if bulks:
        extra = {
            "bulk_path_import_seconds": round(min(bulks), 2),
            "bulk_path_to_copy": round(min(bulks) / copy_seconds, 2),
            "all_bulk_path_seconds": [round(value, 2) for value in bulks],
        }
    return {
        "rows": rows,
        "table_rows": table_rows,
        "segments": segments,
        "customers": customers,
        "chunk_size": chunk_size,
        "repeat": repeat,
        "copy_seconds": round(copy_seconds, 2),
        "import_seconds": round(import_seconds, 2),
        "reimport_unchanged_seconds": round(reimport_seconds, 2),
        "import_to_copy": round(import_seconds / copy_seconds, 2),
        "copy_rows_per_second": round(rows / copy_seconds),
        "import_rows_per_second": round(rows / import_seconds),
        "reimport_rows_per_second": round(rows / reimport_seconds),
        "all_copy_seconds": [round(value, 2) for value in copies],
        "all_import_seconds": [round(value, 2) for value in imports],
        "copied": copied,
        "imported": imported,
        "summary": summary,
        "resummary": resummary,
        **extra,
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "machine": _machine(),
    }


def _delete_assignments(tenant: str) -> None:
    """Empties the table of the tenant's rows again (and has the space and the planner's
    statistics updated, as after a real delete of that size)."""
    _sql(f"DELETE FROM {TABLE} WHERE tenant_id = %s", (tenant,))
    _vacuum(SegmentCustomerAssignment)


def _key(result: dict[str, object]) -> str:
    """A result's key among the stored ones: its rows, and the table's when not empty (a
    run next to scale L keeps the run on an empty table)."""
    table_rows = int(result.get("table_rows") or 0)  # type: ignore[call-overload]
    return f"{result['rows']}" + (f"@{table_rows}" if table_rows >= 100_000 else "")


def _order(key: str) -> tuple[int, int]:
    rows, _, table_rows = key.partition("@")
    return int(table_rows or 0), int(rows)


def _section(results: dict[str, dict]) -> str:
    lines = [
        BEGIN,
        "## Import of customer assignments vs COPY (`bench/import_customer_assignments.py`)",
        "",
        "N new customer assignments (B2C, customer after customer, each in every segment) "
        "imported from CSV with `import_data --kind segment-customers` (chunks of `chunk` "
        "rows, one transaction each), next to PostgreSQL's COPY of the same rows, already "
        "in table form, into the same table, in the same run (the table empty of them each time); "
        "then the same import again with every row unchanged. Each time is the fastest of "
        "`best of` alternating runs. **Goal: the import within 2x of COPY.**",
        "",
        "Table rows: the assignments of other tenants already in the table (a copy of scale "
        "L: about 10 million), whose indexes every new row goes into.",
        "",
        "| rows | table rows | chunk | COPY s | import s | import / COPY | import rows/s "
        "| re-import (unchanged) s | bulk_create path s | best of | load avg (start, end) "
        "| machine | PostgreSQL | commit | date |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|---|",
    ]
    for key in sorted(results, key=_order):
        r = results[key]
        m = r["machine"]
        bulk = (
            f"{r['bulk_path_import_seconds']} ({r['bulk_path_to_copy']}x)"
            if "bulk_path_import_seconds" in r
            else ""
        )
        load = ", ".join(str(value) for value in r.get("load_average", []))
        lines.append(
            f"| {r['rows']:,} | {r.get('table_rows', 0):,} | {r['chunk_size']:,} "
            f"| {r['copy_seconds']} | {r['import_seconds']} "
            f"| {r['import_to_copy']}x | {r['import_rows_per_second']:,} "
            f"| {r['reimport_unchanged_seconds']} | {bulk} | {r.get('repeat', 1)} | {load} "
            f"| {m['cpus']} CPUs, {m['platform']}, Python {m['python']} | {m['postgresql']} "
            f"| {m['commit']} | {m['date']} |"
        )
    stored = json.dumps(results, sort_keys=True)
    lines += ["", NOTES, "", f"<!-- results: {stored} -->", END]
    return "\n".join(lines)


def record(result: dict[str, object]) -> None:
    """Writes the result into this benchmark's section of docs/benchmarks.md."""
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    results: dict[str, dict] = {}
    match = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), text, re.DOTALL)
    if match:
        stored = re.search(r"<!-- results: (.*?) -->", match.group(0))
        results = json.loads(stored.group(1)) if stored else {}
    stored_result = {k: v for k, v in result.items() if k not in ("summary", "resummary")}
    results[_key(result)] = stored_result
    section = _section(results)
    if match:
        text = text[: match.start()] + section + text[match.end() :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--segments", type=int, default=20)
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)
    parser.add_argument(
        "--repeat", type=int, default=1, help="Time each step this often, keep the fastest."
    )
    parser.add_argument("--smoke", action="store_true", help="Check only; docs untouched.")
    parser.add_argument(
        "--bulk-path", action="store_true", help="Also time the import through bulk_create."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the tenant's rows.")
    parser.add_argument(
        "--tenant",
        default=TENANT,
        help="Tenant whose rows the run writes and deletes (only ever this benchmark's).",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("This benchmark needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)
    _refuse_foreign_rows(args.tenant)
    try:
        result = run(
            args.rows, args.segments, args.chunk_size, args.repeat, args.bulk_path, args.tenant
        )
    finally:
        if not args.keep:
            _clear(args.tenant)
    print(json.dumps(result, indent=2))
    if result["copied"] != args.rows or result["imported"] != args.rows:
        print("FAILED: row counts differ from --rows.", file=sys.stderr)
        return 1
    if f"unchanged {args.rows}," not in str(result["resummary"]):
        print("FAILED: the second import was not all unchanged.", file=sys.stderr)
        return 1
    if not args.smoke:
        record(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
