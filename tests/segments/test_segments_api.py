"""The Segments resource: create, read, list, search, upsert, patch, delete, bulk."""

from __future__ import annotations

import pytest

from segments.models import Segment

from ..conftest import TENANT

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"

GOLDEN = {
    "id": "628cd20c6e8b2432b6346ca6",
    "name": {"en": "Golden Segment", "de": "Goldenes Segment"},
    "description": {"en": "Golden Segment"},
    "validity": {"from": "2024-04-17T08:00:00.000Z", "to": "2025-04-17T08:00:00.000Z"},
    "status": "ACTIVE",
    "siteCode": "main",
}


def _create(caller, **overrides):
    body = {**GOLDEN, **overrides}
    response = caller.post(SEGMENTS, body)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


# --- create ----------------------------------------------------------------------------


def test_create_with_the_tutorial_example_answers_201_with_the_id(manager):
    response = manager.post(SEGMENTS, GOLDEN)

    assert response.status_code == 201
    assert response.json() == {"id": GOLDEN["id"]}
    stored = manager.get(f"{SEGMENTS}/{GOLDEN['id']}").json()
    assert stored["name"] == GOLDEN["name"]
    assert stored["validity"] == GOLDEN["validity"]
    assert stored["status"] == "ACTIVE"
    assert stored["siteCode"] == "main"
    assert stored["metadata"]["version"] == 1
    assert stored["metadata"]["createdAt"].endswith("Z")


def test_create_without_id_generates_one(manager):
    body = {key: value for key, value in GOLDEN.items() if key != "id"}

    response = manager.post(SEGMENTS, body)

    assert response.status_code == 201
    generated = response.json()["id"]
    assert len(generated) == 24
    assert Segment.objects.filter(public_id=generated, tenant_id=TENANT).exists()


def test_status_defaults_to_inactive(manager):
    segment_id = _create(manager, status=None)

    assert manager.get(f"{SEGMENTS}/{segment_id}").json()["status"] == "INACTIVE"


def test_creating_an_existing_id_is_a_409_and_changes_nothing(manager):
    _create(manager)

    response = manager.post(SEGMENTS, {**GOLDEN, "name": {"en": "Other"}})

    assert response.status_code == 409
    assert response.json()["code"] == 409
    assert Segment.objects.get().name == GOLDEN["name"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": {}}, "name"),
        ({"name": "plain string without Content-Language"}, "name"),
        ({"name": {"en": 5}}, "name.en"),
        ({"siteCode": None}, "siteCode"),
        ({"siteCode": ""}, "siteCode"),
        ({"siteCode": 7}, "siteCode"),
        ({"status": "SOMETIMES"}, "status"),
        ({"validity": {"from": "2025-01-01T00:00:00Z", "to": "2024-01-01T00:00:00Z"}}, "validity"),
        ({"validity": {"from": "yesterday"}}, "validity.from"),
        ({"validity": "always"}, "validity"),
        ({"mixins": []}, "mixins"),
        ({"metadata": {"mixins": {"a": 1}}}, "metadata.mixins.a"),
        ({"id": "has space"}, "id"),
        ({"id": "a/b"}, "id"),
        ({"id": "x" * 129}, "id"),
    ],
)
def test_invalid_segments_are_a_400_naming_the_field_and_change_nothing(manager, change, field):
    response = manager.post(SEGMENTS, {**GOLDEN, **change})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert body["status"] == "Bad Request"
    assert body["details"][0]["field"] == field
    assert not Segment.objects.exists()


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        (b'{"name": ', "application/json"),
        (b"[1, 2", "application/json"),
        (b'{"name": "\xff"}', "application/json"),
        (b"NaN", "application/json"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "application/json"),
        (b'{"name": {"en": "x"}, "siteCode": "main", "mixins": {"n": 1e400}}', "application/json"),
    ],
    ids=["truncated", "unclosed array", "invalid utf-8", "NaN", "deeply nested", "1e400"],
)
def test_malformed_bodies_are_a_400_json_error(manager, payload, content_type):
    response = manager.post(SEGMENTS, payload, content_type=content_type)

    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert not Segment.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(manager):
    response = manager.post(SEGMENTS, ["not", "an", "object"])

    assert response.status_code == 400


def test_unsupported_content_types_are_a_415(manager):
    response = manager.post(SEGMENTS, "name=x", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json()["code"] == 415


def test_bodies_over_the_limit_are_a_413(manager, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {**GOLDEN, "mixins": {"blob": "x" * 2000}}

    response = manager.post(SEGMENTS, body)

    assert response.status_code == 413
    assert response.json()["code"] == 413
    assert not Segment.objects.exists()


# --- localization ------------------------------------------------------------------------


def test_accept_language_picks_the_best_matching_language(manager):
    segment_id = _create(manager)
    url = f"{SEGMENTS}/{segment_id}"

    assert manager.get(url, headers={"Accept-Language": "de"}).json()["name"] == {
        "de": "Goldenes Segment"
    }
    assert manager.get(url, headers={"Accept-Language": "fr-CH, fr;q=0.9, de;q=0.8"}).json()[
        "name"
    ] == {"de": "Goldenes Segment"}
    assert manager.get(url, headers={"Accept-Language": "de;q=0.5, en"}).json()["name"] == {
        "en": "Golden Segment"
    }
    assert manager.get(url, headers={"Accept-Language": "*"}).json()["name"] == GOLDEN["name"]
    assert "description" not in manager.get(url, headers={"Accept-Language": "de"}).json()
    assert manager.get(url).json()["name"] == GOLDEN["name"]


def test_content_language_lets_a_write_send_plain_strings_for_one_language(manager):
    segment_id = _create(manager)
    url = f"{SEGMENTS}/{segment_id}"

    response = manager.put(
        url,
        {"name": "Goldkunden", "siteCode": "main", "status": "ACTIVE"},
        headers={"Content-Language": "de"},
    )

    assert response.status_code == 204
    assert manager.get(url).json()["name"] == {"en": "Golden Segment", "de": "Goldkunden"}


def test_create_with_content_language_stores_strings_under_that_language(manager):
    response = manager.post(
        SEGMENTS,
        {"id": "fr1", "name": "Segment d'or", "description": "Or", "siteCode": "main"},
        headers={"Content-Language": "fr"},
    )

    assert response.status_code == 201
    stored = manager.get(f"{SEGMENTS}/fr1").json()
    assert stored["name"] == {"fr": "Segment d'or"}
    assert stored["description"] == {"fr": "Or"}


# --- get ---------------------------------------------------------------------------------


def test_get_of_an_unknown_id_is_a_404_naming_it(manager):
    response = manager.get(f"{SEGMENTS}/missing")

    assert response.status_code == 404
    assert response.json()["resourceId"] == "missing"


def test_get_with_fields_projects_the_answer(manager):
    segment_id = _create(manager)

    response = manager.get(f"{SEGMENTS}/{segment_id}?fields=id,name,metadata.version")

    assert response.json() == {"id": segment_id, "name": GOLDEN["name"], "metadata": {"version": 1}}


# --- upsert ------------------------------------------------------------------------------


def test_put_creates_with_201_then_updates_with_204_bumping_the_version(manager):
    url = f"{SEGMENTS}/gold"
    body = {key: value for key, value in GOLDEN.items() if key != "id"}

    created = manager.put(url, body)
    updated = manager.put(url, {**body, "status": "INACTIVE", "metadata": {"version": 1}})

    assert created.status_code == 201
    assert created.json() == {"id": "gold"}
    assert updated.status_code == 204
    assert updated.content == b""
    stored = manager.get(url).json()
    assert stored["status"] == "INACTIVE"
    assert stored["metadata"]["version"] == 2


def test_put_with_a_stale_version_is_a_409_and_changes_nothing(manager):
    segment_id = _create(manager)
    url = f"{SEGMENTS}/{segment_id}"
    manager.put(url, {**GOLDEN, "status": "INACTIVE"})

    response = manager.put(url, {**GOLDEN, "siteCode": "other", "metadata": {"version": 1}})

    assert response.status_code == 409
    stored = manager.get(url).json()
    assert stored["siteCode"] == "main"
    assert stored["metadata"]["version"] == 2


def test_put_that_changes_nothing_keeps_the_version(manager):
    segment_id = _create(manager)

    manager.put(f"{SEGMENTS}/{segment_id}", GOLDEN)

    assert manager.get(f"{SEGMENTS}/{segment_id}").json()["metadata"]["version"] == 1


def test_put_with_a_different_id_in_the_body_is_a_400(manager):
    response = manager.put(f"{SEGMENTS}/one", {**GOLDEN, "id": "two"})

    assert response.status_code == 400
    assert not Segment.objects.exists()


def test_put_with_an_invalid_document_is_a_400_and_keeps_the_segment(manager):
    segment_id = _create(manager)

    response = manager.put(f"{SEGMENTS}/{segment_id}", {**GOLDEN, "siteCode": None})

    assert response.status_code == 400
    assert manager.get(f"{SEGMENTS}/{segment_id}").json()["siteCode"] == "main"


# --- patch -------------------------------------------------------------------------------


def test_json_patch_replaces_adds_and_removes(manager):
    segment_id = _create(manager, mixins={"attrs": {"tier": 1}})
    url = f"{SEGMENTS}/{segment_id}"

    response = manager.patch(
        url,
        [
            {"op": "replace", "path": "/status", "value": "INACTIVE"},
            {"op": "replace", "path": "/name/en", "value": "Gold"},
            {"op": "remove", "path": "/description"},
            {
                "op": "replace",
                "path": "/mixins/productCustomAttributes/pricingMeasurePrice",
                "value": 15,
            },
        ],
        content_type="application/json-patch+json",
    )

    assert response.status_code == 204
    stored = manager.get(url).json()
    assert stored["status"] == "INACTIVE"
    assert stored["name"] == {"en": "Gold", "de": "Goldenes Segment"}
    assert "description" not in stored
    assert stored["mixins"] == {
        "attrs": {"tier": 1},
        "productCustomAttributes": {"pricingMeasurePrice": 15},
    }
    assert stored["metadata"]["version"] == 2


def test_json_patch_sent_as_application_json_is_accepted(manager):
    segment_id = _create(manager)

    response = manager.patch(
        f"{SEGMENTS}/{segment_id}", [{"op": "replace", "path": "/siteCode", "value": "b2b"}]
    )

    assert response.status_code == 204
    assert manager.get(f"{SEGMENTS}/{segment_id}").json()["siteCode"] == "b2b"


def test_merge_patch_objects_are_accepted(manager):
    segment_id = _create(manager)
    url = f"{SEGMENTS}/{segment_id}"

    response = manager.patch(
        url,
        {"status": "INACTIVE", "description": None, "name": {"fr": "Or"}},
        content_type="application/merge-patch+json",
    )

    assert response.status_code == 204
    stored = manager.get(url).json()
    assert stored["status"] == "INACTIVE"
    assert "description" not in stored
    assert stored["name"] == {**GOLDEN["name"], "fr": "Or"}


@pytest.mark.parametrize(
    "patch",
    [
        [{"op": "remove", "path": "/name"}],
        [{"op": "replace", "path": "/status", "value": "MAYBE"}],
        [{"op": "replace", "path": "/validity/from", "value": "2030-01-01T00:00:00Z"}],
        [{"op": "replace", "path": "/id", "value": "other"}],
        [{"op": "add", "path": "/unknownField", "value": 1}],
        [{"op": "explode", "path": "/status"}],
        [{"op": "replace", "value": "x"}],
        [{"op": "remove", "path": "/nothing/there"}],
        [{"op": "test", "path": "/status", "value": "INACTIVE"}],
        "not a patch",
        {"siteCode": None},
    ],
)
def test_a_patch_that_yields_an_invalid_segment_is_a_400_and_changes_nothing(manager, patch):
    segment_id = _create(manager)
    url = f"{SEGMENTS}/{segment_id}"
    before = manager.get(url).json()

    response = manager.patch(url, patch)

    assert response.status_code == 400
    assert manager.get(url).json() == before


def test_patch_with_a_stale_version_is_a_409(manager):
    segment_id = _create(manager)
    url = f"{SEGMENTS}/{segment_id}"
    manager.patch(url, {"status": "INACTIVE"})

    response = manager.patch(url, {"status": "ACTIVE", "metadata": {"version": 1}})

    assert response.status_code == 409
    assert manager.get(url).json()["status"] == "INACTIVE"


def test_patch_of_an_unknown_segment_is_a_404(manager):
    response = manager.patch(f"{SEGMENTS}/missing", {"status": "ACTIVE"})

    assert response.status_code == 404


# --- delete ------------------------------------------------------------------------------


def test_delete_removes_the_segment_and_is_idempotent(manager):
    segment_id = _create(manager)

    first = manager.delete(f"{SEGMENTS}/{segment_id}")
    second = manager.delete(f"{SEGMENTS}/{segment_id}")

    assert first.status_code == 204
    assert second.status_code == 204
    assert manager.get(f"{SEGMENTS}/{segment_id}").status_code == 404


def test_force_delete_must_be_a_boolean(manager):
    segment_id = _create(manager)

    response = manager.delete(f"{SEGMENTS}/{segment_id}?forceDelete=perhaps")

    assert response.status_code == 400
    assert Segment.objects.exists()
