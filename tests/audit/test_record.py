"""`record` and `diff`: the interface every write service calls."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection

from segments_project.audit.admin_dates import periods_between
from segments_project.audit.record import Change, diff, record
from segments_project.tenancy.models import Tenant

from ..conftest import TENANT
from .conftest import trail


def test_diff_keeps_only_the_changed_fields_as_old_and_new():
    old = {"status": "ACTIVE", "name": {"en": "Gold"}, "site_code": "main"}
    new = {"status": "INACTIVE", "name": {"en": "Gold"}, "valid_to": None, "mixins": {"a": 1}}

    assert diff(old, new) == {"status": ["ACTIVE", "INACTIVE"], "mixins": [None, {"a": 1}]}


def test_diff_of_equal_values_is_empty():
    assert diff({"a": 1}, {"a": 1}) == {}


@pytest.mark.django_db
def test_nothing_to_record_sends_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        record(TENANT, [])


@pytest.mark.django_db
def test_many_changes_are_one_insert_with_values_stored_as_json(django_assert_num_queries):
    Tenant.objects.create(name=TENANT)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    changes = [
        Change("coupon", f"C{index}", "updated", None, {"min": [Decimal("1.50"), None]})
        for index in range(50)
    ]
    changes.append(Change("segment", "gold", "created", "gold", {"valid_from": when}))

    # The audit INSERT with the outbox row in one statement (PostgreSQL; SQLite: one each).
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        record(TENANT, changes)

    events = trail()
    assert len(events) == 51
    assert events[0]["changes"] == {"min": ["1.50", None]}
    assert events[-1]["changes"] == {"valid_from": "2026-01-02T03:04:05Z"}


@pytest.mark.parametrize(
    ("first", "last", "kind", "periods"),
    [
        (
            date(2024, 11, 3),
            date(2026, 2, 1),
            "year",
            [date(2024, 1, 1), date(2025, 1, 1), date(2026, 1, 1)],
        ),
        (
            date(2025, 11, 30),
            date(2026, 2, 1),
            "month",
            [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)],
        ),
        (
            date(2025, 12, 30),
            date(2026, 1, 2),
            "day",
            [date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)],
        ),
    ],
)
def test_the_drill_down_lists_every_period_from_first_to_last(first, last, kind, periods):
    assert periods_between(first, last, kind) == periods
