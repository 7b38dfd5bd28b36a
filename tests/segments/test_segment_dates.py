"""Date-times of segments that no calendar has (a 13th month, February 29th of a common
year, an hour 24, an offset of a day, a moment before year 1 in UTC) are a 400 on the
field at every entry point, and a bulk applies the elements next to one."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from segments.models import Segment

from ..conftest import TENANT

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
BULK = f"{SEGMENTS}/bulk"

IMPOSSIBLE = [
    "2020-13-45T00:00:00Z",
    "2021-02-29T00:00:00Z",
    "2021-04-31T10:00:00Z",
    "2021-01-01T24:00:00Z",
    "2021-01-01T00:00:00+25:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:30:00-01:00",
]


def _segment(segment_id: str, **extra):
    return {"id": segment_id, "name": {"en": segment_id}, "siteCode": "main", **extra}


def _assert_400_on(response, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == 400
    assert body["details"][0]["field"] == field


@pytest.mark.parametrize("when", IMPOSSIBLE)
def test_post_with_an_impossible_date_is_a_400_on_the_field(manager, when):
    response = manager.post(SEGMENTS, _segment("s1", validity={"from": when}))

    _assert_400_on(response, "validity.from")
    assert not Segment.objects.exists()


@pytest.mark.parametrize("when", IMPOSSIBLE)
def test_put_with_an_impossible_date_is_a_400_and_keeps_the_segment(manager, when):
    manager.post(SEGMENTS, _segment("s1"))

    response = manager.put(f"{SEGMENTS}/s1", _segment("s1", validity={"to": when}))

    _assert_400_on(response, "validity.to")
    assert Segment.objects.get().version == 1


@pytest.mark.parametrize("when", IMPOSSIBLE)
def test_merge_patch_with_an_impossible_date_is_a_400_and_changes_nothing(manager, when):
    manager.post(SEGMENTS, _segment("s1"))

    response = manager.patch(
        f"{SEGMENTS}/s1",
        {"validity": {"from": when}},
        content_type="application/merge-patch+json",
    )

    _assert_400_on(response, "validity.from")
    assert Segment.objects.get().version == 1


def test_json_patch_with_an_impossible_date_is_a_400_and_changes_nothing(manager):
    manager.post(SEGMENTS, _segment("s1"))

    response = manager.patch(
        f"{SEGMENTS}/s1",
        [{"op": "add", "path": "/validity", "value": {"to": "2021-02-29T00:00:00Z"}}],
        content_type="application/json-patch+json",
    )

    _assert_400_on(response, "validity.to")
    assert Segment.objects.get().version == 1


@pytest.mark.parametrize("method", ["post", "put"])
def test_a_bulk_with_an_impossible_date_applies_the_other_elements(manager, method):
    elements = [
        _segment("a"),
        _segment("b", validity={"from": "2021-02-29T00:00:00Z"}),
        _segment("c", validity={"to": "2030-01-01T00:00:00Z"}),
    ]

    response = getattr(manager, method)(BULK, elements)

    assert response.status_code == 207
    entries = response.json()
    assert [entry["code"] for entry in entries] == [201, 400, 201]
    assert "validity.from" in entries[1]["message"]
    assert set(Segment.objects.values_list("public_id", flat=True)) == {"a", "c"}


@pytest.mark.parametrize(
    "q",
    [
        'metadata.createdAt:>"2021-02-29"',
        'metadata.createdAt:>"2021-02-29T00:00:00Z"',
        'validity.from:"2020-13-45T00:00:00Z"',
        'validity.to:<"0001-01-01T00:00:00+01:00"',
    ],
)
def test_a_q_with_an_impossible_date_is_a_400(manager, q):
    manager.post(SEGMENTS, _segment("s1"))

    listed = manager.get(f"{SEGMENTS}?q={quote(q)}")
    searched = manager.post(f"{SEGMENTS}/search", {"q": q})

    assert listed.status_code == 400, listed.content
    assert searched.status_code == 400, searched.content
    assert "ISO 8601" in listed.json()["message"]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00.000Z", "0099-12-31T23:59:59.999Z"])
def test_a_date_in_the_first_millennium_reads_back_as_written_and_can_be_put_again(manager, when):
    manager.post(SEGMENTS, _segment("s1", validity={"from": when}))

    stored = manager.get(f"{SEGMENTS}/s1").json()
    again = manager.put(f"{SEGMENTS}/s1", stored)

    assert stored["validity"] == {"from": when}
    assert again.status_code == 204, again.content
