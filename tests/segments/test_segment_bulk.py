"""Bulk create, upsert and delete of segments: 207 entries in order, the 200 limit."""

from __future__ import annotations

import pytest

from segments.models import Segment

from ..conftest import TENANT

pytestmark = pytest.mark.django_db

BULK = f"/customer-segment/{TENANT}/segments/bulk"


def _segment(segment_id: str | None, **extra):
    body = {"name": {"en": f"Segment {segment_id}"}, "siteCode": "main", **extra}
    if segment_id is not None:
        body["id"] = segment_id
    return body


def test_bulk_create_applies_valid_elements_and_reports_each_in_order(manager):
    manager.post(f"/customer-segment/{TENANT}/segments", _segment("taken"))

    response = manager.post(
        BULK, [_segment("a"), _segment("b", siteCode=None), _segment("taken"), _segment(None), 42]
    )

    assert response.status_code == 207
    entries = response.json()
    assert [entry["index"] for entry in entries] == [0, 1, 2, 3, 4]
    assert [entry["code"] for entry in entries] == [201, 400, 409, 201, 400]
    assert entries[0]["id"] == "a"
    assert entries[0]["status"] == "Created"
    assert "siteCode" in entries[1]["message"]
    assert entries[2]["id"] == "taken"
    assert len(entries[3]["id"]) == 24
    assert set(Segment.objects.values_list("public_id", flat=True)) == {
        "a",
        "taken",
        entries[3]["id"],
    }


def test_bulk_upsert_creates_updates_and_refuses_stale_versions(manager):
    manager.post(BULK, [_segment("a"), _segment("b")])

    response = manager.put(
        BULK,
        [
            _segment("a", status="ACTIVE", metadata={"version": 1}),
            _segment("b", status="ACTIVE", metadata={"version": 7}),
            _segment("c"),
            _segment("d", name=None),
        ],
    )

    assert response.status_code == 207
    assert [entry["code"] for entry in response.json()] == [204, 409, 201, 400]
    assert response.json()[0]["status"] == "No Content"
    statuses = dict(Segment.objects.values_list("public_id", "status"))
    assert statuses == {"a": "ACTIVE", "b": "INACTIVE", "c": "INACTIVE"}


def test_bulk_delete_takes_an_array_of_ids(manager):
    manager.post(BULK, [_segment("a"), _segment("b"), _segment("c")])

    response = manager.delete(BULK, ["a", "c", "never-existed", {"id": "b"}])

    assert response.status_code == 207
    assert [entry["code"] for entry in response.json()] == [204, 204, 204, 400]
    assert list(Segment.objects.values_list("public_id", flat=True)) == ["b"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_more_than_200_elements_are_a_400_and_nothing_is_applied(manager, method):
    elements = [_segment(f"s{index}") for index in range(201)]
    if method == "delete":
        manager.post(BULK, elements[:5])
        elements = [element["id"] for element in elements]

    response = getattr(manager, method)(BULK, elements)

    assert response.status_code == 400
    assert "200" in response.json()["message"]
    assert Segment.objects.count() == (5 if method == "delete" else 0)


def test_exactly_200_elements_are_accepted(manager):
    response = manager.post(BULK, [_segment(f"s{index}") for index in range(200)])

    assert response.status_code == 207
    assert Segment.objects.count() == 200


@pytest.mark.parametrize("body", [{"id": "a"}, "a", None])
def test_a_bulk_body_that_is_not_an_array_is_a_400(manager, body):
    response = manager.post(BULK, body) if body is not None else manager.post(BULK)

    assert response.status_code == 400
