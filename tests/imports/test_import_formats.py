"""What `import_data` reads and says: formats, gzip, stdin, line numbers, the tenant, the
progress lines and the summary."""

from __future__ import annotations

import gzip
import io

import pytest

from catalog.models import Product

from . import TENANT, make_tenants, run_import, write_csv, write_jsonl

pytestmark = pytest.mark.django_db

CSV = "id,name.en,published\np1,Shoe,true\np2,,true\n"


@pytest.fixture(autouse=True)
def _tenant():
    make_tenants(TENANT)


def _ids() -> list[str]:
    return sorted(Product.objects.values_list("public_id", flat=True))


def test_stdin_needs_a_format_and_reads_csv(tmp_path):
    without = run_import("products", "-", stdin=io.BytesIO(CSV.encode()))
    assert "needs --format" in str(without.error)

    run = run_import("products", "-", stdin=io.BytesIO(CSV.encode()), format="csv")

    assert "line 3: name: name is required." in run.out
    assert _ids() == ["p1"]


def test_gzip_files_and_gzip_on_stdin(tmp_path):
    path = tmp_path / "products.jsonl.gz"
    write_jsonl(path, [{"id": "p1", "name": {"en": "Shoe"}}])
    assert run_import("products", path).ok

    compressed = gzip.compress(b"id,name.en\np2,Sock\n")
    assert run_import("products", "-", stdin=io.BytesIO(compressed), format="csv").ok

    assert _ids() == ["p1", "p2"]


def test_ndjson_extension_and_format_override(tmp_path):
    ndjson = write_jsonl(tmp_path / "p.ndjson", [{"id": "p1", "name": {"en": "A"}}])
    odd = tmp_path / "p.txt"
    odd.write_text("id,name.en\np2,B\n", encoding="utf-8")

    assert run_import("products", ndjson).ok
    assert "Cannot tell the format" in str(run_import("products", odd).error)
    assert run_import("products", odd, format="csv").ok
    assert _ids() == ["p1", "p2"]


def test_csv_line_numbers_count_physical_lines(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "\ufeffid,name.en,published\n"  # a byte order mark is fine
        'p1,"A name\nover two lines",true\n'
        "\n"
        "p3,C,perhaps\n"
        "p4,D\n",
        encoding="utf-8",
    )

    run = run_import("products", path)

    assert "line 5: published: published must be true or false." in run.out
    assert "line 6: body: The row has 2 cells; the header has 3 columns." in run.out
    assert Product.objects.get(public_id="p1").name == {"en": "A name\nover two lines"}


def test_jsonl_line_numbers_count_blank_lines(tmp_path):
    path = write_jsonl(
        tmp_path / "p.jsonl", [{"id": "p1", "name": {"en": "A"}}, "", "[1, 2]", "{oops"]
    )

    run = run_import("products", path)

    assert "line 3: body: A product must be a JSON object." in run.out
    assert (
        "line 4: body: The row is not valid JSON: a name is expected in double quotes "
        '("name"), or there is a comma too many (at line 4, column 2).'
    ) in run.out


def test_an_unknown_column_refuses_the_whole_file(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["id", "name.en", "colour"], [["p1", "A", "red"]])

    run = run_import("products", path)

    assert "Unknown column 'colour'" in str(run.error)
    assert "name.<language>" in str(run.error)
    assert not Product.objects.exists()


def test_the_tenant_must_exist(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["id", "name.en"], [["p1", "A"]])

    run = run_import("products", path, tenant="nosuch")

    assert "The tenant 'nosuch' does not exist" in str(run.error)


def test_a_missing_file_and_a_bad_errors_file_are_clear_errors(tmp_path):
    assert "Cannot read" in str(run_import("products", tmp_path / "none.csv").error)
    path = write_csv(tmp_path / "p.csv", ["id", "name.en"], [["p1", "A"]])
    bad = run_import("products", path, errors=str(tmp_path / "errors.txt"))
    assert "must end in .csv, .jsonl or .ndjson" in str(bad.error)


def test_progress_lines_when_not_on_a_terminal(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["id", "name.en"], [[f"p{n}", "A"] for n in range(5)])

    run = run_import("products", path, chunk_size=2, progress="auto", progress_interval=0)

    lines = run.err.strip().splitlines()
    assert lines[0].startswith("read 2 rows, ")
    assert "rows/s" in lines[0] and "%" in lines[0]
    assert lines[-1].startswith("read 5 rows, ")
    assert "read 5, inserted 5, updated 0, unchanged 0, rejected 0 in" in run.out


def test_a_progress_bar_on_request(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["id", "name.en"], [[f"p{n}", "A"] for n in range(5)])

    run = run_import("products", path, chunk_size=2, progress="bar")

    assert "rows/s" in run.err and "100%" in run.err


def test_only_the_first_twenty_rejections_are_printed_all_are_in_the_errors_file(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["id", "name.en"], [[f"p{n}", ""] for n in range(25)])
    errors = tmp_path / "errors.csv"

    run = run_import("products", path, errors=str(errors))

    assert "First 20 rejected rows:" in run.out
    assert "line 21:" in run.out and "line 22:" not in run.out
    assert len(errors.read_text().splitlines()) == 26
    assert f"25 rows were rejected; every one is in {errors}" in str(run.error)
