"""`manage.py load_demo`: the demo tenant is a small but complete shop, a re-run changes
nothing, and the storefront curls it prints answer with real data."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Count
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from catalog.models import Category, CategoryAssignment, Product
from coupons.models import Coupon, Redemption
from segments.models import (
    AssignmentType,
    Customer,
    EvaluationStatus,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
    SegmentEvaluation,
    SegmentItemAssignment,
)

from .demo_run import load_demo, printed

pytestmark = pytest.mark.django_db

TENANT = "demo"


@pytest.fixture
def demo_output(tmp_path) -> str:
    return load_demo(tmp_path / "credentials.json")


def test_the_catalog_is_a_tree_of_a_few_levels_with_products_placed_in_it(demo_output):
    categories = Category.objects.filter(tenant_id=TENANT)
    products = Product.objects.filter(tenant_id=TENANT)

    assert categories.filter(depth=0).count() >= 2
    assert categories.filter(depth=2).exists(), "no third level"
    assert products.count() >= 24
    for product in products:
        assert product.code and product.name.keys() >= {"en", "de"}, product.public_id
    placed = CategoryAssignment.objects.filter(tenant_id=TENANT).values("product").distinct()
    assert placed.count() == products.count(), "a product in no category"
    assert all(category.name.keys() >= {"en", "de"} for category in categories)


def test_customers_are_b2c_and_b2b_with_legal_entities(demo_output):
    customers = Customer.objects.filter(tenant_id=TENANT).annotate(links=Count("legal_entities"))

    assert customers.filter(links=0).count() >= 2
    assert customers.filter(links__gt=0).count() >= 2
    assert LegalEntity.objects.filter(tenant_id=TENANT).count() >= 2


def test_manual_segments_have_b2c_and_b2b_members_and_both_kinds_of_items(demo_output):
    manual = SegmentCustomerAssignment.objects.filter(
        tenant_id=TENANT, assignment_type=AssignmentType.MANUAL
    )
    items = SegmentItemAssignment.objects.filter(tenant_id=TENANT)

    assert manual.filter(legal_entity__isnull=True).exists()
    assert manual.filter(legal_entity__isnull=False).exists()
    assert {"PRODUCT", "CATEGORY"} <= set(items.values_list("item_type", flat=True))
    active_now = Segment.objects.filter(tenant_id=TENANT).active_at(timezone.now())
    assert active_now.filter(customer_assignments__in=manual).distinct().count() >= 2


def test_the_rule_segment_has_the_automatic_members_its_rule_selects(demo_output):
    rule_segment = Segment.objects.get(tenant_id=TENANT, criteria__isnull=False)
    token = printed(demo_output, "Bearer token")

    selected = APIClient().get(
        f"/customer/{TENANT}/customers",
        {"q": rule_segment.criteria["q"], "pageSize": 1000},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert selected.status_code == 200, selected.content
    selected_ids = {customer["id"] for customer in selected.json()}
    automatic = SegmentCustomerAssignment.objects.filter(
        segment=rule_segment, assignment_type=AssignmentType.AUTOMATIC
    ).values_list("customer__public_id", flat=True)
    assert selected_ids and set(automatic) == selected_ids
    assert Customer.objects.filter(tenant_id=TENANT).exclude(public_id__in=selected_ids).exists()
    evaluations = SegmentEvaluation.objects.filter(tenant_id=TENANT)
    assert {evaluation.status for evaluation in evaluations} == {EvaluationStatus.DONE}


def test_one_segment_is_valid_only_from_a_date_to_come(demo_output):
    future = Segment.objects.filter(tenant_id=TENANT, valid_from__gt=timezone.now())

    assert future.exists()
    assert SegmentCustomerAssignment.objects.filter(segment__in=future).exists()


def test_segment_restricted_coupons_and_a_redemption(demo_output):
    coupons = Coupon.objects.filter(tenant_id=TENANT, referral_coupon=False)
    segment_ids = set(Segment.objects.filter(tenant_id=TENANT).values_list("public_id", flat=True))

    assert coupons.count() >= 2
    for coupon in coupons:
        assert coupon.segment_restricted and set(coupon.segment_ids) <= segment_ids
    assert Redemption.objects.filter(tenant_id=TENANT, coupon__in=coupons).count() == 1


def _rows() -> dict[str, list[tuple]]:
    """Every row of the domain apps, the outbox, the audit trail and the job queue."""
    models = [
        *(
            model
            for label in ("catalog", "segments", "coupons", "events", "audit")
            for model in apps.get_app_config(label).get_models()
        ),
        DBTaskResult,
    ]
    return {model._meta.label: sorted(map(repr, model.objects.values_list())) for model in models}


def test_a_rerun_writes_nothing(tmp_path, django_capture_on_commit_callbacks, published):
    credentials = tmp_path / "credentials.json"
    with django_capture_on_commit_callbacks(execute=True):
        load_demo(credentials)
    before = _rows()
    published.clear()

    with django_capture_on_commit_callbacks(execute=True):
        output = load_demo(credentials)

    assert _rows() == before
    assert published == []
    assert " 0 created" in output and ": created" not in output


def _curl_request(command: str) -> dict[str, Any]:
    """The method, path, headers and body of a printed curl command line."""
    words = shlex.split(command)
    assert words[0] == "curl", command
    request: dict[str, Any] = {"method": "GET", "headers": {}, "data": ""}
    rest = iter(words[1:])
    for word in rest:
        if word == "-X":
            request["method"] = next(rest)
        elif word == "-H":
            name, value = next(rest).split(":", 1)
            request["headers"][name.strip()] = value.strip()
        elif word == "-d":
            request["data"] = next(rest)
            if request["method"] == "GET":
                request["method"] = "POST"
        else:
            assert word.startswith("http://127.0.0.1:8000/"), word
            request["path"] = word.removeprefix("http://127.0.0.1:8000")
    return request


def test_each_printed_storefront_curl_answers_200_with_data(demo_output):
    token = printed(demo_output, "Customer token")
    commands = [
        line.strip()
        for line in demo_output.splitlines()
        if line.startswith("  curl ") and token in line
    ]

    assert len(commands) == 3, demo_output
    for command in commands:
        request = _curl_request(command)
        headers = request["headers"]
        response = APIClient().generic(
            request["method"],
            request["path"],
            request["data"],
            content_type=headers.pop("Content-Type", "application/octet-stream"),
            headers=headers,
        )
        assert response.status_code == 200, (command, response.content)
        assert json.loads(response.content), command


def test_the_token_customer_is_a_manual_and_an_automatic_member_as_the_banner_says(demo_output):
    customer_id = printed(demo_output, "A logged-in customer")

    active_now = Segment.objects.filter(tenant_id=TENANT).active_at(timezone.now())
    memberships = SegmentCustomerAssignment.objects.filter(
        segment__in=active_now, customer__public_id=customer_id, legal_entity__isnull=True
    ).values_list("segment__public_id", "assignment_type", "segment__criteria")

    kinds = {kind for _, kind, _ in memberships}
    assert kinds == {AssignmentType.MANUAL, AssignmentType.AUTOMATIC}, memberships
    for segment_id, kind, criteria in memberships:
        assert (kind == AssignmentType.AUTOMATIC) == (criteria is not None), segment_id
        assert segment_id in demo_output
