"""Category `validity` date-times that no calendar has are a 400 on the field for POST,
PUT and both kinds of PATCH, and in a q."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from catalog.models import Category

from ..conftest import TENANT
from ..errors import error_details

pytestmark = pytest.mark.django_db

CATEGORIES = f"/category/{TENANT}/categories"

IMPOSSIBLE = ["2020-13-45T00:00:00Z", "2021-02-29T00:00:00Z", "0001-01-01T00:00:00+01:00"]


def _category(**extra):
    return {"localizedName": {"en": "Tools"}, "published": True, **extra}


def _assert_400_on(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert error_details(response.json())[0]["field"] == field


@pytest.mark.parametrize("when", IMPOSSIBLE)
def test_post_with_an_impossible_date_is_a_400_on_the_field(manager, when):
    response = manager.post(CATEGORIES, _category(id="tools", validity={"from": when}))

    _assert_400_on(response, "validity.from")
    assert not Category.objects.exists()


@pytest.mark.parametrize("when", IMPOSSIBLE)
def test_put_with_an_impossible_date_is_a_400_and_keeps_the_category(manager, when):
    manager.put(f"{CATEGORIES}/tools", _category())

    response = manager.put(f"{CATEGORIES}/tools", _category(validity={"to": when}))

    _assert_400_on(response, "validity.to")
    assert Category.objects.get().version == 1


@pytest.mark.parametrize(
    ("content_type", "patch"),
    [
        ("application/merge-patch+json", {"validity": {"from": "2021-02-29T00:00:00Z"}}),
        (
            "application/json-patch+json",
            [{"op": "add", "path": "/validity", "value": {"from": "2020-13-45T00:00:00Z"}}],
        ),
    ],
    ids=["merge-patch", "json-patch"],
)
def test_patch_with_an_impossible_date_is_a_400_and_changes_nothing(manager, content_type, patch):
    manager.put(f"{CATEGORIES}/tools", _category())

    response = manager.patch(f"{CATEGORIES}/tools", patch, content_type=content_type)

    _assert_400_on(response, "validity.from")
    assert Category.objects.get().version == 1


def test_a_q_with_an_impossible_date_is_a_400(manager):
    manager.put(f"{CATEGORIES}/tools", _category())

    q = quote('validity.from:>"2021-02-29"')

    response = manager.get(f"{CATEGORIES}?q={q}")

    assert response.status_code == 400, response.content
