"""The portable regex subset accepted by `field:~pattern`.

PostgreSQL evaluates patterns as POSIX AREs, SQLite through Django's Python `re.search`
callback. Only constructs that mean the same in both, and cannot make either engine fail
or blow up, are accepted:

- literal characters other than the metacharacters `. [ ] ( ) { } * + ? | ^ $ \\`;
- `\\` followed by an ASCII punctuation character or a space, meaning that character
  literally (`\\.`, `\\(`, `\\\\`, `\\ `, ...). Letter and digit escapes (`\\d`, `\\w`,
  `\\b`, `\\Z`, backreferences `\\1`, ...) are refused: the engines define them differently;
- `.` (any character, newlines included), `^` (start of text), `$` (end of text);
- bracket expressions `[abc]`, `[^abc]`, ranges `[a-z]` (by code point), escaped
  punctuation inside them; `-` is literal only first or last; `[`, `]` and doubled
  `&&`, `~~`, `||` must be escaped (POSIX classes such as `[[:alpha:]]` are refused);
- groups `(...)` and `(?:...)`, alternation `a|b` with non-empty branches;
- quantifiers `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}` (m <= n <= 255), optionally lazy
  with a trailing `?`; a quantifier must follow a character, class or group, and a
  quantified group may contain no quantifier, alternation or anchor (no nested
  repetition, which is what makes backtracking engines exponential).

Refused as well: lookaround `(?=`, `(?!`, `(?<=`, named groups `(?P<`, `(?<`, inline flags
`(?i)`, PostgreSQL directors `***`, patterns over 200 characters, more than 10 levels of
groups, more than 5 variable-length repetitions (`*`, `+`, `?`, `{m,}`, `{m,n}` with m < n)
and patterns whose expansion of counted repetition exceeds 2000 atoms. Matching is
case-sensitive and unanchored (a match anywhere in the text), as with `re.search` and `~`.

PostgreSQL's engine runs these in time linear in the text. On SQLite, Python's backtracking
engine is polynomial in the text length with the number of variable repetitions as the
degree: with the limits above, texts of a few hundred characters stay fast, but a pattern
like `.*a.*b` over texts of thousands of characters can take seconds. That is a
development-database limitation only.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from segments_project.errors import ValidationFailed, field_error

MAX_PATTERN_LENGTH = 200
MAX_GROUP_DEPTH = 10
MAX_REPEAT = 255
MAX_EXPANDED_SIZE = 2000
MAX_VARIABLE_REPEATS = 5

_META = frozenset(".[](){}*+?|^$\\")
_ESCAPABLE = frozenset(string.punctuation + " ")


@dataclass(frozen=True)
class PortablePattern:
    """A validated pattern, spelled for each engine so both give the same matches."""

    postgresql: str
    python: str

    def for_vendor(self, vendor: str) -> str:
        return self.postgresql if vendor == "postgresql" else self.python


def check_pattern(pattern: str, pos: int, *, param: str = "q") -> PortablePattern:
    """Validate `pattern` (written at 1-based position `pos`) against the portable subset.

    Raises ValidationFailed, and nothing else, when the pattern is outside the subset.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise _error(f"regex is longer than {MAX_PATTERN_LENGTH} characters", pos, param)
    checker = _Checker(pattern, pos, param)
    python = checker.run()
    try:
        re.compile(python)
    except (re.error, RecursionError, OverflowError, ValueError) as exc:
        raise _error(f"regex is not valid ({exc})", pos, param) from None
    return PortablePattern(postgresql=pattern, python=python)


def _error(message: str, pos: int, param: str) -> ValidationFailed:
    return field_error(param, f"Invalid {param} at position {pos}: {message}.")


@dataclass
class _Piece:
    """What a parsed (sub)expression contains, for the repetition rules."""

    size: int = 0
    quantified: bool = False
    alternation: bool = False
    anchor: bool = False

    def join(self, other: _Piece) -> _Piece:
        return _Piece(
            self.size + other.size,
            self.quantified or other.quantified,
            self.alternation or other.alternation,
            self.anchor or other.anchor,
        )


class _Checker:
    def __init__(self, pattern: str, pos: int, param: str) -> None:
        self.pattern = pattern
        self.base = pos
        self.param = param
        self.index = 0
        self.variable_repeats = 0
        self.out: list[str] = ["(?s)"]

    def fail(self, message: str, index: int | None = None) -> ValidationFailed:
        at = self.index if index is None else index
        return _error(message, self.base + at, self.param)

    def peek(self) -> str:
        return self.pattern[self.index : self.index + 1]

    def run(self) -> str:
        piece = self.alternation(depth=0)
        if self.index < len(self.pattern):
            raise self.fail("unbalanced ')' in regex")
        if piece.size > MAX_EXPANDED_SIZE:
            raise self.fail("regex repeats too much", 0)
        return "".join(self.out)

    def alternation(self, depth: int) -> _Piece:
        piece = self.sequence(depth)
        while self.peek() == "|":
            self.out.append("|")
            self.index += 1
            piece = piece.join(self.sequence(depth))
            piece.alternation = True
        return piece

    def sequence(self, depth: int) -> _Piece:
        start = self.index
        piece = _Piece()
        while self.index < len(self.pattern) and self.peek() not in "|)":
            piece = piece.join(self.item(depth))
        if self.index == start:
            raise self.fail("empty alternative or group in regex")
        return piece

    def item(self, depth: int) -> _Piece:
        char = self.peek()
        if char in "^$":
            self.out.append("^" if char == "^" else r"\Z")
            self.index += 1
            if self.peek() and self.peek() in "*+?{":
                raise self.fail(f"nothing to repeat before '{self.peek()}'")
            return _Piece(anchor=True)
        atom = self.atom(depth)
        return self.quantifier(atom)

    def atom(self, depth: int) -> _Piece:
        char = self.peek()
        if char == "(":
            return self.group(depth)
        if char == "[":
            self.bracket()
            return _Piece(size=1)
        if char == "\\":
            self.out.append(self.escape())
            return _Piece(size=1)
        if char in "*+?{":
            raise self.fail(f"nothing to repeat before '{char}'")
        if char in "]}":
            raise self.fail(f"'{char}' must be escaped as '\\{char}'")
        self.index += 1
        self.out.append(char)
        return _Piece(size=1)

    def group(self, depth: int) -> _Piece:
        open_index = self.index
        if depth >= MAX_GROUP_DEPTH:
            raise self.fail(f"regex nests groups deeper than {MAX_GROUP_DEPTH}")
        self.index += 1
        if self.peek() == "?":
            if self.pattern.startswith("?:", self.index):
                self.index += 2
                self.out.append("(?:")
            else:
                raise self.fail(
                    "only '(?:' is supported after '(' (no lookaround, named groups or flags)"
                )
        else:
            self.out.append("(")
        inner = self.alternation(depth + 1)
        if self.peek() != ")":
            raise self.fail("group is not closed", open_index)
        self.index += 1
        self.out.append(")")
        return inner

    def escape(self) -> str:
        escaped = self.pattern[self.index + 1 : self.index + 2]
        if not escaped:
            raise self.fail("regex ends with a lone backslash")
        if escaped not in _ESCAPABLE:
            raise self.fail(
                f"escape '\\{escaped}' is not supported (only punctuation and space may be escaped)"
            )
        self.index += 2
        return "\\" + escaped

    def bracket(self) -> None:
        """Translates the bracket expression at the current index: an optional `^`, then
        characters and ranges, then `]`. Ends after the `]`."""
        open_index = self.index
        self.index += 1
        opening = "["
        if self.peek() == "^":
            opening = "[^"
            self.index += 1
        items: list[str] = []
        # The last item when it is a single character, which a following '-' may turn
        # into a range; None at the start and after a range.
        low: str | None = None
        while self.bracket_continues(open_index, empty=not items):
            if items and self.at_inner_dash():
                items.append(self.bracket_range(low))
                low = None
            else:
                items.append(self.bracket_char())
                low = items[-1][-1]
        self.out.append(opening + "".join(items) + "]")

    def bracket_continues(self, open_index: int, *, empty: bool) -> bool:
        """False after consuming the `]` that closes a non-empty bracket expression, True
        when another item follows; raises at the end of the pattern, at `[]` and at `[`."""
        char = self.peek()
        if not char:
            raise self.fail("bracket expression is not closed", open_index)
        if char == "]":
            if empty:
                raise self.fail("empty bracket expression (escape a literal ']' as '\\]')")
            self.index += 1
            return False
        if char == "[":
            raise self.fail("'[' inside a bracket expression must be escaped as '\\['")
        return True

    def at_inner_dash(self) -> bool:
        """Whether the current character is a `-` not closing the brackets: after a first
        item, such a `-` makes a range (or is refused)."""
        return self.peek() == "-" and self.pattern[self.index + 1 : self.index + 2] != "]"

    def bracket_range(self, low: str | None) -> str:
        """Translates the `-high` ending a range that starts at the character `low` (None
        when the item before the `-` cannot start a range); refuses backward ranges."""
        if low is None:
            raise self.fail("'-' must be escaped or placed first or last in brackets")
        self.index += 1
        high_index = self.index
        if self.peek() == "-":
            raise self.fail("a range may not end with an unescaped '-'")
        high = self.bracket_char()
        if ord(high[-1]) < ord(low):
            raise self.fail("range in brackets goes backwards", high_index)
        return "-" + high

    def bracket_char(self) -> str:
        char = self.peek()
        if not char:
            raise self.fail("bracket expression is not closed")
        if char == "\\":
            return self.escape()
        if char in "[]":
            raise self.fail(f"'{char}' inside a bracket expression must be escaped")
        if char in "&~|" and self.pattern.startswith(char * 2, self.index):
            # Python reserves doubled set operators for future set syntax.
            raise self.fail(f"'{char * 2}' inside a bracket expression must be escaped")
        self.index += 1
        return char

    def quantifier(self, atom: _Piece) -> _Piece:
        char = self.peek()
        if not char or char not in "*+?{":
            return atom
        if atom.quantified or atom.alternation or atom.anchor:
            raise self.fail("a repeated group may not contain repetition, alternation or anchors")
        start = self.index
        if char == "{":
            low, high = self.bound()
        else:
            self.index += 1
            low, high = (1, None) if char == "+" else (0, 1 if char == "?" else None)
        if self.peek() == "?":
            self.index += 1
        if self.peek() and self.peek() in "*+{":
            raise self.fail(f"nothing to repeat before '{self.peek()}'")
        if self.peek() == "?":
            raise self.fail("'?' may follow a quantifier only once")
        if high != low:
            self.variable_repeats += 1
            if self.variable_repeats > MAX_VARIABLE_REPEATS:
                raise self.fail(
                    f"regex may use at most {MAX_VARIABLE_REPEATS} variable repetitions"
                    " ('*', '+', '?', '{m,}', '{m,n}')",
                    start,
                )
        self.out.append(self.pattern[start : self.index])
        copies = max(low, high or 0, 1)
        return _Piece(size=atom.size * copies, quantified=True)

    def bound(self) -> tuple[int, int | None]:
        open_index = self.index
        close = self.pattern.find("}", open_index)
        body = self.pattern[open_index + 1 : close] if close != -1 else ""
        low_text, comma, high_text = body.partition(",")
        if close == -1 or not _is_count(low_text) or (high_text and not _is_count(high_text)):
            raise self.fail("'{' must start a bound like {2}, {2,} or {2,5}", open_index)
        low = int(low_text)
        high = int(high_text) if high_text else (None if comma else low)
        if low > MAX_REPEAT or (high is not None and high > MAX_REPEAT):
            raise self.fail(f"repetition counts may not exceed {MAX_REPEAT}", open_index)
        if high is not None and high < low:
            raise self.fail("repetition bound {m,n} needs m <= n", open_index)
        self.index = close + 1
        return low, high


def _is_count(text: str) -> bool:
    return 0 < len(text) <= 3 and text.isascii() and text.isdigit()
