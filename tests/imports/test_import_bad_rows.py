"""A row that cannot be decoded or stored (an impossible date, JSON nested 100,000 deep, a
NUL, a lone surrogate, a cell over the CSV field limit, bytes that are not UTF-8) is
rejected with its line and reason; every good row around it, in its chunk too, is
imported, and the command ends with status 1 as docs/imports.md says."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from catalog.models import Product
from segments.models import Segment
from segments_project.api.parsers import MAX_NESTING_DEPTH
from segments_project.imports.report import read_rejections

from . import TENANT, Run, make_tenants, run_import, write_csv, write_jsonl

pytestmark = pytest.mark.django_db

SEGMENT_HEADER = ["id", "name.en", "siteCode", "validity.from", "mixins"]


@pytest.fixture(autouse=True)
def _tenant():
    make_tenants(TENANT)


def _segment_ids() -> list[str]:
    return sorted(Segment.objects.values_list("public_id", flat=True))


def _product_ids() -> list[str]:
    return sorted(Product.objects.values_list("public_id", flat=True))


def _import(kind: str, path: Path, tmp_path: Path) -> tuple[Run, list[dict]]:
    """Imports in one chunk (the bad row shares it with the good ones); returns the run
    and the rejections of the errors file."""
    errors = tmp_path / "errors.csv"
    run = run_import(kind, path, errors=str(errors))
    return run, read_rejections(str(errors))


def _assert_one_rejected(run: Run, rejections: list[dict], line: int, field: str = "body"):
    assert [(r["line"], r["field"]) for r in rejections] == [(line, field)], rejections
    assert run.error is not None and run.error.returncode == 1
    assert "1 row was rejected; every one is in" in str(run.error)
    assert "rejected 1 in" in run.out


# --- CSV --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when", ["2021-02-29T00:00:00Z", "2020-13-45T00:00:00Z", "0001-01-01T00:00:00+01:00"]
)
def test_an_impossible_date_in_a_csv_row_rejects_that_row_only(tmp_path, when):
    path = write_csv(
        tmp_path / "s.csv",
        SEGMENT_HEADER,
        [
            ["a", "A", "main", "2021-02-28T00:00:00Z", ""],
            ["b", "B", "main", when, ""],
            ["c", "C", "main", "", ""],
        ],
    )

    run, rejections = _import("segments", path, tmp_path)

    _assert_one_rejected(run, rejections, 3, "validity.from")
    assert "ISO 8601" in rejections[0]["message"]
    assert _segment_ids() == ["a", "c"]


def test_a_nul_byte_in_a_csv_cell_rejects_that_row_only(tmp_path):
    path = write_csv(
        tmp_path / "s.csv",
        SEGMENT_HEADER,
        [["a", "A", "main", "", ""], ["b", "B\x00", "main", "", ""], ["c", "C", "main", "", ""]],
    )

    run, rejections = _import("segments", path, tmp_path)

    _assert_one_rejected(run, rejections, 3)
    assert "NUL" in rejections[0]["message"]
    assert _segment_ids() == ["a", "c"]


@pytest.mark.parametrize("poison", ["\\u0000", "\\ud800"], ids=["nul", "lone-surrogate"])
def test_an_unstorable_escape_in_a_json_cell_rejects_that_row_only(tmp_path, poison):
    path = write_csv(
        tmp_path / "s.csv",
        SEGMENT_HEADER,
        [
            ["a", "A", "main", "", '{"tier": 1}'],
            ["b", "B", "main", "", '{"tier": "x' + poison + '"}'],
            ["c", "C", "main", "", ""],
        ],
    )

    run, rejections = _import("segments", path, tmp_path)

    _assert_one_rejected(run, rejections, 3, "mixins")
    assert _segment_ids() == ["a", "c"]


@pytest.mark.parametrize("depth", [MAX_NESTING_DEPTH, 20_000])
def test_a_json_cell_nested_too_deep_rejects_that_row_only(tmp_path, depth):
    # The cell is the document's member `mixins`, one level below the document; 20,000
    # levels are past Python's recursion limit and within the CSV field limit.
    deep = '{"a":' * depth + "1" + "}" * depth
    path = write_csv(
        tmp_path / "s.csv",
        SEGMENT_HEADER,
        [["a", "A", "main", "", ""], ["b", "B", "main", "", deep], ["c", "C", "main", "", ""]],
    )

    run, rejections = _import("segments", path, tmp_path)

    _assert_one_rejected(run, rejections, 3, "mixins")
    assert f"deeper than {MAX_NESTING_DEPTH} levels" in rejections[0]["message"]
    assert _segment_ids() == ["a", "c"]


def test_a_cell_over_the_csv_field_limit_rejects_that_row_only(tmp_path):
    huge = "x" * (csv.field_size_limit() + 1)
    path = write_csv(
        tmp_path / "p.csv",
        ["id", "name.en"],
        [["p1", "A"], ["p2", huge], ["p3", "C"]],
    )

    run, rejections = _import("products", path, tmp_path)

    _assert_one_rejected(run, rejections, 3)
    assert "field larger than field limit" in rejections[0]["message"]
    assert _product_ids() == ["p1", "p3"]


def test_an_oversize_quoted_cell_over_several_lines_is_skipped_whole(tmp_path):
    """The reader gives up inside the quoted cell; its remaining lines look like rows of
    their own and must not be imported as such, and the line numbers stay right."""
    huge = "x" * (csv.field_size_limit() + 1) + "\nfake,Fake\nfake2,Fake 2"
    path = write_csv(
        tmp_path / "p.csv",
        ["id", "name.en"],
        [["p1", "A"], ["p2", huge], ["p3", "C"], ["p4", ""]],
    )

    run, rejections = _import("products", path, tmp_path)

    assert [(r["line"], r["field"]) for r in rejections] == [(3, "body"), (7, "name")]
    assert _product_ids() == ["p1", "p3"]
    assert run.error is not None and run.error.returncode == 1


def test_bytes_that_are_not_utf8_reject_their_row_only(tmp_path):
    path = tmp_path / "p.csv"
    good = "".join(f"p{n},Name {n}\n" for n in range(2000))  # well past the first read
    path.write_bytes(b"id,name.en\nbad,\xff\xfe\n" + good.encode() + b"bad2,M\xfcller\n")

    run, rejections = _import("products", path, tmp_path)

    assert [(r["line"], r["field"]) for r in rejections] == [(2, "body"), (2003, "body")]
    assert "not UTF-8" in rejections[0]["message"]
    assert Product.objects.count() == 2000
    assert run.error is not None and run.error.returncode == 1


# --- JSON Lines -------------------------------------------------------------------------


def _segment(segment_id: str, **extra) -> dict:
    return {"id": segment_id, "name": {"en": segment_id}, "siteCode": "main", **extra}


def test_an_impossible_date_in_a_json_line_rejects_that_line_only(tmp_path):
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [_segment("a"), _segment("b", validity={"to": "2021-02-29T00:00:00Z"}), _segment("c")],
    )

    run, rejections = _import("segments", path, tmp_path)

    _assert_one_rejected(run, rejections, 2, "validity.to")
    assert _segment_ids() == ["a", "c"]


@pytest.mark.parametrize("depth", [MAX_NESTING_DEPTH + 1, 100_000])
def test_a_json_line_nested_too_deep_rejects_that_line_only(tmp_path, depth):
    deep = "[" * depth + "]" * depth
    path = write_jsonl(tmp_path / "s.jsonl", [_segment("a"), deep, _segment("c")])

    run, rejections = _import("segments", path, tmp_path)

    _assert_one_rejected(run, rejections, 2)
    assert f"deeper than {MAX_NESTING_DEPTH} levels" in rejections[0]["message"]
    assert _segment_ids() == ["a", "c"]


@pytest.mark.parametrize("poison", ["\x00", "\ud800"], ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize("member", ["name", "mixins", "key"])
def test_an_unstorable_escape_in_a_json_line_rejects_that_line_only(tmp_path, poison, member):
    bad = {
        "name": _segment("b", name={"en": "B" + poison}),
        "mixins": _segment("b", mixins={"tier": ["x" + poison]}),
        "key": _segment("b", mixins={"x" + poison: 1}),
    }[member]
    path = write_jsonl(tmp_path / "s.jsonl", [_segment("a"), json.dumps(bad), _segment("c")])

    run, rejections = _import("segments", path, tmp_path)

    _assert_one_rejected(run, rejections, 2)
    assert "NUL" in rejections[0]["message"]
    assert _segment_ids() == ["a", "c"]


def test_bytes_that_are_not_utf8_reject_their_line_only(tmp_path):
    path = tmp_path / "s.jsonl"
    lines = [json.dumps(_segment(f"s{n}")).encode() for n in range(3)]
    path.write_bytes(lines[0] + b'\n{"id": "b", "name": {"en": "\xff"}}\n' + b"\n".join(lines[1:]))

    run, rejections = _import("segments", path, tmp_path)

    _assert_one_rejected(run, rejections, 2)
    assert "not UTF-8" in rejections[0]["message"]
    assert _segment_ids() == ["s0", "s1", "s2"]


@pytest.mark.parametrize("number", ["NaN", "-Infinity", "1e400"])
def test_a_number_json_cannot_store_rejects_that_line_only(tmp_path, number):
    bad = '{"id": "b", "name": {"en": "B"}, "siteCode": "main", "mixins": {"n": ' + number + "}}"
    path = write_jsonl(tmp_path / "s.jsonl", [_segment("a"), bad, _segment("c")])

    run, rejections = _import("segments", path, tmp_path)

    _assert_one_rejected(run, rejections, 2)
    assert _segment_ids() == ["a", "c"]
