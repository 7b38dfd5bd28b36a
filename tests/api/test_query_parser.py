"""The `q` grammar: tokenizing and parsing into the AST, without a database."""

from __future__ import annotations

import pytest

from segments_project.api.query.parser import (
    AnyOf,
    Compare,
    Condition,
    Exact,
    Exists,
    IsNull,
    Missing,
    Range,
    Regex,
    Value,
    condition_texts,
    parse,
)
from segments_project.api.query.regex import check_pattern
from segments_project.errors import ErrorDetail, ValidationFailed


def parse_one(text: str) -> Condition:
    conditions = parse(text)
    assert len(conditions) == 1
    return conditions[0]


def parse_error(text: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        parse(text)
    return caught.value


# --- exact values -----------------------------------------------------------------------


def test_bare_value_is_an_unquoted_exact_match():
    # given / when
    condition = parse_one("siteCode:main")

    # then
    assert condition == Condition("siteCode", Exact(Value("main", quoted=False)))


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("status:ACTIVE", "status", "ACTIVE"),
        ("published:true", "published", "true"),
        ("mixins.a.b:20", "mixins.a.b", "20"),
        ("name.en:Gold", "name.en", "Gold"),
        ("metadata.createdAt:2021-05-18", "metadata.createdAt", "2021-05-18"),
        ("email:jane.doe+vip@example.com", "email", "jane.doe+vip@example.com"),
        ("name.de:Grüße", "name.de", "Grüße"),
    ],
)
def test_bare_values_keep_their_text(text, field, value):
    # when
    condition = parse_one(text)

    # then
    assert condition == Condition(field, Exact(Value(value)))


def test_quoted_value_may_contain_spaces_and_punctuation():
    # when
    condition = parse_one('name.en:"Gold Club: (VIP) ~ <b>, a=b"')

    # then
    assert condition.expr == Exact(Value("Gold Club: (VIP) ~ <b>, a=b", quoted=True))


def test_quoted_value_unescapes_quotes_and_backslashes():
    # when
    condition = parse_one(r'name.en:"say \"hi\" \\o/"')

    # then
    assert condition.expr == Exact(Value('say "hi" \\o/', quoted=True))


def test_quoted_empty_string_is_a_value():
    # when
    condition = parse_one('siteCode:""')

    # then
    assert condition.expr == Exact(Value("", quoted=True))


def test_quoted_keyword_is_a_plain_value():
    # when
    conditions = parse('a:"null" b:"exists" c:"missing"')

    # then
    assert [c.expr for c in conditions] == [
        Exact(Value("null", quoted=True)),
        Exact(Value("exists", quoted=True)),
        Exact(Value("missing", quoted=True)),
    ]


# --- keywords ---------------------------------------------------------------------------


def test_null_exists_and_missing_are_keywords():
    # when
    conditions = parse("description.en:null mixins.x:exists mixins.y:missing")

    # then
    assert [c.expr for c in conditions] == [IsNull(), Exists(), Missing()]


def test_keywords_are_case_sensitive():
    # when
    condition = parse_one("siteCode:NULL")

    # then
    assert condition.expr == Exact(Value("NULL"))


# --- comparisons and ranges -------------------------------------------------------------


@pytest.mark.parametrize("op", [">", "<", ">=", "<="])
def test_comparison_operators(op):
    # when
    condition = parse_one(f"mixins.a.b:{op}20")

    # then
    assert condition.expr == Compare(op, Value("20"))


def test_comparison_with_quoted_datetime():
    # when
    condition = parse_one('metadata.createdAt:>="2021-05-18T07:27:27.455Z"')

    # then
    assert condition.expr == Compare(">=", Value("2021-05-18T07:27:27.455Z", quoted=True))


def test_range_of_two_bounds():
    # when
    condition = parse_one("metadata.version:(>=10 AND <=20)")

    # then
    assert condition.expr == Range((Compare(">=", Value("10")), Compare("<=", Value("20"))))


def test_range_with_quoted_datetimes():
    # when
    condition = parse_one(
        'metadata.createdAt:(>="2021-05-18T07:27:27.455Z" AND <"2021-05-20T00:00:00Z")'
    )

    # then
    assert condition.expr == Range(
        (
            Compare(">=", Value("2021-05-18T07:27:27.455Z", quoted=True)),
            Compare("<", Value("2021-05-20T00:00:00Z", quoted=True)),
        )
    )


def test_range_accepts_lowercase_and_extra_whitespace():
    # when
    condition = parse_one("metadata.version:(  >1   and\t<5 )")

    # then
    assert condition.expr == Range((Compare(">", Value("1")), Compare("<", Value("5"))))


def test_range_of_one_bound():
    # when
    condition = parse_one("metadata.version:(>1)")

    # then
    assert condition.expr == Range((Compare(">", Value("1")),))


# --- lists ------------------------------------------------------------------------------


def test_any_of_bare_values():
    # when
    condition = parse_one("id:(a,b,c)")

    # then
    assert condition.expr == AnyOf((Value("a"), Value("b"), Value("c")))


def test_any_of_quoted_and_bare_values_with_spaces_around_commas():
    # when
    condition = parse_one('id:( "a b" , c,"d,e" )')

    # then
    assert condition.expr == AnyOf(
        (Value("a b", quoted=True), Value("c"), Value("d,e", quoted=True))
    )


def test_any_of_single_value():
    # when
    condition = parse_one("id:(a)")

    # then
    assert condition.expr == AnyOf((Value("a"),))


# --- regex ------------------------------------------------------------------------------


def test_bare_regex_runs_to_the_next_whitespace():
    # when
    conditions = parse("name.en:~^Gol(d|den)$ siteCode:main")

    # then
    assert conditions == (
        Condition("name.en", Regex("^Gol(d|den)$")),
        Condition("siteCode", Exact(Value("main"))),
    )


def test_parenthesised_regex_may_contain_spaces():
    # when
    condition = parse_one("name.en:~(Gold Club)")

    # then
    assert condition.expr == Regex("Gold Club")


def test_parenthesised_regex_allows_nested_balanced_parens():
    # when
    conditions = parse("name.en:~((Gold|Silver) (Club|Tier)) status:ACTIVE")

    # then
    assert conditions[0].expr == Regex("(Gold|Silver) (Club|Tier)")
    assert conditions[1].field == "status"


def test_escaped_parens_and_brackets_do_not_count_for_nesting():
    # when
    condition = parse_one(r"name.en:~(a\) [(] b)")

    # then
    assert condition.expr == Regex(r"a\) [(] b")


def test_regex_runs_to_whitespace_outside_groups_and_brackets():
    # when
    conditions = parse(r"a:~Gold( Club)? b:~[x y]z c:~a\ b d:~(Gold|Silver)Club e:~(a)(b)")

    # then
    assert [c.expr for c in conditions] == [
        Regex("Gold( Club)?"),
        Regex("[x y]z"),
        Regex("a\\ b"),
        Regex("(Gold|Silver)Club"),
        Regex("(a)(b)"),
    ]


def test_regex_position_points_at_the_pattern():
    # when
    bare = parse_one("name.en:~Gold")
    wrapped = parse_one("name.en:~(Gold)")

    # then
    assert bare.expr.pos == 10
    assert wrapped.expr.pos == 11


# --- whitespace and structure -----------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "  \t\n  ", "\r\n"])
def test_blank_query_has_no_conditions(text):
    # when / then
    assert parse(text) == ()


def test_conditions_are_separated_by_any_whitespace_run():
    # when
    conditions = parse('  siteCode:main\t status:ACTIVE\n\nname.en:"Gold Club"  ')

    # then
    assert [c.field for c in conditions] == ["siteCode", "status", "name.en"]


def test_positions_are_one_based():
    # when
    conditions = parse('siteCode:main  name.en:"x"')

    # then
    assert [c.pos for c in conditions] == [1, 16]
    assert conditions[1].expr.value.pos == 24


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("siteCode", 9, "expected ':' after field name 'siteCode'"),
        ("siteCode: main", 10, "a value after ':'"),
        ("siteCode:", 10, "a value after ':'"),
        (":main", 1, "expected a field name"),
        ('name.en:"Gold', 9, "quoted value is not closed"),
        (r'name.en:"a\nb"', 11, "unsupported escape"),
        ("name.en:~(Gold", 10, "'(' in regex is not closed"),
        ("name.en:~Go(l(d) x:1", 12, "'(' in regex is not closed"),
        ("name.en:~[a b", 10, "'[' in regex is not closed"),
        ("name.en:~", 10, "empty regex"),
        ("name.en:~()", 11, "empty regex"),
        ("version:=5", 9, "unexpected '='"),
        ("version:(>=1 <=5)", 14, "expected 'AND' or ')'"),
        ("version:(>=1 AND 5)", 18, "a comparison"),
        ("version:(>=1 AND <=5", 21, "expected 'AND' or ')'"),
        ("id:()", 5, "a value or a comparison"),
        ("id:(a,)", 7, "a value after ','"),
        ("id:(a b)", 7, "expected ')'"),
        ("id:(a,b", 8, "expected ')'"),
        ("a:1b:2", 5, "quote values that contain ':'"),
        ('a:1"x"', 4, "whitespace between conditions"),
        ("a:(x)y", 6, "whitespace between conditions"),
        ("a:>", 4, "a value after '>'"),
        (r"a:b\c", 4, "backslashes are only allowed inside double quotes"),
        ("a:b\x00c", 4, "control character U+0000"),
        ("a:b)", 4, "whitespace between conditions"),
    ],
)
def test_syntax_errors_name_what_and_where(text, position, fragment):
    # when
    error = parse_error(text)

    # then
    assert f"at position {position}:" in error.message
    assert fragment in error.message
    assert error.details == [ErrorDetail(field="q", type="invalid", message=error.message)]


# --- portable regex subset --------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "Gold",
        "Gold Club",
        "^G.*d$",
        "(ab)+c",
        "(?:ab)*?x",
        "[a-z]{2,3}",
        "[^0-9]",
        r"[\]\-a-]",
        "-[-a]",
        "a|b|c",
        r"x\.y\(\)\\",
        "a{0}b{3,}c{1,255}",
        "a*b+c?d{1,}e{1,2}f{3}g{4,4}",
        "Grü(ß|ss)e",
    ],
)
def test_portable_patterns_are_accepted(pattern):
    # when
    checked = check_pattern(pattern, 1)

    # then
    assert checked.postgresql == pattern
    assert checked.python.startswith("(?s)")


def test_dollar_means_end_of_text_for_python_too():
    # when
    checked = check_pattern("a$|b", 1)

    # then
    assert checked.python == r"(?s)a\Z|b"


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        (r"\d+", "escape '\\d' is not supported"),
        (r"(a)\1", "escape '\\1' is not supported"),
        (r"a\Z", "escape '\\Z' is not supported"),
        ("(?=a)", "only '(?:' is supported"),
        ("(?<=a)b", "only '(?:' is supported"),
        ("(?P<x>a)", "only '(?:' is supported"),
        ("(?<x>a)", "only '(?:' is supported"),
        ("(?i)a", "only '(?:' is supported"),
        ("***=a", "nothing to repeat"),
        ("a**", "nothing to repeat"),
        ("a*+", "nothing to repeat"),
        ("a???", "'?' may follow a quantifier only once"),
        ("^*", "nothing to repeat"),
        ("(a+)+", "a repeated group may not contain repetition"),
        ("(a|b)*", "a repeated group may not contain repetition"),
        ("[[:alpha:]]", "'[' inside a bracket expression must be escaped"),
        ("[]a]", "empty bracket expression"),
        ("[a-z-0]", "'-' must be escaped"),
        ("[z-a]", "range in brackets goes backwards"),
        ("[a&&b]", "'&&' inside a bracket expression must be escaped"),
        ("[abc", "bracket expression is not closed"),
        ("a{256}", "repetition counts may not exceed 255"),
        ("a{3,2}", "needs m <= n"),
        ("a{,2}", "'{' must start a bound"),
        ("a{x}", "'{' must start a bound"),
        ("a}", "'}' must be escaped"),
        ("a]", "']' must be escaped"),
        ("a|", "empty alternative"),
        ("()", "empty alternative"),
        ("(a", "group is not closed"),
        ("a)", "unbalanced ')'"),
        ("a\\", "lone backslash"),
        ("x" * 201, "longer than 200"),
        ("(" * 11 + "a" + ")" * 11, "deeper than 10"),
        ("[a-z]{255}" * 10, "repeats too much"),
        ("a*b+c?d{1,}e{1,2}f*", "at most 5 variable repetitions"),
    ],
)
def test_unportable_patterns_are_refused(pattern, fragment):
    # when
    with pytest.raises(ValidationFailed) as caught:
        check_pattern(pattern, 5)

    # then
    assert fragment in caught.value.message
    assert caught.value.details[0].field == "q"


def test_condition_texts_give_each_top_level_condition_as_written():
    text = ' addresses.country:DE\tmixins.a.b:(>=1 AND <"-30d")  name:"x y" tags:(a, b) '

    assert condition_texts(text) == (
        ("addresses.country", "addresses.country:DE"),
        ("mixins.a.b", 'mixins.a.b:(>=1 AND <"-30d")'),
        ("name", 'name:"x y"'),
        ("tags", "tags:(a, b)"),
    )
    assert condition_texts("  ") == ()
    with pytest.raises(ValidationFailed):
        condition_texts("a:")
