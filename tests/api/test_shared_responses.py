"""The shared pieces of the resource views: bulk PUT elements, 207 answers, projected
documents and the per-page `prepare` hook of list answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from segments_project.api.bulk import MAX_BULK_ELEMENTS, BulkEntry, upsert_element
from segments_project.api.responses import bulk_response, outcomes_response, projected
from segments_project.api.views import TenantAPIView
from segments_project.errors import NotFound, ValidationFailed
from segments_project.tenancy.models import Tenant


@dataclass
class Row:
    public_id: str


def _request(query: str = "") -> Request:
    return Request(APIRequestFactory().get(f"/anything?{query}"))


def _upsert_calls() -> tuple[list[tuple[str, dict]], Any]:
    calls: list[tuple[str, dict]] = []

    def upsert(row_id: str, element: dict[str, Any]) -> tuple[Row, bool]:
        calls.append((row_id, element))
        return Row(row_id), row_id.startswith("new")

    return calls, upsert


# --- upsert_element --------------------------------------------------------------------------


def test_an_element_with_an_id_is_upserted_201_when_created_and_204_when_updated():
    calls, upsert = _upsert_calls()
    apply = upsert_element("thing", upsert)

    assert apply(0, {"id": "new-1", "a": 1}) == (201, "new-1")
    assert apply(1, {"id": "old-1"}) == (204, "old-1")
    assert calls == [("new-1", {"id": "new-1", "a": 1}), ("old-1", {"id": "old-1"})]


def test_an_element_without_an_id_is_created_when_there_is_a_create():
    _, upsert = _upsert_calls()
    apply = upsert_element("thing", upsert, create=lambda element: Row("generated"))

    assert apply(0, {"name": "x"}) == (201, "generated")
    assert apply(1, {"id": None}) == (201, "generated")


def test_an_element_without_an_id_is_a_400_without_a_create():
    _, upsert = _upsert_calls()

    with pytest.raises(ValidationFailed) as raised:
        upsert_element("thing", upsert)(0, {"name": "x"})

    assert raised.value.message == "id is required."
    assert [(d.field, d.type) for d in raised.value.details] == [("id", "required")]


@pytest.mark.parametrize(
    ("create", "message"),
    [
        (None, "A legal entity must be a JSON object with an id."),
        (lambda element: Row("x"), "A legal entity must be a JSON object."),
    ],
)
def test_an_element_that_is_not_an_object_is_a_400_naming_the_label(create, message):
    _, upsert = _upsert_calls()

    with pytest.raises(ValidationFailed) as raised:
        upsert_element("legal entity", upsert, create=create)(0, ["not", "an", "object"])

    assert raised.value.message == message
    assert raised.value.details[0].field == "body"


def test_an_element_with_a_malformed_id_is_a_400_before_the_upsert():
    calls, upsert = _upsert_calls()

    with pytest.raises(ValidationFailed):
        upsert_element("thing", upsert)(0, {"id": "has space"})

    assert calls == []


# --- bulk_response and outcomes_response -----------------------------------------------------


def test_bulk_response_answers_207_with_one_entry_per_element_in_order():
    def apply(index: int, element: Any) -> tuple[int, str]:
        if element == "missing":
            raise NotFound("Not there.", resource_id=element)
        return 204, element

    response = bulk_response(["a", "missing", "b"], apply)

    assert response.status_code == 207
    assert response.data == [
        {"index": 0, "id": "a", "code": 204, "status": "No Content"},
        {"index": 1, "id": "missing", "code": 404, "status": "Not Found", "message": "Not there."},
        {"index": 2, "id": "b", "code": 204, "status": "No Content"},
    ]


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (201, "Created"),
        (204, "No Content"),
        (400, "Bad Request"),
        (404, "Not Found"),
        (409, "Conflict"),
        (412, "Precondition Failed"),
        (429, "Too Many Requests"),
    ],
)
def test_a_bulk_entry_says_the_reason_phrase_of_its_code(code, status):
    assert BulkEntry(index=0, code=code).as_dict() == {"index": 0, "code": code, "status": status}


@pytest.mark.parametrize("body", [{"id": "a"}, ["a"] * (MAX_BULK_ELEMENTS + 1)])
def test_bulk_response_refuses_a_body_that_is_not_a_small_enough_array(body):
    applied: list[Any] = []

    with pytest.raises(ValidationFailed):
        bulk_response(body, lambda index, element: applied.append(element) or (204, "a"))

    assert applied == []


def test_outcomes_response_numbers_the_outcomes_in_order():
    @dataclass
    class Outcome:
        code: int

        def as_entry(self, index: int) -> dict[str, Any]:
            return {"index": index, "code": self.code}

    response = outcomes_response([Outcome(201), Outcome(409)])

    assert response.status_code == 207
    assert response.data == [{"index": 0, "code": 201}, {"index": 1, "code": 409}]


# --- projected -------------------------------------------------------------------------------


def test_projected_answers_the_whole_document_without_fields():
    document = {"id": "a", "name": {"en": "A"}, "status": "ACTIVE"}

    response = projected(_request(), document)

    assert response.status_code == 200
    assert response.data == document


def test_projected_reduces_the_document_to_the_requested_fields():
    document = {"id": "a", "name": {"en": "A", "de": "Ä"}, "status": "ACTIVE"}

    response = projected(_request("fields=id,name.de"), document)

    assert response.data == {"id": "a", "name": {"de": "Ä"}}


# --- list_page(prepare=...) ------------------------------------------------------------------


@pytest.mark.django_db
def test_prepare_gets_the_page_rows_once_before_any_row_is_rendered():
    for name in ("alpha", "bravo", "charlie"):
        Tenant.objects.create(name=name)
    view = TenantAPIView()
    view.request = _request("pageSize=2&pageNumber=2")
    events: list[Any] = []

    documents, _ = view.list_page(
        Tenant.objects.filter(name__in=["alpha", "bravo", "charlie"]),
        fields={},
        prepare=lambda rows: events.append(("prepare", [row.name for row in rows])),
        render=lambda row: events.append(("render", row.name)) or {"name": row.name},
    )

    assert documents == [{"name": "charlie"}]
    assert events == [("prepare", ["charlie"]), ("render", "charlie")]
