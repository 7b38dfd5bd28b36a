"""Results of a storefront benchmark run: machine facts, the goals judged, the JSON file, and
the Markdown block in docs/benchmarks.md (between the markers; the rest is left alone)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from bench.common import REPO, RESULTS, Target
from bench.load import CACHED_ENDPOINTS

DOCS = REPO / "docs" / "benchmarks.md"
START = "<!-- storefront-bench:start -->"
END = "<!-- storefront-bench:end -->"
SECTION_TITLE = "## Storefront reads and writes (`bench/run.py`)"
SECTION_INTRO = """\
`bench/run.py` generates a seeded tenant (`manage.py generate_dataset`, below) into its own
PostgreSQL database (`seg_bench_<scale>`), starts the production stack (gunicorn with
`segments_project/gunicorn.conf.py`, DEBUG off, Redis cache, `CONN_MAX_AGE=60`), obtains
customer tokens (POST /oauth/token) for random B2C and B2B customers and loads the
storefront reads with wrk (`bench/lua/storefront.lua`; Python threads when wrk is missing)
on the same machine. In the same run it measures its references: the **bare framework
ceiling** (a DRF view with no authentication, no throttling and no database answering 20
small items, on the same server and workers, in the benchmark's URL configuration only:
`bench/urls.py`, `bench/settings.py`), the same view behind the service's token
authentication, scope check and rate limit (the **trivially authenticated view**), a
bare view answering one fixed body the size of the category trees' median answer
(gzip-compressed once, as the cached answers are, to compare the trees with a ceiling of
their size), the **ceiling** `GET /segments/{id}` of one small segment (the cheapest
authenticated database read) and the **database floor** (the SQL that answers the same question for
the same customers, through psycopg: `bench/floor.py`). Every path is reported as a
ratio to the bare ceiling of its run (throughput and p99, "x bare"). Then the write path
(bulk member upserts from 4 clients, single upserts, coupon validation with 20 cart
lines), then pyinstrument profiles of the slowest read, a warm read, a bulk write and
the (never cached) match.

    .venv/bin/python bench/run.py --scale S        # 3 to 7 minutes on the 2-core machine
    .venv/bin/python bench/run.py --scale M        # about 4 minutes, dataset generation included
    .venv/bin/python bench/run.py --smoke          # CI: tiny dataset, end to end, < 1 minute

Full results go to `bench/results/<scale>-<timestamp>.json` (git-ignored), the latest
run of each scale to `bench/results/summary-<scale>.json` (committed), server logs and
pyinstrument profiles to `artifacts/bench/` (git-ignored), and the table of each scale
between the markers below (`--render-docs bench/results/summary-S.json` redraws it).

**Dataset** (`generate_dataset --tenant bench --scale S|M|L [--seed N] [--replace]`,
`segments_project/benchdata/`): at M 100,000 customers (20% B2B across 5,000 legal
entities), 2,000 segments on the sites main, outlet and b2b (60% active without end, 10% in
a validity window, 12% inactive, 9% expired, 9% scheduled; Zipf-like popularity),
1,000,000 customer assignments (most customers in 1 to 10 segments, a quarter in 11 to 35;
B2B customers' assignments mostly for one of their own legal entities), 20,000 categories
on 6 levels, 200,000 products in 1 to 3 categories each, 300,000 item assignments (a
tenth categories of every level) and 500 coupons (30% segment-restricted). S is a tenth, L
ten times. Rows are streamed with COPY (bulk inserts elsewhere) with primary keys
reserved in blocks, so paths and references are computed in memory: M takes 40 s on a
quiet machine (2 minutes under load). At S a customer's category tree averages about 450
nodes (280 KB of JSON): the trees are deliberately generous.

**Goals** (judged per path in every run, in the tables below):

- storefront reads, warm: throughput at least 60% of the bare framework ceiling's, p99
  at most 3x its p99; the trivially authenticated view at least 75% (issue 19);
- storefront reads, warm: throughput at least 50% of the `GET /segments/{id}` ceiling's;
- warm p99 at most 3x the database floor's p99, cold p99 at most 10x (the floor is
  measured at the same number of concurrent connections as the HTTP load, 16);
- bulk member upserts: at least 10,000 assignments per second.
"""

# The goals (docs/benchmarks.md states them next to the results).
CEILING_SHARE = 0.5
BARE_SHARE = 0.6
BARE_P99_FACTOR = 3.0
AUTHENTICATED_BARE_SHARE = 0.75
WARM_P99_FACTOR = 3.0
COLD_P99_FACTOR = 10.0
BULK_PER_SECOND = 10_000
TOKENS_PER_SECOND = 300


def machine(target: Target) -> dict[str, Any]:
    memory_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    except OSError:
        pass
    with target.connect() as conn:
        (pg_version,) = conn.execute("SHOW server_version").fetchone()
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": pg_version,
    }


def commit() -> dict[str, Any]:
    """The checked-out commit and whether the work tree differs from it (read-only git)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "sha": git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain")),
    }


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)


def _p99(result: dict[str, Any]) -> float | None:
    return result.get("latency", {}).get("p99_ms")


def ratios_to_bare(results: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Every loaded path's warm throughput and p99 as a ratio to the bare framework ceiling
    of the same run (throughput: higher is better; p99: lower is better)."""
    references = results.get("ceiling", {})
    bare = references.get("bare") or {}
    if not bare.get("rps"):
        return {}
    loaded = {endpoint: read["warm"] for endpoint, read in results.get("reads", {}).items()}
    loaded["authenticated"] = references.get("authenticated") or {}
    if references.get("bare_large"):
        loaded["bare_large"] = references["bare_large"]
    loaded["ceiling"] = references
    loaded["bare"] = bare
    return {
        name: {
            "throughput": _ratio(result.get("rps"), bare["rps"]),
            "p99": _ratio(_p99(result), _p99(bare)),
        }
        for name, result in loaded.items()
    }


# The paths compared with the bare view of a body their size too (`bench/urls.py`).
LARGE_ANSWER_ENDPOINTS = ("category-trees",)


def ratios_to_bare_large(results: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """The large answers' warm throughput and p99 as a ratio to the bare view answering a
    body of their size (the goals stay judged against the 20 small items)."""
    large = results.get("ceiling", {}).get("bare_large") or {}
    if not large.get("rps"):
        return {}
    reads = results.get("reads", {})
    return {
        endpoint: {
            "throughput": _ratio(reads[endpoint]["warm"].get("rps"), large["rps"]),
            "p99": _ratio(_p99(reads[endpoint]["warm"]), _p99(large)),
        }
        for endpoint in LARGE_ANSWER_ENDPOINTS
        if endpoint in reads
    }


def _bare_goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    ratios = ratios_to_bare(results)
    goals = []
    for endpoint in [e for e in CACHED_ENDPOINTS if e in ratios]:
        share, factor = ratios[endpoint]["throughput"], ratios[endpoint]["p99"]
        goals += [
            {
                "goal": f"{endpoint}: warm throughput >= {BARE_SHARE:.0%} of the bare ceiling",
                "measured": share,
                "target": BARE_SHARE,
                "met": share is not None and share >= BARE_SHARE,
            },
            {
                "goal": f"{endpoint}: warm p99 <= {BARE_P99_FACTOR:g}x the bare ceiling's p99",
                "measured": factor,
                "target": BARE_P99_FACTOR,
                "met": factor is not None and factor <= BARE_P99_FACTOR,
            },
        ]
    if "authenticated" in ratios:
        share = ratios["authenticated"]["throughput"]
        goals.append(
            {
                "goal": "trivially authenticated view: throughput >= "
                f"{AUTHENTICATED_BARE_SHARE:.0%} of the bare ceiling",
                "measured": share,
                "target": AUTHENTICATED_BARE_SHARE,
                "met": share is not None and share >= AUTHENTICATED_BARE_SHARE,
            }
        )
    return goals


def judge(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal, per path: the measured value, the target, met or not."""
    goals = _bare_goals(results)
    reads = results.get("reads", {})
    ceiling = results.get("ceiling", {}).get("rps")
    for endpoint, read in reads.items():
        warm, cold, floor = read.get("warm", {}), read.get("cold", {}), read.get("floor", {})
        floor_p99 = floor.get("concurrent", {}).get("latency", {}).get("p99_ms")
        share = _ratio(warm.get("rps"), ceiling)
        goals.append(
            {
                "goal": f"{endpoint}: warm throughput >= {CEILING_SHARE:.0%} of the ceiling",
                "measured": share,
                "target": CEILING_SHARE,
                "met": share is not None and share >= CEILING_SHARE,
            }
        )
        warm_factor = _ratio(warm.get("latency", {}).get("p99_ms"), floor_p99)
        goals.append(
            {
                "goal": f"{endpoint}: warm p99 <= {WARM_P99_FACTOR:g}x the database floor's p99",
                "measured": warm_factor,
                "target": WARM_P99_FACTOR,
                "met": warm_factor is not None and warm_factor <= WARM_P99_FACTOR,
            }
        )
        cold_factor = _ratio(cold.get("latency", {}).get("p99_ms"), floor_p99)
        goals.append(
            {
                "goal": f"{endpoint}: cold p99 <= {COLD_P99_FACTOR:g}x the database floor's p99",
                "measured": cold_factor,
                "target": COLD_P99_FACTOR,
                "met": cold_factor is not None and cold_factor <= COLD_P99_FACTOR,
            }
        )
    bulk = results.get("writes", {}).get("bulk", {})
    if bulk:
        goals.append(
            _rate_goal(
                f"bulk writes >= {BULK_PER_SECOND:,} assignments/s",
                bulk.get("assignments_per_second"),
                BULK_PER_SECOND,
            )
        )
    generated = results.get("issuance", {}).get("paths", {}).get("generated", {})
    if generated:
        goals.append(
            _rate_goal(
                f"customer tokens (generated secret) >= {TOKENS_PER_SECOND}/s",
                generated.get("rps"),
                TOKENS_PER_SECOND,
            )
        )
    return goals


def _rate_goal(goal: str, rate: float | None, target: float) -> dict[str, Any]:
    return {"goal": goal, "measured": rate, "target": target, "met": bool(rate) and rate >= target}


def issuance_markdown(issuance: dict[str, Any]) -> list[str]:
    """The token issuance table: each path's rate, latency and ratio to the reference."""
    lines = [
        f"Token issuance (POST /oauth/token, Python threads, {issuance['connections']} "
        f"connections, {issuance['duration']:g} s per path):",
        "",
        "| path | req/s | ratio to the reference | p50 / p99 ms | server CPU ms/request "
        "(gunicorn + PostgreSQL) | req/s the cores would sustain idle | answers not 2xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for path in issuance["paths"].values():
        latency = path["latency"]
        sides = path.get("cpu_ms_per_request_by_side") or {}
        lines.append(
            f"| {path['label']} | {_rps(path['rps'])} | {path['ratio_to_reference']} | "
            f"{_ms(latency.get('p50_ms'))} / {_ms(latency.get('p99_ms'))} | "
            f"{_ms(path.get('server_cpu_ms_per_request'))} ({_ms(sides.get('workers'))} + "
            f"{_ms(sides.get('postgres'))}) | "
            f"{_rps(path.get('idle_capacity_rps'))} | {path['non_2xx']} |"
        )
    return [*lines, ""]


def write_json(results: dict[str, Any], scale: str, stamp: str) -> list[Path]:
    """The run's results (git-ignored) and, unless a smoke run, the same under the scale's
    stable name `summary-<scale>.json` (committed: the latest whole run of each scale)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{scale}-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    config = results["config"]
    if config.get("smoke") or config.get("tokens_only") or config.get("writes_only"):
        return [path]
    summary = RESULTS / f"summary-{scale}.json"
    summary.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return [path, summary]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _rps(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def markdown(results: dict[str, Any]) -> str:
    config, box, dataset = results["config"], results["machine"], results["dataset"]
    sha = results["commit"]["sha"][:12] + (
        " (work tree modified)" if results["commit"]["dirty"] else ""
    )
    lines = [
        f"Run of {results['started_at']} at scale **{config['scale']}**, commit `{sha}`, "
        f"load average {results['load_average_at_start'][0]} at the start "
        f"and {results['load_average_at_end'][0]} at the end.",
        "",
        f"Machine: {box['cores']} cores, {box['memory_gib']} GiB, {box['platform']}, "
        f"Python {box['python']}, PostgreSQL {box['postgresql']}. The load generator, "
        "the server and PostgreSQL share these cores.",
        "",
        f"Stack: gunicorn, {config['workers']} sync workers x {config['threads']} thread, "
        "DEBUG off, Redis cache, `CONN_MAX_AGE=60`; load from "
        f"{results['reads_tool']} with {config['connections']} connections for "
        f"{config['duration']} s per path"
        + (
            f" in {config['warm_rounds']} interleaved rounds (warm req/s over all of them,"
            " each latency percentile the rounds' median)"
            if config.get("warm_rounds", 1) > 1
            else ""
        )
        + f"; {config['customers']} random customers "
        f"({results['sample']['b2b']} B2B) with customer tokens; dataset "
        f"{dataset.get('counts', '')}.",
        "",
    ]
    lines += _reads_table(results)
    failed = {
        endpoint: read["warm"].get("non_2xx", 0) + read["warm"].get("errors", 0)
        for endpoint, read in results["reads"].items()
        if read["warm"].get("non_2xx") or read["warm"].get("errors")
    }
    if failed:
        lines += [
            "",
            "**Failed requests during the warm load** (the numbers above count them): "
            + ", ".join(f"{endpoint} {count:,}" for endpoint, count in failed.items())
            + ".",
        ]
    lines += [
        "",
        "x bare: the ratio to the bare framework ceiling measured in the same run on the "
        "same server (`bench/urls.py`: a DRF view with no authentication, no throttling and "
        "no database answering 20 small items; the trivially authenticated view answers the "
        "same behind the token authentication, scope check and rate limit; the goals are "
        "judged against it). The same-size bare view answers one fixed body of tree nodes the "
        "size of the category trees' median answer at S, gzip-compressed once as the cached "
        'answers are; the row "category-trees, x the same-size bare view" is the trees\' '
        "ratio to it. Every load accepts gzip, as storefronts do. "
        f"The rate limit is `{config.get('api_rate_limit', 'default')}` per client (per "
        "customer for customer tokens) for the run, so the single-client ceiling and write "
        "loads are not refused"
        + (
            f" (`API_RATE_LIMIT_LEASE` {config['api_rate_limit_lease']}). "
            if "api_rate_limit_lease" in config
            else ". "
        )
        + "Warm: every answer already cached (`match` is never cached: it is computed on every "
        "call). Cold: the first call per customer after a content-version bump. Floor: the "
        "SQL answering the same question for the same customers through psycopg, at the same "
        "number of connections (and on one connection).",
        "",
    ]
    writes = results.get("writes", {})
    if writes:
        bulk, single, coupon = writes["bulk"], writes["single"], writes["coupon_validation"]
        lines += [
            "| write path | throughput | p50 / p95 / p99 ms |",
            "|---|---:|---:|",
            f"| bulk PUT /segments/{{id}}/customers/bulk ({bulk['batch_size']} per request, "
            f"{bulk['clients']} clients) | {_rps(bulk['assignments_per_second'])} assignments/s"
            f" | {_lat({'latency': bulk['request_latency']})} |",
            f"| single PUT /segments/{{id}}/customers/{{customerId}} (1 client) "
            f"| {_rps(single.get('rps'))} req/s | {_lat(single)} |",
            f"| POST /coupons/{{code}}/validation, 20 cart lines (1 client; "
            f"{coupon['valid']} of {coupon['requests']} valid) | "
            f"{_rps(coupon['concurrent']['rps'])} req/s at {config['connections']} "
            f"| {_lat(coupon)} |",
            "",
        ]
    tokens = results.get("tokens", {})
    if tokens:
        lines += [
            f"Customer tokens (POST /oauth/token): {_rps(tokens.get('rps'))} req/s, "
            f"p50 {_ms(tokens['latency'].get('p50_ms'))} ms (a burst of one token per sampled "
            "customer, client with a generated secret).",
            "",
        ]
    if results.get("issuance"):
        lines += issuance_markdown(results["issuance"])
    lines += ["| goal | measured | target | met |", "|---|---:|---:|---|"]
    for goal in results["goals"]:
        measured = "-" if goal["measured"] is None else f"{goal['measured']:,}"
        lines.append(
            f"| {goal['goal']} | {measured} | {goal['target']:,} | "
            f"{'met' if goal['met'] else '**not met**'} |"
        )
    for label, profile in (results.get("profile") or {}).items():
        if not profile or "layers" not in profile:
            continue
        title = {
            "slowest": "the slowest read",
            "warm": "a warm read",
            "bulk": "a bulk write",
            "match": "the uncached match",
        }.get(label, label)
        mode = (
            "cold" if profile["cold"] else {"bulk": "write", "match": "uncached"}.get(label, "warm")
        )
        lines += [
            "",
            f"Profile of {title}, `{profile['endpoint']}` "
            f"({mode}, in-process, "
            f"{profile['requests']} requests, "
            f"{profile['ms_per_request']} ms per request): "
            + ", ".join(f"{layer['name']} {layer['share']:.0%}" for layer in profile["layers"][:6])
            + ".",
        ]
        # Leave out the harness and the wrappers every request passes through.
        top = [
            item
            for item in profile.get("project_functions_inclusive", [])
            if "(bench/" not in item["name"] and item["share"] < 0.97
        ][:6]
        if top:
            lines.append(
                "Project functions (inclusive): "
                + "; ".join(f"`{item['name']}` {item['share']:.0%}" for item in top)
                + "."
            )
    return "\n".join(lines)


def _reads_table(results: dict[str, Any]) -> list[str]:
    """Each path's warm, cold and floor numbers, and the references, with the ratios to the
    bare framework ceiling."""
    lines = [
        "| path | warm req/s | x bare req/s | warm p50 / p95 / p99 ms | x bare p99 "
        "| cold req/s | cold p50 / p95 / p99 ms"
        " | floor req/s | floor p50 / p99 ms | floor 1-conn p50 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = ratios_to_bare(results)
    for endpoint, read in results["reads"].items():
        warm, cold, floor = read["warm"], read.get("cold", {}), read.get("floor", {})
        concurrent = floor.get("concurrent", {})
        lines.append(
            f"| {endpoint} | {_rps(warm.get('rps'))} | {_x(ratios, endpoint, 'throughput')}"
            f" | {_lat(warm)} | {_x(ratios, endpoint, 'p99')} | {_rps(cold.get('rps'))}"
            f" | {_lat(cold)} | {_rps(concurrent.get('rps'))}"
            f" | {_ms(concurrent.get('latency', {}).get('p50_ms'))} /"
            f" {_ms(concurrent.get('latency', {}).get('p99_ms'))}"
            f" | {_ms(floor.get('sequential', {}).get('p50_ms'))} |"
        )
    ceiling = results["ceiling"]
    references = [("ceiling", "ceiling: GET /segments/{id}", ceiling)]
    if ceiling.get("bare"):
        references += [
            ("authenticated", "trivially authenticated view", ceiling["authenticated"]),
            ("bare", "**bare framework ceiling**", ceiling["bare"]),
        ]
    if ceiling.get("bare_large"):
        references.append(
            (
                "bare_large",
                "bare view, one fixed body the size of the trees' median answer (gzip)",
                ceiling["bare_large"],
            )
        )
    for name, label, result in references:
        lines.append(
            f"| {label} | {_rps(result.get('rps'))} | {_x(ratios, name, 'throughput')}"
            f" | {_lat(result)} | {_x(ratios, name, 'p99')} | | | | | |"
        )
    large = ratios_to_bare_large(results)
    for endpoint in large:
        # The ratios in the x bare columns are to the same-size bare view here.
        lines.append(
            f"| {endpoint}, x the same-size bare view | | {_x(large, endpoint, 'throughput')}"
            f" | | {_x(large, endpoint, 'p99')} | | | | | |"
        )
    return lines


def _x(ratios: dict[str, dict[str, float | None]], name: str, kind: str) -> str:
    value = ratios.get(name, {}).get(kind)
    return "-" if value is None else f"{value:.2f}"


def _lat(result: dict[str, Any]) -> str:
    latency = result.get("latency", {})
    if not latency.get("count"):
        return "-"
    return f"{_ms(latency['p50_ms'])} / {_ms(latency['p95_ms'])} / {_ms(latency['p99_ms'])}"


SCALE_ORDER = ("XS", "S", "M", "L")


def _scale_sections(block: str) -> dict[str, str]:
    """The block's per-scale sections, by scale (each starts with `### Scale X`)."""
    sections: dict[str, str] = {}
    for part in block.split("\n### Scale ")[1:]:
        scale = part.split(maxsplit=1)[0]
        sections[scale] = "### Scale " + part.strip("\n")
    return sections


def write_docs(block: str, scale: str) -> None:
    """Puts this scale's section between the markers (other scales' sections stay); adds
    the whole section to the file if it lacks it. The rest of the file is left alone."""
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    section = f"### Scale {scale}\n\n{block}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        old, tail = rest.split(END, 1)
        sections = _scale_sections("\n" + old)
        sections[scale] = section
        ordered = sorted(sections, key=lambda s: SCALE_ORDER.index(s) if s in SCALE_ORDER else 99)
        body = "\n\n".join(sections[s] for s in ordered)
        text = f"{head}{START}\n{body}\n{END}{tail}"
    else:
        generated = f"{START}\n{section}\n{END}"
        text = text.rstrip("\n") + f"\n\n{SECTION_TITLE}\n\n{SECTION_INTRO}\n{generated}\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text)
