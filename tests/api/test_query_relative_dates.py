"""Relative dates in `q` (`"-30d"`): resolved against the compile's "now" into the
instant the service would write, on date-time fields everywhere and on JSON members in
comparisons; the same in list queries and in segment criteria."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from segments.documents.segments import SEGMENT_QUERY_FIELDS
from segments.models import Segment
from segments.selectors.directory import customers_matching
from segments_project.api.documents import format_datetime
from segments_project.api.query import FieldKind, compile_query
from segments_project.api.query import parser as nodes
from segments_project.api.query.relative import is_relative, resolve
from segments_project.errors import ValidationFailed

from ..conftest import TENANT, Caller
from ..segments.factories import make_segment

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _value(text: str, quoted: bool = True) -> nodes.Value:
    return nodes.Value(text, quoted, 7)


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("-30d", "2026-11-03T12:00:00.000Z"),
        ("-12h", "2026-12-03T00:00:00.000Z"),
        ("-90m", "2026-12-03T10:30:00.000Z"),
        ("-45s", "2026-12-03T11:59:15.000Z"),
        ("-2w", "2026-11-19T12:00:00.000Z"),
        ("+1d", "2026-12-04T12:00:00.000Z"),
    ],
)
def test_each_unit_resolves_against_now(text, instant):
    for quoted in (True, False):
        resolved = resolve(nodes.Compare(">=", _value(text, quoted)), FieldKind.JSON, NOW)
        assert resolved == nodes.Compare(">=", nodes.Value(instant, True))


@pytest.mark.parametrize("text", ["30d", "-30", "-30y", "-1.5d", "--1d", "-1234567d", "-30D"])
def test_other_texts_are_not_relative_dates(text):
    assert not is_relative(text)
    compare = nodes.Compare(">", _value(text))
    assert resolve(compare, FieldKind.JSON, NOW) == compare


def test_where_relative_dates_apply():
    relative = _value("-1d")
    day_before = nodes.Value("2026-12-02T12:00:00.000Z", True)
    exact, any_of = nodes.Exact(relative), nodes.AnyOf((relative, _value("x")))
    in_range = nodes.Range((nodes.Compare(">", relative), nodes.Compare("<", _value("+1d"))))

    # Date-time fields: everywhere a date may stand.
    assert resolve(exact, FieldKind.DATETIME, NOW) == nodes.Exact(day_before)
    assert resolve(any_of, FieldKind.DATETIME, NOW).values[0] == day_before
    # JSON and object members: comparisons and ranges only; an exact value is the string.
    assert resolve(exact, FieldKind.JSON, NOW) is exact
    assert resolve(in_range, FieldKind.OBJECTS, NOW).bounds[1].value.text == (
        "2026-12-04T12:00:00.000Z"
    )
    # Strings, numbers and the rest: never.
    for kind in (FieldKind.STRING, FieldKind.INTEGER, FieldKind.LOCALIZED):
        assert resolve(nodes.Compare(">", relative), kind, NOW).value == relative


def test_a_relative_date_beyond_the_calendar_is_a_400():
    with pytest.raises(ValidationFailed) as failure:
        compile_query('metadata.createdAt:>"-999999w"', SEGMENT_QUERY_FIELDS, now=NOW)
    assert "outside the calendar" in failure.value.message
    assert failure.value.details[0].field == "q"


def test_a_problem_is_told_about_the_named_parameter():
    with pytest.raises(ValidationFailed) as failure:
        compile_query("nosuch:1", SEGMENT_QUERY_FIELDS, param="criteria.q")
    assert failure.value.message.startswith("Invalid criteria.q at position 1: unknown field")
    assert failure.value.details[0].field == "criteria.q"


@pytest.mark.django_db
def test_a_date_time_field_compares_with_the_resolved_instant():
    for segment_id, days in (("old", 40), ("month", 20), ("week", 3)):
        make_segment(TENANT, segment_id, valid_from=NOW - timedelta(days=days))

    def matching(q: str) -> list[str]:
        condition = compile_query(q, SEGMENT_QUERY_FIELDS, now=NOW)
        found = Segment.objects.filter(tenant_id=TENANT).filter(condition)
        return sorted(found.values_list("public_id", flat=True))

    assert matching('validity.from:>="-30d"') == ["month", "week"]
    assert matching("validity.from:(>=-4w AND <-1w)") == ["month"]
    assert matching("validity.from:<-30d") == ["old"]


@pytest.mark.django_db
def test_a_json_member_compares_with_the_instant_as_text(manager):
    def order_at(moment: datetime) -> dict:
        return {"orders": {"lastOrderAt": format_datetime(moment)}}

    for customer_id, days in (("lapsed", 31), ("recent", 29), ("today", 0)):
        body = {"mixins": order_at(NOW - timedelta(days=days))}
        assert manager.put(f"/customer/{TENANT}/customers/{customer_id}", body).status_code == 201
    body = {"mixins": {"orders": {"lastOrderAt": "-30d"}}}
    assert manager.put(f"/customer/{TENANT}/customers/odd", body).status_code == 201

    def matching(q: str) -> list[str]:
        found = customers_matching(tenant=TENANT, q=q, now=NOW)
        return sorted(found.values_list("public_id", flat=True))

    assert matching('mixins.orders.lastOrderAt:>="-30d"') == ["recent", "today"]
    assert matching('mixins.orders.lastOrderAt:(>=-30d AND <"-1d")') == ["recent"]
    # An exact value still means the text.
    assert matching('mixins.orders.lastOrderAt:"-30d"') == ["odd"]


@pytest.mark.django_db
def test_list_queries_take_relative_dates_at_the_current_time(manager: Caller):
    now = datetime.now(UTC)
    for customer_id, days in (("lapsed", 60), ("recent", 1)):
        body = {"mixins": {"orders": {"lastOrderAt": format_datetime(now - timedelta(days))}}}
        assert manager.put(f"/customer/{TENANT}/customers/{customer_id}", body).status_code == 201

    query = urlencode({"q": 'mixins.orders.lastOrderAt:>="-30d"'})
    response = manager.get(f"/customer/{TENANT}/customers?{query}")

    assert response.status_code == 200, response.json()
    assert [customer["id"] for customer in response.json()] == ["recent"]
