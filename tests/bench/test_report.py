"""bench/report.py: the goals judged, and docs/benchmarks.md edited only between markers."""

from __future__ import annotations

import pytest

from bench import report


@pytest.fixture
def docs(tmp_path, monkeypatch):
    path = tmp_path / "benchmarks.md"
    monkeypatch.setattr(report, "DOCS", path)
    return path


def test_a_missing_file_gets_the_section(docs):
    report.write_docs("table S", "S")
    text = docs.read_text()
    assert text.startswith("# Benchmarks\n")
    assert report.SECTION_TITLE in text
    assert f"{report.START}\n### Scale S\n\ntable S\n{report.END}" in text


def test_other_sections_and_other_scales_stay(docs):
    docs.write_text("# Benchmarks\n\n## Imports\n\nimport table\n")
    report.write_docs("table M", "M")
    report.write_docs("table S", "S")
    report.write_docs("table S again", "S")
    text = docs.read_text()
    assert "## Imports\n\nimport table\n" in text
    block = text.split(report.START)[1].split(report.END)[0]
    assert block == "\n### Scale S\n\ntable S again\n\n### Scale M\n\ntable M\n"
    docs.write_text(text + "\n## Later section\n")
    report.write_docs("table M2", "M")
    text = docs.read_text()
    assert text.endswith("\n## Later section\n")
    assert "table M2" in text and "table S again" in text and "table M\n" not in text


def _read(warm_rps, warm_p99, cold_p99, floor_p99):
    return {
        "warm": {"rps": warm_rps, "latency": {"p99_ms": warm_p99}},
        "cold": {"latency": {"p99_ms": cold_p99}},
        "floor": {"concurrent": {"latency": {"p99_ms": floor_p99}}},
    }


def test_goals_are_judged_per_path():
    results = {
        "ceiling": {"rps": 200.0},
        "reads": {
            "items": _read(150.0, 30.0, 90.0, 10.0),
            "match": _read(50.0, 40.0, 200.0, 10.0),
        },
        "writes": {"bulk": {"assignments_per_second": 12_000.0}},
    }
    met = {goal["goal"]: goal["met"] for goal in report.judge(results)}
    assert met == {
        "items: warm throughput >= 50% of the ceiling": True,
        "items: warm p99 <= 3x the database floor's p99": True,
        "items: cold p99 <= 10x the database floor's p99": True,
        "match: warm throughput >= 50% of the ceiling": False,
        "match: warm p99 <= 3x the database floor's p99": False,
        "match: cold p99 <= 10x the database floor's p99": False,
        "bulk writes >= 10,000 assignments/s": True,
    }


def _references(**more):
    """The ceiling and the bare references of a run."""
    return {
        "rps": 300.0,
        "latency": {"p99_ms": 40.0},
        "bare": {"rps": 1000.0, "latency": {"p99_ms": 10.0}},
        "authenticated": {"rps": 800.0, "latency": {"p99_ms": 20.0}},
        **more,
    }


def test_every_path_is_a_ratio_to_the_bare_ceiling_of_its_run():
    results = {
        "ceiling": _references(),
        "reads": {
            "items": _read(650.0, 25.0, 90.0, 10.0),
            "me-segments": _read(500.0, 35.0, 90.0, 10.0),
            "match": _read(100.0, 90.0, 200.0, 10.0),
        },
    }

    ratios = report.ratios_to_bare(results)
    met = {goal["goal"]: goal["met"] for goal in report.judge(results)}

    assert ratios["items"] == {"throughput": 0.65, "p99": 2.5}
    assert ratios["authenticated"] == {"throughput": 0.8, "p99": 2.0}
    assert ratios["ceiling"] == {"throughput": 0.3, "p99": 4.0}
    assert ratios["bare"] == {"throughput": 1.0, "p99": 1.0}
    assert met["items: warm throughput >= 60% of the bare ceiling"] is True
    assert met["items: warm p99 <= 3x the bare ceiling's p99"] is True
    assert met["me-segments: warm throughput >= 60% of the bare ceiling"] is False
    assert met["me-segments: warm p99 <= 3x the bare ceiling's p99"] is False
    assert met["trivially authenticated view: throughput >= 75% of the bare ceiling"] is True
    assert not any(goal.startswith("match:") and "bare" in goal for goal in met)
    assert "| **bare framework ceiling** | 1,000 | 1.00 |" in "\n".join(
        report._reads_table(results)
    )


def test_a_run_without_the_bare_ceiling_has_no_ratios():
    assert report.ratios_to_bare({"ceiling": {"rps": 300.0}, "reads": {}}) == {}


def test_the_category_trees_are_also_a_ratio_to_the_same_size_bare_view():
    results = {
        "ceiling": _references(bare_large={"rps": 800.0, "latency": {"p99_ms": 20.0}}),
        "reads": {
            "items": _read(650.0, 25.0, 90.0, 10.0),
            "category-trees": _read(400.0, 40.0, 90.0, 10.0),
        },
    }

    large = report.ratios_to_bare_large(results)
    table = "\n".join(report._reads_table(results))
    met = {goal["goal"]: goal["met"] for goal in report.judge(results)}

    assert large == {"category-trees": {"throughput": 0.5, "p99": 2.0}}
    assert report.ratios_to_bare(results)["category-trees"] == {"throughput": 0.4, "p99": 4.0}
    assert report.ratios_to_bare(results)["bare_large"] == {"throughput": 0.8, "p99": 2.0}
    assert "| category-trees, x the same-size bare view | | 0.50 | | 2.00 |" in table
    assert "the trees' median answer (gzip) | 800 | 0.80 |" in table
    # The goals stay judged against the bare view of 20 small items.
    assert met["category-trees: warm throughput >= 60% of the bare ceiling"] is False
    assert not any("same-size" in goal for goal in met)


def test_a_run_without_the_same_size_bare_view_has_no_row_for_it():
    results = {
        "ceiling": {"rps": 300.0, "bare": {"rps": 1000.0}, "authenticated": {"rps": 800.0}},
        "reads": {"category-trees": _read(400.0, 40.0, 90.0, 10.0)},
    }

    assert report.ratios_to_bare_large(results) == {}
    assert "same-size" not in "\n".join(report._reads_table(results))


def test_interleaved_rounds_combine_into_one_result_per_path():
    from bench.load import combine_rounds

    def round_of(requests, seconds, p99):
        latency = {"count": requests, "p50_ms": 5.0, "p99_ms": p99}
        return {
            "requests": requests,
            "seconds": seconds,
            "rps": requests / seconds,
            "latency": latency,
            "errors": 1,
            "non_2xx": 0,
            "bytes_per_request": 100,
        }

    combined = combine_rounds(
        [round_of(600, 6.0, 20.0), round_of(900, 6.0, 10.0), round_of(1200, 8.0, 40.0)]
    )

    assert (combined["requests"], combined["seconds"], combined["rps"]) == (2700, 20.0, 135.0)
    assert combined["latency"] == {"count": 2700, "p50_ms": 5.0, "p99_ms": 20.0}
    assert (combined["errors"], len(combined["rounds"])) == (3, 3)
