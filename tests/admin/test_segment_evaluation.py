"""The segment page's evaluation status and its "Re-evaluate" button: a POST (CSRF) that
calls the evaluation service, for users who may change the segment, in their tenants."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from segments.models import Segment, SegmentEvaluation
from segments.services.evaluation_run import segment_evaluation_run

from .conftest import TENANT
from .test_segment_form import _change_form, _change_url

pytestmark = pytest.mark.django_db


def _evaluate_url(segment: Segment) -> str:
    return reverse("admin:segments_segment_evaluate", args=[segment.pk])


@pytest.fixture
def ruled(shop) -> Segment:
    gold = shop["gold"]
    gold.criteria = {"q": "id:alice"}
    gold.save()
    return gold


def test_the_page_shows_the_latest_evaluation_and_the_button(merchandiser, ruled):
    html = merchandiser.get(_change_url(ruled)).content.decode()
    assert "Never evaluated." in html
    assert f'formaction="{_evaluate_url(ruled)}"' in html

    response = merchandiser.post(_evaluate_url(ruled))

    assert response.status_code == 302 and response["Location"] == _change_url(ruled)
    evaluation = SegmentEvaluation.objects.get()
    assert (evaluation.status, evaluation.trigger) == ("PENDING", "ON_DEMAND")
    assert DBTaskResult.objects.count() == 1
    segment_evaluation_run(tenant=TENANT, evaluation_id=evaluation.pk)
    html = merchandiser.get(_change_url(ruled)).content.decode()
    assert "DONE (on demand," in html
    assert "0 added, 0 removed, 2 members" in html  # alice is a MANUAL member already


def test_a_segment_without_a_rule_has_no_button_and_the_post_says_why(merchandiser, shop):
    gold = shop["gold"]
    assert "formaction" not in merchandiser.get(_change_url(gold)).content.decode()

    response = merchandiser.post(_evaluate_url(gold), follow=True)

    assert "has no rule (criteria)" in response.content.decode()
    assert not SegmentEvaluation.objects.exists()


def test_viewers_see_the_status_without_the_button_and_may_not_post(viewer, ruled):
    html = viewer.get(_change_url(ruled)).content.decode()
    assert "Never evaluated." in html
    assert "formaction" not in html

    assert viewer.post(_evaluate_url(ruled)).status_code == 403
    assert not SegmentEvaluation.objects.exists()


def test_another_tenants_segment_and_get_are_refused(merchandiser, shop):
    foreign = shop["foreign"]
    foreign.criteria = {"q": "id:exists"}
    foreign.save()

    assert merchandiser.post(_evaluate_url(foreign)).status_code == 404
    assert merchandiser.get(_evaluate_url(shop["gold"])).status_code == 405
    assert not SegmentEvaluation.objects.exists()


def test_the_button_needs_the_csrf_token(make_staff, ruled):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_staff("strict"))

    assert client.post(_evaluate_url(ruled)).status_code == 403
    assert not SegmentEvaluation.objects.exists()


def test_saving_the_form_with_a_changed_rule_requests_one_evaluation(merchandiser, ruled):
    unchanged = merchandiser.post(_change_url(ruled), _change_form(ruled, criteria_q="id:alice"))
    assert unchanged.status_code == 302
    assert not SegmentEvaluation.objects.exists()

    ruled.refresh_from_db()
    changed = merchandiser.post(_change_url(ruled), _change_form(ruled, criteria_q="id:bob"))

    assert changed.status_code == 302
    assert list(SegmentEvaluation.objects.values_list("trigger", "status")) == [
        ("CRITERIA_CHANGED", "PENDING")
    ]
    assert DBTaskResult.objects.count() == 1
