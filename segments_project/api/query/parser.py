"""AST and recursive descent parser for the `q` query language.

Grammar (WS is a run of spaces, tabs or newlines; positions are 1-based)::

    query     := WS? [ condition (WS condition)* ] WS? EOF
    condition := WORD ':' expr
    expr      := REGEX                          -- '~pattern' or '~(pattern)'
               | OP value                       -- '>', '<', '>=', '<='
               | '(' WS? group WS? ')'
               | value                          -- bare null/exists/missing are keywords
    group     := OP value (WS 'AND' WS? OP value)*       -- a range
               | value (WS? ',' WS? value)*              -- any of these values
    value     := WORD | STRING

`AND` is case-insensitive; keywords (`null`, `exists`, `missing`) are lowercase and only
count when not quoted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from segments_project.errors import ValidationFailed

from .lexer import Token, TokenKind, syntax_error, tokenize


@dataclass(frozen=True)
class Value:
    """A literal as written; `quoted` tells `"20"` from `20`."""

    text: str
    quoted: bool = False
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Exact:
    value: Value


@dataclass(frozen=True)
class Compare:
    op: str  # one of ">", "<", ">=", "<="
    value: Value


@dataclass(frozen=True)
class Range:
    bounds: tuple[Compare, ...]


@dataclass(frozen=True)
class AnyOf:
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Regex:
    pattern: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class IsNull:
    pass


@dataclass(frozen=True)
class Exists:
    pass


@dataclass(frozen=True)
class Missing:
    pass


Expr = Exact | Compare | Range | AnyOf | Regex | IsNull | Exists | Missing


@dataclass(frozen=True)
class Condition:
    field: str
    expr: Expr
    pos: int = field(default=0, compare=False)


_KEYWORDS: dict[str, Expr] = {"null": IsNull(), "exists": Exists(), "missing": Missing()}


def parse(text: str) -> tuple[Condition, ...]:
    """Parse `text` into its conditions, in order; blank text gives none.

    Raises ValidationFailed, naming the position, for any text outside the grammar.
    """
    return _Parser(tokenize(text)).query()


def condition_texts(text: str) -> tuple[tuple[str, str], ...]:
    """Each top-level condition of `text` as (field name, its text as written), in order,
    so that each may be compiled and explained on its own; blank text gives none.

    Raises ValidationFailed, as `parse` does, for text outside the grammar.
    """
    conditions = parse(text)
    if not conditions:
        return ()
    # A condition runs from its field name to the next one (positions are 1-based).
    starts = [condition.pos - 1 for condition in conditions]
    ends = [*starts[1:], len(text)]
    return tuple(
        (condition.field, text[start:end].strip())
        for condition, start, end in zip(conditions, starts, ends, strict=True)
    )


def _describe(token: Token) -> str:
    if token.kind in (TokenKind.EOF, TokenKind.WS):
        return token.kind.value
    return f"{token.kind.value} '{token.text}'"


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def _advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not TokenKind.EOF:
            self.index += 1
        return token

    def _skip_ws(self) -> None:
        if self.current.kind is TokenKind.WS:
            self._advance()

    def _fail(self, expected: str, token: Token | None = None) -> ValidationFailed:
        token = token or self.current
        hint = ""
        if token.kind is TokenKind.COLON:
            hint = "; quote values that contain ':'"
        return syntax_error(f"expected {expected}, found {_describe(token)}{hint}", token.pos)

    def query(self) -> tuple[Condition, ...]:
        conditions: list[Condition] = []
        self._skip_ws()
        while self.current.kind is not TokenKind.EOF:
            conditions.append(self._condition())
            if self.current.kind is TokenKind.WS:
                self._advance()
            elif self.current.kind is not TokenKind.EOF:
                raise self._fail("whitespace between conditions")
        return tuple(conditions)

    def _condition(self) -> Condition:
        name = self.current
        if name.kind is not TokenKind.WORD:
            raise self._fail("a field name")
        self._advance()
        if self.current.kind is not TokenKind.COLON:
            raise self._fail(f"':' after field name '{name.text}'")
        self._advance()
        return Condition(name.text, self._expr(), name.pos)

    def _expr(self) -> Expr:
        token = self.current
        if token.kind is TokenKind.REGEX:
            self._advance()
            if not token.text:
                raise syntax_error("empty regex after '~'", token.pos)
            return Regex(token.text, token.pos)
        if token.kind is TokenKind.OP:
            return self._compare()
        if token.kind is TokenKind.LPAREN:
            self._advance()
            self._skip_ws()
            group = self._range() if self.current.kind is TokenKind.OP else self._any_of()
            self._skip_ws()
            if self.current.kind is not TokenKind.RPAREN:
                raise self._fail("')'" if isinstance(group, AnyOf) else "'AND' or ')'")
            self._advance()
            return group
        if token.kind is TokenKind.WORD and token.text in _KEYWORDS:
            self._advance()
            return _KEYWORDS[token.text]
        return Exact(self._value("a value after ':' (no space allowed after ':')"))

    def _value(self, expected: str = "a value") -> Value:
        token = self.current
        if token.kind not in (TokenKind.WORD, TokenKind.STRING):
            raise self._fail(expected)
        self._advance()
        return Value(token.text, token.kind is TokenKind.STRING, token.pos)

    def _compare(self) -> Compare:
        op = self._advance()
        return Compare(op.text, self._value(f"a value after '{op.text}'"))

    def _range(self) -> Range:
        bounds = [self._compare()]
        while self.current.kind is TokenKind.WS:
            self._advance()
            if self.current.kind is TokenKind.RPAREN:
                break
            if self.current.kind is not TokenKind.WORD or self.current.text.upper() != "AND":
                raise self._fail("'AND' or ')'")
            self._advance()
            self._skip_ws()
            if self.current.kind is not TokenKind.OP:
                raise self._fail("a comparison ('>', '<', '>=', '<=') after 'AND'")
            bounds.append(self._compare())
        return Range(tuple(bounds))

    def _any_of(self) -> AnyOf:
        values = [self._value("a value or a comparison after '('")]
        self._skip_ws()
        while self.current.kind is TokenKind.COMMA:
            self._advance()
            self._skip_ws()
            values.append(self._value("a value after ','"))
            self._skip_ws()
        return AnyOf(tuple(values))
