"""`import_data --kind categories`: the forest, with parents anywhere in the file."""

from __future__ import annotations

import pytest

from catalog.models import Category
from catalog.services.categories import category_upsert

from . import TENANT, make_tenants, run_import, snapshot, write_csv, write_jsonl

pytestmark = pytest.mark.django_db

HEADER = ["id", "parentId", "code", "localizedName.en", "position"]


@pytest.fixture(autouse=True)
def _tenant():
    make_tenants(TENANT)


def _forest() -> dict[str, tuple[str | None, int, int]]:
    """public id -> (parent public id, depth, position), checking every path on the way."""
    categories = {c.pk: c for c in Category.objects.filter(tenant_id=TENANT)}
    forest = {}
    for category in categories.values():
        parent = categories.get(category.parent_id)
        expected = f"{parent.path if parent else '/'}{category.pk}/"
        assert category.path == expected, (category.public_id, category.path, expected)
        assert category.depth == (parent.depth + 1 if parent else 0), category.public_id
        forest[category.public_id] = (
            parent.public_id if parent else None,
            category.depth,
            category.position,
        )
    return forest


def test_children_before_their_parents_across_chunks(tmp_path):
    path = write_csv(
        tmp_path / "categories.csv",
        HEADER,
        [
            ["leaf", "mid", "", "Leaf", "0"],
            ["mid2", "root", "", "Mid 2", "1"],
            ["mid", "root", "", "Mid", "0"],
            ["other", "", "", "Other", "1"],
            ["root", "", "", "Root", "0"],
        ],
    )

    run = run_import("categories", path, chunk_size=2)

    assert run.ok, run.out
    assert "read 5, inserted 5" in run.out
    assert _forest() == {
        "root": (None, 0, 0),
        "other": (None, 0, 1),
        "mid": ("root", 1, 0),
        "mid2": ("root", 1, 1),
        "leaf": ("mid", 2, 0),
    }


def test_parents_that_already_exist(tmp_path):
    category_upsert(tenant=TENANT, category_id="root", document={"localizedName": {"en": "R"}})
    path = write_jsonl(
        tmp_path / "c.jsonl",
        [
            {"id": "a", "parentId": "root", "localizedName": {"en": "A"}},
            {"id": "b", "parentId": "a", "localizedName": {"en": "B"}, "published": True},
        ],
    )

    assert run_import("categories", path).ok
    assert _forest() == {"root": (None, 0, 0), "a": ("root", 1, 0), "b": ("a", 2, 0)}
    assert Category.objects.get(public_id="b").published is True


def test_the_same_tree_as_the_api_builds(tmp_path):
    documents = [
        {"id": "r", "localizedName": {"en": "R"}, "code": "R"},
        {"id": "x", "parentId": "r", "localizedName": {"en": "X"}},
        {"id": "y", "parentId": "r", "localizedName": {"en": "Y"}},
        {"id": "z", "parentId": "x", "localizedName": {"en": "Z"}, "position": 4},
        {"id": "w", "parentId": "x", "localizedName": {"en": "W"}},
    ]
    for document in documents:
        category_upsert(tenant=TENANT, category_id=document["id"], document=document)
    by_api = _forest()
    Category.objects.all().delete()

    assert run_import("categories", write_jsonl(tmp_path / "c.jsonl", documents)).ok

    assert _forest() == by_api


def test_moves_rewrite_whole_subtrees_nested_moves_too(tmp_path):
    initial = write_csv(
        tmp_path / "a.csv",
        HEADER,
        [
            ["r1", "", "", "R1", "0"],
            ["r2", "", "", "R2", "1"],
            ["a", "r1", "", "A", "0"],
            ["b", "a", "", "B", "0"],
            ["c", "b", "", "C", "0"],
            ["d", "c", "", "D", "0"],
        ],
    )
    assert run_import("categories", initial).ok
    moves = write_csv(
        tmp_path / "b.csv",
        HEADER,
        [
            ["c", "r1", "", "C", "0"],  # out of the subtree of a, which moves as well
            ["a", "r2", "", "A", "0"],
        ],
    )

    run = run_import("categories", moves)

    assert "updated 2" in run.out
    assert _forest() == {
        "r1": (None, 0, 0),
        "r2": (None, 0, 1),
        "a": ("r2", 1, 0),
        "b": ("a", 2, 0),
        "c": ("r1", 1, 0),
        "d": ("c", 2, 0),
    }
    assert Category.objects.get(public_id="a").version == 2
    assert Category.objects.get(public_id="b").version == 1  # moved along, unchanged itself


def test_a_move_under_its_own_descendant_is_rejected(tmp_path):
    initial = write_csv(
        tmp_path / "a.csv", HEADER, [["a", "", "", "A", "0"], ["b", "a", "", "B", "0"]]
    )
    assert run_import("categories", initial).ok
    before = snapshot()
    cycle = write_csv(
        tmp_path / "b.csv", HEADER, [["a", "b", "", "A", "0"], ["s", "s", "", "S", ""]]
    )

    run = run_import("categories", cycle)

    assert "line 2: parentId: Category a cannot move under itself or its descendant b." in run.out
    assert "line 3: parentId: Category s cannot be its own parent." in run.out
    assert snapshot() == before


def test_unknown_parents_are_rejected_after_the_last_pass_and_nothing_of_them_written(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        HEADER,
        [
            ["orphan", "ghost", "", "Orphan", ""],
            ["grandchild", "orphan", "", "Grandchild", ""],
            ["loop1", "loop2", "", "L1", ""],
            ["loop2", "loop1", "", "L2", ""],
            ["fine", "", "", "Fine", ""],
        ],
    )
    errors = tmp_path / "errors.csv"

    run = run_import("categories", path, chunk_size=2, errors=str(errors))

    assert "inserted 1" in run.out and "rejected 4" in run.out
    assert "line 2: parentId: The parent category ghost does not exist." in run.out
    assert "line 3: parentId: The parent category orphan does not exist." in run.out
    assert list(Category.objects.values_list("public_id", flat=True)) == ["fine"]


def test_a_code_in_use_is_rejected_and_a_code_given_up_earlier_in_the_file_is_free(tmp_path):
    initial = write_csv(
        tmp_path / "a.csv", HEADER, [["a", "", "CA", "A", "0"], ["b", "", "CB", "B", "1"]]
    )
    assert run_import("categories", initial).ok
    path = write_csv(
        tmp_path / "b.csv",
        HEADER,
        [
            ["new", "", "CB", "New", "2"],  # b still holds CB here
            ["a", "", "CA2", "A", "0"],  # a gives up CA ...
            ["b", "", "CA", "B", "1"],  # ... which b takes, giving up CB
            ["c", "", "CA2", "C", "3"],  # taken by a above
        ],
    )

    run = run_import("categories", path)

    assert "line 2: code: The category code CB is already used." in run.out
    assert "line 5: code: The category code CA2 is already used." in run.out
    codes = dict(Category.objects.values_list("public_id", "code"))
    assert codes == {"a": "CA2", "b": "CA"}


def test_a_category_without_a_position_goes_last_among_its_siblings(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        HEADER,
        [
            ["r", "", "", "R", ""],
            ["x", "r", "", "X", "5"],
            ["y", "r", "", "Y", ""],
            ["z", "r", "", "Z", ""],
        ],
    )

    assert run_import("categories", path).ok

    assert {key: value[2] for key, value in _forest().items()} == {"r": 0, "x": 5, "y": 6, "z": 7}


def test_re_running_a_file_with_late_parents_changes_nothing(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        HEADER,
        [["child", "parent", "", "Child", ""], ["parent", "", "", "Parent", ""]],
    )
    assert run_import("categories", path, chunk_size=1).ok
    before = snapshot()

    again = run_import("categories", path, chunk_size=1)

    assert "inserted 0, updated 0, unchanged 2" in again.out
    assert snapshot() == before


def test_dry_run_finds_parents_later_in_the_file_and_writes_nothing(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        HEADER,
        [["child", "parent", "", "Child", ""], ["parent", "", "", "Parent", ""]],
    )

    run = run_import("categories", path, chunk_size=1, dry_run=True)

    assert run.ok
    assert "inserted 2" in run.out
    assert not Category.objects.exists()


def test_rows_of_a_category_waiting_for_its_parent_still_apply_in_file_order(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        HEADER,
        [
            ["x", "late", "", "First", "0"],
            ["x", "", "", "Second", "0"],
            ["late", "", "", "Late", "1"],
        ],
    )

    run = run_import("categories", path, chunk_size=1)

    assert "inserted 2, updated 1" in run.out
    x = Category.objects.get(public_id="x")
    assert (x.name, x.parent, x.version) == ({"en": "Second"}, None, 2)
    assert _forest()["x"] == (None, 0, 0)
