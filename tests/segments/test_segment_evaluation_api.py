"""`GET/POST /segments/{id}/evaluation`: the latest evaluation of a segment's rule, and
"evaluate now" (202, coalesced), the never-evaluated answer, the segment without a rule,
scopes, tenants and the query count of GET."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from segments.models import Customer, SegmentEvaluation
from segments.services.evaluation_run import segment_evaluation_run

from ..conftest import OTHER_TENANT, TENANT
from .factories import make_customer, make_segment

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"
EVALUATION = f"{SEGMENTS}/gold/evaluation"
RULE = {"q": "preferredLanguage:de"}
NEVER = {
    "segmentId": "gold",
    "status": None,
    "trigger": None,
    "requestedAt": None,
    "startedAt": None,
    "finishedAt": None,
    "added": None,
    "removed": None,
    "members": None,
    "attempts": 0,
    "error": None,
}


@pytest.fixture
def gold(db):
    make_customer(TENANT, "ada")
    make_customer(TENANT, "bob")
    Customer.objects.filter(public_id="ada").update(preferred_language="de")
    make_segment(OTHER_TENANT, "gold", criteria=RULE)
    return make_segment(TENANT, "gold", criteria=RULE)


def _run_pending() -> None:
    for evaluation in SegmentEvaluation.objects.filter(status="PENDING"):
        segment_evaluation_run(tenant=evaluation.tenant_id, evaluation_id=evaluation.pk)


def test_a_segment_never_evaluated_answers_status_null(reader, gold):
    response = reader.get(EVALUATION)

    assert (response.status_code, response.json()) == (200, NEVER)


def test_post_starts_one_then_get_follows_it_to_done(manager, reader, gold):
    started = manager.post(EVALUATION)

    assert started.status_code == 202
    body = started.json()
    assert (body["status"], body["trigger"], body["startedAt"]) == ("PENDING", "ON_DEMAND", None)
    assert body["requestedAt"].endswith("Z")
    assert DBTaskResult.objects.count() == 1
    # Coalesced: a second POST before a worker takes it answers the same evaluation.
    assert manager.post(EVALUATION).json() == body
    assert DBTaskResult.objects.count() == 1

    _run_pending()

    done = reader.get(EVALUATION).json()
    assert {key: done[key] for key in ("status", "added", "removed", "members", "attempts")} == {
        "status": "DONE",
        "added": 1,
        "removed": 0,
        "members": 1,
        "attempts": 1,
    }
    assert done["requestedAt"] <= done["startedAt"] <= done["finishedAt"]
    assert done["error"] is None


def test_get_shows_running_and_failed(reader, gold):
    evaluation = SegmentEvaluation.objects.create(
        tenant_id=TENANT,
        segment=gold,
        trigger="SCHEDULE",
        status="FAILED",
        requested_at=gold.created_at,
        error="RuntimeError: boom",
    )
    assert reader.get(EVALUATION).json()["error"] == "RuntimeError: boom"
    SegmentEvaluation.objects.create(
        tenant_id=TENANT,
        segment=gold,
        trigger="COMMAND",
        status="RUNNING",
        requested_at=gold.created_at,
        started_at=gold.created_at,
        attempts=1,
    )

    latest = reader.get(EVALUATION).json()

    assert (latest["status"], latest["trigger"], latest["attempts"]) == ("RUNNING", "COMMAND", 1)
    assert evaluation.pk < SegmentEvaluation.objects.latest("id").pk


def test_post_on_a_segment_without_a_rule_is_a_409_saying_why(manager):
    make_segment(TENANT, "plain")

    response = manager.post(f"{SEGMENTS}/plain/evaluation")

    assert response.status_code == 409
    assert "has no rule (criteria)" in response.json()["message"]
    assert not SegmentEvaluation.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_unknown_segment_and_another_tenants_segment_are_the_same_404(manager, outsider, gold):
    unknown = manager.get(f"{SEGMENTS}/nosuch/evaluation")
    assert unknown.status_code == 404
    assert manager.post(f"{SEGMENTS}/nosuch/evaluation").status_code == 404
    # The outsider's own tenant has a segment gold: it sees that one only.
    other = f"/customer-segment/{OTHER_TENANT}/segments/gold/evaluation"
    assert outsider.post(other).status_code == 202
    assert outsider.get(EVALUATION).status_code in (401, 403)
    assert outsider.post(EVALUATION).status_code in (401, 403)
    assert list(SegmentEvaluation.objects.values_list("tenant_id", flat=True)) == [OTHER_TENANT]
    assert manager.get(EVALUATION).json()["status"] is None


def test_scopes_as_the_segment(reader, anonymous, gold):
    assert reader.get(EVALUATION).status_code == 200
    refused = reader.post(EVALUATION)
    assert refused.status_code == 403
    assert "missing scope" in str(refused.json()["details"])
    assert anonymous.get(EVALUATION).status_code == 401
    assert not SegmentEvaluation.objects.exists()


def test_get_costs_a_fixed_number_of_queries(reader, gold):
    for _ in range(3):
        SegmentEvaluation.objects.create(
            tenant_id=TENANT,
            segment=gold,
            trigger="SCHEDULE",
            status="DONE",
            requested_at=gold.created_at,
        )
    reader.get(EVALUATION)  # warm: the token's lookups are cached per request anyway

    with CaptureQueriesContext(connection) as queries:
        assert reader.get(EVALUATION).status_code == 200

    evaluation_queries = [q["sql"] for q in queries if "segment" in q["sql"].lower()]
    # The segment by id, then the latest evaluation: two, however many evaluations exist.
    assert len(evaluation_queries) == 2, evaluation_queries
