"""Property tests: no input makes the query language fail with anything but ValidationFailed.

The database variants also run what was compiled, so a filter PostgreSQL or SQLite would
reject (a bad cast, a regex the engine does not know) shows up as an error here.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.db.models import Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segments.models import Segment
from segments_project.api.query import FieldKind, FieldSpec, compile_query, compile_sort
from segments_project.api.query.regex import check_pattern
from segments_project.errors import ValidationFailed
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
    "metadata.modifiedAt": FieldSpec("modified_at", FieldKind.DATETIME),
    # An array of objects: one row's `mixins` is one, the others' are objects; the compiled
    # filter must run either way.
    "things": FieldSpec(
        "mixins", FieldKind.OBJECTS, sortable=False, members=("a", "tags"), list_members=("tags",)
    ),
}

GRAMMAR_ALPHABET = list(':()~,"\\ ><=.-_') + list("aAzZ019") + ["é", "\x00", "\t", "\u2028", "𝄞"]

FIELD_NAMES = st.sampled_from(
    [
        *FIELDS,
        "name.en",
        "name.de",
        "description.en",
        "mixins.tier",
        "mixins.flag",
        "mixins.text",
        "mixins.nested.level",
        "mixins.a-b_c",
        "metadata.mixins.loyalty",
        "unknown",
        "mixins.0",
        "things",
        "things.a",
        "things.tags",
        "things.b",
    ]
)
TEXT_FIELD_NAMES = st.sampled_from(
    [
        *("id", "siteCode", "name.en", "name.de", "description.en", "metadata.mixins.loyalty"),
        *("mixins.tier", "mixins.flag", "mixins.text", "mixins.nested.level", "mixins.a-b_c"),
        *("things.a", "things.tags"),
    ]
)
PRINTABLE = st.characters(exclude_categories=("Cc", "Cs"))
BARE_TEXT = st.text(
    alphabet=st.characters(
        exclude_categories=("Cc", "Cs"), exclude_characters=':()~,"\\<>= \t\r\n'
    ),
    min_size=1,
    max_size=12,
)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["1e400", "-0", "1E-400", "0.1", "20", "1.5"]),
)
DATES = st.one_of(
    st.datetimes().map(lambda moment: moment.date().isoformat()),
    st.datetimes(timezones=st.none() | st.just(UTC)).map(lambda moment: f'"{moment.isoformat()}"'),
    st.sampled_from(['"0001-01-01T00:00:00+01:00"', '"9999-12-31T23:59:59-01:00"', "2021-02-30"]),
)


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


BARE_VALUES = st.one_of(
    BARE_TEXT,
    NUMBERS,
    st.sampled_from(["true", "FALSE", "null", "exists", "missing", "ACTIVE", "INACTIVE"]),
)
QUOTED_VALUES = st.one_of(st.text(PRINTABLE, max_size=12), st.text(max_size=6)).map(quoted)
VALUES = BARE_VALUES | QUOTED_VALUES
OPS = st.sampled_from([">", "<", ">=", "<="])

REGEX_ATOMS = st.one_of(
    st.sampled_from([*"abAB01 é-\n", ".", r"\.", r"\(", r"\\", r"\$", r"\ "]),
    st.sampled_from(["[ab]", "[^a]", "[a-c]", "[-a]", r"[\]x]", "[0-9 ]"]),
)


@st.composite
def regex_patterns(draw) -> str:
    """Patterns mostly inside the portable subset, sometimes just outside it."""
    pieces: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        atom = draw(REGEX_ATOMS)
        if draw(st.booleans()):
            atom = "(" + "".join(draw(st.lists(REGEX_ATOMS, min_size=1, max_size=3))) + ")"
        quantifier = draw(st.sampled_from(["", "", "*", "+", "?", "*?", "{2}", "{1,3}", "{0,}"]))
        pieces.append(atom + quantifier)
        if draw(st.integers(min_value=0, max_value=5)) == 0:
            pieces.append("|")
    pattern = "".join(pieces).strip("|").replace("||", "|") or "a"
    if draw(st.booleans()):
        pattern = "^" + pattern
    if draw(st.booleans()):
        pattern += "$"
    return pattern


def expressions(values: st.SearchStrategy[str], *, ordered: bool = True) -> st.SearchStrategy[str]:
    """Right-hand sides of `field:` in every form of the grammar, with the given values."""
    forms = [
        values,
        st.sampled_from(["null", "exists", "missing"]),
        st.lists(values, min_size=1, max_size=4).map(lambda items: f"({','.join(items)})"),
        st.builds("~({})".format, regex_patterns()),
        regex_patterns().map(lambda pattern: "~" + re.sub(r"\s", "", pattern)),
    ]
    if ordered:
        bound = st.builds(str.__add__, OPS, values)
        forms.append(bound)
        forms.append(
            st.lists(bound, min_size=1, max_size=3).map(lambda items: f"({' AND '.join(items)})")
        )
    return st.one_of(forms)


CONDITIONS = st.one_of(
    st.tuples(TEXT_FIELD_NAMES, expressions(VALUES)),
    st.tuples(
        st.just("status"), expressions(st.sampled_from(["ACTIVE", "INACTIVE"]), ordered=False)
    ),
    st.tuples(st.just("metadata.version"), expressions(st.integers(-5, 30).map(str) | NUMBERS)),
    st.tuples(st.sampled_from(["validity.from", "metadata.createdAt"]), expressions(DATES)),
    st.tuples(FIELD_NAMES, expressions(VALUES)),
)


@st.composite
def near_valid_queries(draw) -> str:
    """Queries built from the grammar, sometimes with one character inserted or dropped."""
    conditions = draw(st.lists(CONDITIONS, min_size=1, max_size=4))
    query = " ".join(f"{field}:{expr}" for field, expr in conditions)
    mutation = draw(st.integers(min_value=0, max_value=5))
    index = draw(st.integers(min_value=0, max_value=len(query) - 1))
    if mutation == 1:
        query = query[:index] + query[index + 1 :]
    elif mutation == 2:
        query = query[:index] + draw(st.sampled_from(GRAMMAR_ALPHABET)) + query[index:]
    return query


ANY_QUERY = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(GRAMMAR_ALPHABET), max_size=80),
    near_valid_queries(),
)
ANY_SORT = st.one_of(
    st.text(max_size=60),
    st.lists(
        st.tuples(FIELD_NAMES, st.sampled_from(["", ":asc", ":DESC", ":up", ":"])),
        max_size=4,
    ).map(lambda items: ",".join(name + direction for name, direction in items)),
)


def compile_or_reject(text: str) -> Q | None:
    try:
        return compile_query(text, FIELDS)
    except ValidationFailed as error:
        assert error.details and error.details[0].field == "q"
        assert "at position" in error.message
        return None


# --- without a database -----------------------------------------------------------------


@settings(max_examples=1000, deadline=None)
@given(ANY_QUERY)
def test_any_text_compiles_or_is_rejected(text):
    # when / then: any other exception type fails the test
    result = compile_or_reject(text)
    assert result is None or isinstance(result, Q)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(GRAMMAR_ALPHABET), min_size=1900, max_size=2100))
def test_long_adversarial_text_compiles_or_is_rejected(text):
    # when / then
    result = compile_or_reject(text)
    assert result is None or isinstance(result, Q)


@settings(max_examples=500, deadline=None)
@given(ANY_SORT)
def test_any_sort_compiles_or_is_rejected(text):
    # when
    try:
        orderings = compile_sort(text, FIELDS)
    except ValidationFailed as error:
        # then
        assert error.details[0].field == "sort"
        return
    assert isinstance(orderings, list)


# --- on the configured database ---------------------------------------------------------


@pytest.fixture
def segments(db):
    tenant = Tenant.objects.create(name="acme")
    moment = datetime(2021, 5, 18, 7, 27, 27, 455000, tzinfo=UTC)
    documents = [
        {"tier": 1, "flag": True, "text": "a\nb", "nested": {"level": 5}},
        {"tier": "20", "flag": "true", "text": "", "nested": {"level": [1, 2]}},
        {"tier": 1e300, "flag": None, "text": "é 𝄞", "nested": "flat", "a-b_c": -0.5},
        {"tier": [1, "x"], "flag": {"x": 1}, "text": "(a)", "nested": None},
        {},
        # For `things` (an array of objects, of odd ones too).
        [{"a": 1, "tags": ["x", 2, None, True]}, "s", {"a": {"b": 1}, "tags": "t"}, [], None],
    ]
    for index, mixins in enumerate(documents):
        Segment.objects.create(
            tenant=tenant,
            public_id=f"s{index}",
            name={"en": f"Name {index}", "de": 12} if index % 2 else {"en": None},
            description={"en": "x\n"} if index % 2 else {},
            status="ACTIVE" if index % 2 else "INACTIVE",
            site_code=f"site{index}",
            mixins=mixins,
            metadata_mixins={"loyalty": "https://example.com/x.json"} if index else {},
            version=index,
            created_at=moment,
            modified_at=moment,
            valid_from=moment if index % 2 else None,
        )


@pytest.mark.django_db
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=ANY_QUERY, sort=ANY_SORT)
def test_compiled_filters_and_sorts_run_on_the_database(segments, text, sort):
    # given
    query = compile_or_reject(text)
    try:
        orderings = compile_sort(sort, FIELDS)
    except ValidationFailed:
        orderings = []

    # when / then: the database accepts whatever was compiled
    if query is not None:
        with transaction.atomic():
            rows = list(Segment.objects.filter(query).order_by(*orderings, "public_id"))
        assert len(rows) <= 6


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="compares PostgreSQL's regex engine with Python's"
)
@pytest.mark.django_db
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pattern=regex_patterns() | st.text(alphabet=string.printable, max_size=10),
    texts=st.lists(st.text(alphabet="abAB01 é-\n.()$\\", max_size=12), min_size=1, max_size=5),
)
def test_checked_regexes_match_alike_in_postgresql_and_python(db, pattern, texts):
    # given
    try:
        checked = check_pattern(pattern, 1)
    except ValidationFailed:
        return

    # when
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT t ~ %s FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
            [checked.postgresql, texts],
        )
        in_postgresql = [row[0] for row in cursor.fetchall()]

    # then
    in_python = [re.search(checked.python, text) is not None for text in texts]
    assert in_postgresql == in_python
