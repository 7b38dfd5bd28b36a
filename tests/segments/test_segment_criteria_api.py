"""A segment's rule (`criteria`): validation at every write (POST, PUT, PATCH, bulk,
import) through the list query compiler, the round trip through the document and the
exports, and the live preview `POST /segments/criteria-preview` (counts, sample, query
count, scope, tenant isolation)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from segments.models import Segment
from segments_project.tenancy import scopes
from segments_project.tenancy.models import Tenant

from ..conftest import OTHER_TENANT, TENANT, Caller
from ..imports import run_export, run_import, write_csv, write_jsonl

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
PREVIEW = f"{SEGMENTS}/criteria-preview"
RULE = {"q": "addresses.country:DE mixins.loyalty.points:>=500", "legalEntities": "name:~Acme"}


def _segment(**extra: Any) -> dict[str, Any]:
    return {"name": {"en": "Gold"}, "siteCode": "main", **extra}


def _customer(caller: Caller, customer_id: str, tenant: str = TENANT, **body: Any) -> None:
    response = caller.put(f"/customer/{tenant}/customers/{customer_id}", body)
    assert response.status_code in (201, 204), response.json()


def _legal_entity(caller: Caller, legal_entity_id: str, name: str, tenant: str = TENANT) -> None:
    response = caller.put(f"/customer/{tenant}/legal-entities/{legal_entity_id}", {"name": name})
    assert response.status_code in (201, 204), response.json()


def _problem(response: Any) -> tuple[str, str]:
    assert response.status_code == 400, response.json()
    detail = response.json()["details"][0]
    return detail["field"], detail["message"]


# -- validation --


@pytest.mark.parametrize(
    ("criteria", "field", "message"),
    [
        ({"q": "nosuch:1"}, "criteria.q", "Invalid criteria.q at position 1: unknown field"),
        ({"q": "active:maybe"}, "criteria.q", "'maybe' is not valid for 'active'"),
        ({"q": "addresses.country:(DE"}, "criteria.q", "Invalid criteria.q at position"),
        ({"q": 'metadata.createdAt:>="-5y"'}, "criteria.q", "or a relative date such as"),
        ({"q": "   "}, "criteria.q", "must not be blank"),
        ({"q": 5}, "criteria.q", "must be a string"),
        ({"legalEntities": "email:x"}, "criteria.legalEntities", "unknown field 'email'"),
        ({"query": "id:x"}, "criteria.query", "only hold q and legalEntities"),
        ({}, "criteria", "needs q or legalEntities"),
        ("id:x", "criteria", "must be an object"),
    ],
)
def test_invalid_criteria_are_a_400_naming_the_member(manager, criteria, field, message):
    response = manager.post(SEGMENTS, _segment(id="gold", criteria=criteria))

    got_field, got_message = _problem(response)
    assert got_field == field
    assert message in got_message
    assert not Segment.objects.filter(public_id="gold").exists()


def test_every_write_validates_criteria_the_same_way(manager, tmp_path):
    assert manager.put(f"{SEGMENTS}/gold", _segment()).status_code == 201
    bad = {"q": "nosuch:1"}

    assert _problem(manager.put(f"{SEGMENTS}/gold", _segment(criteria=bad)))[0] == "criteria.q"
    assert _problem(manager.patch(f"{SEGMENTS}/gold", {"criteria": bad}))[0] == "criteria.q"
    bulk = manager.put(f"{SEGMENTS}/bulk", [_segment(id="gold", criteria=bad)])
    assert bulk.status_code == 207
    assert bulk.json()[0]["code"] == 400
    errors = tmp_path / "errors.jsonl"
    rows = [{"id": "silver", "name": {"en": "S"}, "siteCode": "main", "criteria": bad}]
    run = run_import("segments", write_jsonl(tmp_path / "in.jsonl", rows), errors=str(errors))
    assert "rejected 1" in run.out, run.out
    assert "criteria.q" in errors.read_text()
    assert Segment.objects.get(public_id="gold").criteria is None
    assert not Segment.objects.filter(public_id="silver").exists()


# -- round trip --


def test_criteria_round_trip_through_put_patch_and_null(manager):
    assert manager.put(f"{SEGMENTS}/gold", _segment(criteria=RULE)).status_code == 201
    assert manager.get(f"{SEGMENTS}/gold").json()["criteria"] == RULE

    patched = {"criteria": {"q": 'mixins.orders.lastOrderAt:>="-30d"'}}
    assert manager.patch(f"{SEGMENTS}/gold", patched).status_code == 204
    # A merge patch merges objects: the legal-entity part stays; the text is kept relative.
    assert manager.get(f"{SEGMENTS}/gold").json()["criteria"] == {
        "q": 'mixins.orders.lastOrderAt:>="-30d"',
        "legalEntities": "name:~Acme",
    }

    assert manager.patch(f"{SEGMENTS}/gold", {"criteria": None}).status_code == 204
    document = manager.get(f"{SEGMENTS}/gold").json()
    assert "criteria" not in document
    assert Segment.objects.get(public_id="gold").criteria is None


def test_a_segment_without_criteria_stays_manual_only(manager):
    assert manager.post(SEGMENTS, _segment(id="gold", criteria=None)).status_code == 201
    assert "criteria" not in manager.get(f"{SEGMENTS}/gold").json()


@pytest.mark.parametrize("extension", ["csv", "jsonl"])
def test_criteria_survive_export_and_import(manager, tmp_path, extension):
    Tenant.objects.get_or_create(name=OTHER_TENANT)
    assert manager.put(f"{SEGMENTS}/gold", _segment(criteria=RULE)).status_code == 201
    assert manager.put(f"{SEGMENTS}/plain", _segment()).status_code == 201
    exported = tmp_path / f"out.{extension}"

    run_export("segments", exported)
    run = run_import("segments", exported, tenant=OTHER_TENANT)

    assert run.ok, run.out
    copies = Segment.objects.filter(tenant_id=OTHER_TENANT).order_by("public_id")
    assert [(s.public_id, s.criteria) for s in copies] == [("gold", RULE), ("plain", None)]


def test_a_csv_import_reads_the_criteria_columns(manager, tmp_path):
    header = ["id", "name.en", "siteCode", "criteria.q", "criteria.legalEntities"]
    rows = [["gold", "Gold", "main", "active:true", ""], ["bad", "Bad", "main", "active:x", ""]]
    errors = tmp_path / "errors.jsonl"

    run = run_import("segments", write_csv(tmp_path / "in.csv", header, rows), errors=str(errors))

    assert "inserted 1," in run.out and "rejected 1" in run.out, run.out
    assert Segment.objects.get(public_id="gold").criteria == {"q": "active:true"}
    assert "'x' is not valid for 'active'" in errors.read_text()


# -- preview --


@pytest.fixture
def directory(manager) -> None:
    """Six customers of acme with profiles and mixins, two of them linked to Acme Corp,
    and one of globex that matches everything."""
    _legal_entity(manager, "acme-corp", "Acme Corp")
    _legal_entity(manager, "initech", "Initech")
    de = [{"country": "DE", "city": "Berlin"}]
    _customer(manager, "c1", addresses=de, mixins={"loyalty": {"points": 900}})
    _customer(manager, "c2", addresses=de, mixins={"loyalty": {"points": 100}})
    _customer(manager, "c3", addresses=[{"country": "AT"}], mixins={"loyalty": {"points": 900}})
    _customer(manager, "c4", addresses=de, mixins={"loyalty": {"points": 500}}, firstName="Ada")
    _customer(manager, "c5", legalEntityIds=["acme-corp"], preferredLanguage="de")
    _customer(manager, "c6", addresses=de, legalEntityIds=["acme-corp", "initech"])
    _customer(manager, "c7", legalEntityIds=["initech"])


def test_preview_counts_customers_matching_q_or_linked_to_a_matching_legal_entity(
    manager, directory
):
    response = manager.post(PREVIEW, {"criteria": RULE})

    assert response.status_code == 200, response.json()
    answer = response.json()
    # q: c1, c4; legal entities named ~Acme: c5, c6 (each counted once).
    assert (answer["count"], answer["totalCustomers"]) == (4, 7)
    assert [customer["id"] for customer in answer["sample"]] == ["c1", "c4", "c5", "c6"]
    assert answer["sample"][1]["firstName"] == "Ada"
    assert answer["sample"][3]["legalEntityIds"] == ["acme-corp", "initech"]
    assert not Segment.objects.exists()


def test_preview_of_each_part_alone(manager, directory):
    q_only = manager.post(PREVIEW, {"criteria": {"q": "preferredLanguage:de"}}).json()
    legal_only = manager.post(PREVIEW, {"criteria": {"legalEntities": "id:initech"}}).json()

    assert [c["id"] for c in q_only["sample"]] == ["c5"]
    assert [c["id"] for c in legal_only["sample"]] == ["c6", "c7"]


def test_preview_sample_is_the_first_ten_by_id(manager):
    for number in range(12):
        _customer(manager, f"k{number:02d}", active=True)

    answer = manager.post(PREVIEW, {"criteria": {"q": "active:true"}}).json()

    assert answer["count"] == 12
    assert [c["id"] for c in answer["sample"]] == [f"k{n:02d}" for n in range(10)]


def test_preview_costs_the_same_queries_whatever_the_number_of_customers(manager, directory):
    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            response = manager.post(PREVIEW, {"criteria": RULE})
        assert response.status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    few = queries()
    for number in range(20):
        _customer(
            manager,
            f"more{number}",
            addresses=[{"country": "DE"}],
            mixins={"loyalty": {"points": 1000}},
            legalEntityIds=["acme-corp"],
        )
    many = queries()

    assert len(many) == len(few)
    preview = [sql for sql in many if "segments_customer" in sql]
    # One aggregate for both counts, one page of the sample, its legal entity ids.
    assert len(preview) == 3, preview
    assert sum("COUNT(" in sql for sql in preview) == 1
    assert sum("LIMIT 10" in sql for sql in preview) == 1


def test_preview_with_relative_dates(manager, directory):
    _customer(manager, "recent", mixins={"orders": {"lastOrderAt": "2099-01-01T00:00:00.000Z"}})
    _customer(manager, "old", mixins={"orders": {"lastOrderAt": "2001-01-01T00:00:00.000Z"}})

    answer = manager.post(PREVIEW, {"criteria": {"q": 'mixins.orders.lastOrderAt:>="-30d"'}}).json()

    assert [c["id"] for c in answer["sample"]] == ["recent"]


def test_preview_rejects_invalid_criteria_and_saves_nothing(manager):
    assert _problem(manager.post(PREVIEW, {"criteria": {"q": "nosuch:1"}}))[0] == "criteria.q"
    assert _problem(manager.post(PREVIEW, {"criteria": None}))[0] == "criteria"
    assert _problem(manager.post(PREVIEW, {}))[0] == "criteria"
    assert _problem(manager.post(PREVIEW, ["x"]))[0] == "body"


def test_preview_sees_only_the_tenants_customers(manager, outsider, directory, issue_token):
    Tenant.objects.get_or_create(name=OTHER_TENANT)
    _customer(
        outsider,
        "c1",
        tenant=OTHER_TENANT,
        addresses=[{"country": "DE"}],
        mixins={"loyalty": {"points": 900}},
    )
    _legal_entity(outsider, "acme-corp", "Acme Corp", tenant=OTHER_TENANT)

    theirs = outsider.post(
        f"/customer-segment/{OTHER_TENANT}/segments/criteria-preview", {"criteria": RULE}
    ).json()
    assert (theirs["count"], theirs["totalCustomers"]) == (1, 1)
    # A token of the other tenant cannot ask about acme's customers.
    assert outsider.post(PREVIEW, {"criteria": RULE}).status_code == 403


def test_preview_needs_the_manage_scope(reader, issue_token):
    assert reader.post(PREVIEW, {"criteria": {"q": "id:exists"}}).status_code == 403
    manage = Caller(issue_token(granted=frozenset({scopes.SEGMENT_MANAGE})))
    assert manage.post(PREVIEW, {"criteria": {"q": "id:exists"}}).status_code == 200
