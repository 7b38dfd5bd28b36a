"""`compile_query` and `compile_sort` on the database: the same rows on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db.models import Q

from segments.models import Segment
from segments_project.api.query import (
    MAX_QUERY_LENGTH,
    FieldKind,
    FieldSpec,
    compile_query,
    compile_sort,
)
from segments_project.errors import ErrorDetail, ValidationFailed
from segments_project.tenancy.models import Tenant

FIELDS = {
    "id": FieldSpec("public_id", FieldKind.STRING),
    "siteCode": FieldSpec("site_code", FieldKind.STRING),
    "status": FieldSpec("status", FieldKind.ENUM, choices=("ACTIVE", "INACTIVE")),
    "name": FieldSpec("name", FieldKind.LOCALIZED),
    "description": FieldSpec("description", FieldKind.LOCALIZED),
    "validity.from": FieldSpec("valid_from", FieldKind.DATETIME),
    "validity.to": FieldSpec("valid_to", FieldKind.DATETIME),
    "mixins": FieldSpec("mixins", FieldKind.JSON),
    "metadata.mixins": FieldSpec("metadata_mixins", FieldKind.JSON),
    "metadata.version": FieldSpec("version", FieldKind.INTEGER),
    "metadata.createdAt": FieldSpec("created_at", FieldKind.DATETIME),
    "metadata.modifiedAt": FieldSpec("modified_at", FieldKind.DATETIME, sortable=False),
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


ROWS = [
    {
        "public_id": "s1",
        "name": {"en": "Gold", "de": "Gold"},
        "description": {"en": "Top tier\n"},
        "site_code": "main",
        "status": "ACTIVE",
        "mixins": {"tier": 1, "region": "north", "flag": True, "nested": {"level": 5}},
        "metadata_mixins": {"loyalty": "https://example.com/loyalty.json"},
        "version": 1,
        "created_at": at("2021-05-18T07:27:27.455"),
        "valid_from": at("2024-01-01T00:00:00"),
    },
    {
        "public_id": "s2",
        "name": {"en": "Silver"},
        "description": {"en": None},
        "site_code": "main",
        "status": "INACTIVE",
        "mixins": {"tier": "20", "region": "south", "flag": "true"},
        "version": 3,
        "created_at": at("2021-05-19T00:00:00"),
    },
    {
        "public_id": "s3",
        "name": {"en": "Gold Club", "de": "Goldklub"},
        "site_code": "b2b",
        "status": "ACTIVE",
        "mixins": {"tier": 20, "flag": False, "code": "a b", "nested": {"level": "5"}},
        "version": 10,
        "created_at": at("2021-05-20T00:00:00"),
        "valid_from": at("2024-06-01T00:00:00"),
        "valid_to": at("2024-12-31T00:00:00"),
    },
    {
        "public_id": "s4",
        "name": {"en": "bronze (old)"},
        "description": {"en": "Line1\nLine2"},
        "site_code": "b2b",
        "status": "INACTIVE",
        "mixins": {"tier": 1.5, "flag": 1, "list": ["x"], "empty": None},
        "version": 20,
        "created_at": at("2021-06-01T00:00:00"),
    },
    {
        "public_id": "s5",
        "name": {"en": "Zebra"},
        "site_code": "main",
        "status": "ACTIVE",
        "mixins": {"tier": True, "region": "North"},
        "version": 2,
        "created_at": at("2022-01-01T00:00:00"),
        "valid_from": at("2023-01-01T00:00:00"),
    },
]


@pytest.fixture
def segments(db):
    tenant = Tenant.objects.create(name="acme")
    for row in ROWS:
        Segment.objects.create(tenant=tenant, modified_at=row["created_at"], **row)


def matching(q: str | None) -> list[str]:
    query = compile_query(q, FIELDS)
    return sorted(Segment.objects.filter(query).values_list("public_id", flat=True))


def rejection(q: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        compile_query(q, FIELDS)
    return caught.value


CASES = [
    # exact matches on plain columns
    ("siteCode:main", ["s1", "s2", "s5"]),
    ('siteCode:"b2b"', ["s3", "s4"]),
    ("status:ACTIVE", ["s1", "s3", "s5"]),
    ("status:ACTIVE siteCode:b2b", ["s3"]),
    ("id:s3", ["s3"]),
    ("metadata.version:10", ["s3"]),
    # localized fields
    ("name.en:Gold", ["s1"]),
    ('name.en:"Gold Club"', ["s3"]),
    ("name.de:Goldklub", ["s3"]),
    ("name.de:Gold", ["s1"]),
    # comparisons and ranges
    ("metadata.version:>3", ["s3", "s4"]),
    ("metadata.version:>=3", ["s2", "s3", "s4"]),
    ("metadata.version:<2", ["s1"]),
    ("metadata.version:<=2", ["s1", "s5"]),
    ("metadata.version:(>=2 AND <=10)", ["s2", "s3", "s5"]),
    (
        'metadata.createdAt:(>="2021-05-18T07:27:27.455Z" AND <"2021-05-20T00:00:00Z")',
        ["s1", "s2"],
    ),
    ('metadata.createdAt:>"2021-05-18T07:27:27.455Z"', ["s2", "s3", "s4", "s5"]),
    ("metadata.createdAt:<2021-05-20", ["s1", "s2"]),
    ('metadata.createdAt:"2021-05-19T00:00:00"', ["s2"]),
    ('metadata.createdAt:"2021-05-19T02:00:00+02:00"', ["s2"]),
    ("validity.from:<2024-02-01", ["s1", "s5"]),
    ("siteCode:>b2b", ["s1", "s2", "s5"]),
    ("name.en:>=S", ["s2", "s4", "s5"]),
    ("name.en:(>G AND <H)", ["s1", "s3"]),
    # lists
    ("id:(s1,s4)", ["s1", "s4"]),
    ('id:("s1","s9")', ["s1"]),
    ("status:(ACTIVE,INACTIVE)", ["s1", "s2", "s3", "s4", "s5"]),
    ('name.en:(Silver,"Gold Club",Nope)', ["s2", "s3"]),
    ("metadata.version:(1,20)", ["s1", "s4"]),
    # null, exists, missing
    ("validity.from:null", ["s2", "s4"]),
    ("validity.from:missing", ["s2", "s4"]),
    ("validity.from:exists", ["s1", "s3", "s5"]),
    ("validity.to:exists", ["s3"]),
    ("description.en:null", ["s2", "s3", "s5"]),
    ("description.en:exists", ["s1", "s2", "s4"]),
    ("description.en:missing", ["s3", "s5"]),
    ('description.en:"null"', []),
    ("name.de:exists", ["s1", "s3"]),
    ("mixins.empty:exists", ["s4"]),
    ("mixins.empty:null", ["s1", "s2", "s3", "s4", "s5"]),
    ("mixins.empty:missing", ["s1", "s2", "s3", "s5"]),
    ("mixins.nested.level:exists", ["s1", "s3"]),
    ("mixins.list.x:exists", []),
    ("metadata.mixins.loyalty:exists", ["s1"]),
    # regex
    ("name.en:~Gold", ["s1", "s3"]),
    ("name.en:~(Gold Club)", ["s3"]),
    (r"name.en:~Gold\ Club", ["s3"]),
    ("name.en:~Gold( Club)?$", ["s1", "s3"]),
    ("name.en:~(Gold|Silver)$", ["s1", "s2"]),
    ("name.en:~^G.*b$", ["s3"]),
    (r"name.en:~(\(old\))", ["s4"]),
    ("name.en:~((Gold|Zeb)(ra)?)", ["s1", "s3", "s5"]),
    ("name.en:~gold", []),
    ("name.en:~^[bz]", ["s4"]),
    ("description.en:~(Line1.Line2)", ["s4"]),
    ("description.en:~tier$", []),
    ("description.en:~(^Top)", ["s1"]),
    ("status:~^IN", ["s2", "s4"]),
    ("siteCode:~^b2", ["s3", "s4"]),
    ("mixins.region:~^[Nn]orth$", ["s1", "s5"]),
    ("mixins.tier:~2", ["s2"]),
    ("mixins.code:~(a b)", ["s3"]),
    # JSON: bare values match numbers/booleans and strings, quoted ones only strings
    ("mixins.tier:20", ["s2", "s3"]),
    ('mixins.tier:"20"', ["s2"]),
    ("mixins.tier:20.0", ["s3"]),
    ("mixins.tier:1", ["s1"]),
    ("mixins.tier:1.5", ["s4"]),
    ("mixins.tier:1.50", ["s4"]),
    ("mixins.tier:15e-1", ["s4"]),
    ("mixins.tier:true", ["s5"]),
    ("mixins.flag:1", ["s4"]),
    ("mixins.flag:true", ["s1", "s2"]),
    ("mixins.flag:TRUE", ["s1"]),
    ('mixins.flag:"true"', ["s2"]),
    ("mixins.flag:false", ["s3"]),
    ("mixins.nested.level:5", ["s1", "s3"]),
    ('mixins.nested.level:"5"', ["s3"]),
    ("mixins.region:north", ["s1"]),
    ('mixins.tier:(1,20,"3",true)', ["s1", "s2", "s3", "s5"]),
    ("mixins.tier:>1", ["s3", "s4"]),
    ("mixins.tier:>=1", ["s1", "s3", "s4"]),
    ("mixins.tier:(>1 AND <20)", ["s4"]),
    ('mixins.tier:>"2"', ["s2"]),
    ("mixins.region:>n", ["s1", "s2"]),
    ("mixins.region:<n", ["s5"]),
    ("mixins.nope:1", []),
    ("metadata.mixins.loyalty:~example", ["s1"]),
    # several conditions of every kind
    ("siteCode:main mixins.tier:(>=1 AND <=20) name.en:~^[GS]", ["s1"]),
]


@pytest.mark.parametrize(("q", "expected"), CASES, ids=[case[0] for case in CASES])
def test_query_selects_the_same_rows_on_every_database(segments, q, expected):
    # when
    found = matching(q)

    # then
    assert found == expected


@pytest.mark.parametrize("q", [None, "", "   ", "\t\n"])
def test_blank_query_filters_nothing(segments, q):
    # when
    query = compile_query(q, FIELDS)

    # then
    assert query == Q()
    assert matching(q) == ["s1", "s2", "s3", "s4", "s5"]


@pytest.mark.parametrize(
    ("q", "fragment"),
    [
        ("nope:1", "unknown field 'nope'; allowed fields are id, siteCode, status, name.<key>"),
        ("name:Gold", "'name' is localized: name one language, e.g. 'name.en'"),
        ("name.en.x:Gold", "'name' is localized"),
        ("mixins:1", "'mixins' needs a key path"),
        ("mixins.a..b:1", "invalid key '' in field 'mixins.a..b'"),
        ("mixins.a$b:1", "invalid key 'a$b'"),
        ("mixins.0:1", "invalid key '0'"),
        ("status:active", "'active' is not valid for 'status': expected one of ACTIVE, INACTIVE"),
        ("status:(ACTIVE,GONE)", "'GONE' is not valid for 'status'"),
        ("metadata.createdAt:yesterday", "expected an ISO 8601 date-time"),
        ('metadata.createdAt:"2021-02-30T00:00:00Z"', "expected an ISO 8601 date-time"),
        ('metadata.createdAt:"0001-01-01T00:00:00+01:00"', "expected an ISO 8601 date-time"),
        ("metadata.version:1.5", "'1.5' is not valid for 'metadata.version': expected an integer"),
        ("metadata.version:>x", "expected an integer"),
        ("metadata.version:99999999999999999999", "expected an integer"),
        ("status:>ACTIVE", "'status' is enum: comparisons and ranges are not supported"),
        ("metadata.version:~1", "'metadata.version' is integer: regex matching is not supported"),
        ("metadata.createdAt:~2021", "regex matching is not supported"),
        ("name.en:~(\\d+)", "escape '\\d' is not supported"),
        ("name.en:~((?<x>a))", "only '(?:' is supported"),
        ("name.en:~(?i)a", "only '(?:' is supported"),
        ("siteCode:main siteCode", "expected ':' after field name 'siteCode'"),
    ],
)
def test_invalid_queries_are_rejected_with_a_reason(q, fragment):
    # when
    error = rejection(q)

    # then
    assert fragment in error.message
    assert error.details == [ErrorDetail(field="q", type="invalid", message=error.message)]


def test_errors_name_the_position_of_the_offending_part():
    # when
    unknown = rejection("siteCode:main nope:1")
    bad_value = rejection("siteCode:main metadata.version:abc")
    bad_regex = rejection("name.en:~(ab\\w)")

    # then
    assert "at position 15:" in unknown.message
    assert "at position 32:" in bad_value.message
    assert "at position 13:" in bad_regex.message


def test_query_longer_than_the_maximum_is_rejected():
    # given
    q = "siteCode:" + "x" * MAX_QUERY_LENGTH

    # when
    error = rejection(q)

    # then
    assert f"the maximum is {MAX_QUERY_LENGTH}" in error.message


def test_query_of_maximum_length_runs(segments):
    # given
    condition = "mixins.tier:(>=1 AND <=20) "
    conditions = (condition * (MAX_QUERY_LENGTH // len(condition))).strip()
    values = "id:(" + ",".join(["s1"] * ((MAX_QUERY_LENGTH - 5) // 3)) + ")"

    # when / then
    assert len(conditions) <= MAX_QUERY_LENGTH
    assert len(values) <= MAX_QUERY_LENGTH
    assert matching(conditions) == ["s1", "s3", "s4"]
    assert matching(values) == ["s1"]


def test_long_json_value_lists_run(segments):
    # given
    members = ["20", '"x"', "true"]
    q = "mixins.tier:(20"
    count = 0
    while len(q) + 6 < MAX_QUERY_LENGTH:
        count += 1
        q += "," + members[count % 3]
    q += ")"

    # when / then
    assert matching(q) == ["s2", "s3", "s5"]


# --- sort -------------------------------------------------------------------------------


def ordered(sort: str, q: str | None = None) -> list[str]:
    orderings = compile_sort(sort, FIELDS)
    queryset = Segment.objects.filter(compile_query(q, FIELDS))
    return list(queryset.order_by(*orderings, "public_id").values_list("public_id", flat=True))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("metadata.version", ["s1", "s5", "s2", "s3", "s4"]),
        ("metadata.version:desc", ["s4", "s3", "s2", "s5", "s1"]),
        ("metadata.version:DESC", ["s4", "s3", "s2", "s5", "s1"]),
        ("siteCode:asc,metadata.version:desc", ["s4", "s3", "s2", "s5", "s1"]),
        (" siteCode , id:desc ", ["s4", "s3", "s5", "s2", "s1"]),
        ("name.en", ["s1", "s3", "s2", "s5", "s4"]),
        ("name.en:desc", ["s4", "s5", "s2", "s3", "s1"]),
        ("name.de", ["s1", "s3", "s2", "s4", "s5"]),
        ("name.de:desc", ["s2", "s4", "s5", "s3", "s1"]),
        ("validity.from", ["s5", "s1", "s3", "s2", "s4"]),
        ("validity.from:desc", ["s2", "s4", "s3", "s1", "s5"]),
        ("status:desc,id", ["s2", "s4", "s1", "s3", "s5"]),
    ],
)
def test_sort_orders_the_same_on_every_database(segments, sort, expected):
    # when
    found = ordered(sort)

    # then
    assert found == expected


@pytest.mark.parametrize("sort", [None, "", "  "])
def test_blank_sort_orders_nothing(sort):
    # when / then
    assert compile_sort(sort, FIELDS) == []


@pytest.mark.parametrize(
    ("sort", "fragment"),
    [
        ("nope", "unknown field 'nope'"),
        ("metadata.modifiedAt", "cannot sort by 'metadata.modifiedAt'"),
        ("mixins.tier", "cannot sort by 'mixins.tier'"),
        ("name", "'name' is localized"),
        ("id:up", "sort direction must be 'asc' or 'desc', not 'up'"),
        ("id:", "sort direction must be 'asc' or 'desc', not ''"),
        ("id,,status", "position 4: empty sort item"),
        ("id,", "position 4: empty sort item"),
        ("id,id:desc", "'id' is sorted by twice"),
        ("x" * (MAX_QUERY_LENGTH + 1), "the maximum is"),
    ],
)
def test_invalid_sorts_are_rejected_with_a_reason(sort, fragment):
    # when
    with pytest.raises(ValidationFailed) as caught:
        compile_sort(sort, FIELDS)

    # then
    assert fragment in caught.value.message
    assert caught.value.details == [
        ErrorDetail(field="sort", type="invalid", message=caught.value.message)
    ]


# --- kinds the segment model has no column for --------------------------------------------

OTHER_FIELDS = {
    "published": FieldSpec("published", FieldKind.BOOLEAN),
    "price": FieldSpec("price", FieldKind.NUMBER),
}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("published:TRUE", Q(published=True)),
        ("published:false", Q(published=False)),
        ("published:(true,False)", Q(published__in=[True, False])),
        ("price:>=9.99", Q(price__gte=Decimal("9.99"))),
        ("price:(>1e2 AND <-0.5)", Q(Q(price__gt=Decimal("1e2")), Q(price__lt=Decimal("-0.5")))),
    ],
)
def test_boolean_and_number_values_are_converted(q, expected):
    # when / then
    assert compile_query(q, OTHER_FIELDS) == Q(expected)


@pytest.mark.parametrize(
    ("q", "fragment"),
    [
        ("published:yes", "expected true or false"),
        ("published:>true", "'published' is boolean: comparisons and ranges are not supported"),
        ("published:~t", "regex matching is not supported"),
        ("price:1;5", "expected a number"),
        ("price:NaN", "expected a number"),
        ("price:1e999", "expected a number"),
        ("price:~1", "'price' is number: regex matching is not supported"),
    ],
)
def test_bad_boolean_and_number_values_are_rejected(q, fragment):
    # when
    with pytest.raises(ValidationFailed) as caught:
        compile_query(q, OTHER_FIELDS)

    # then
    assert fragment in caught.value.message
