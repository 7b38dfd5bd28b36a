"""Tokenizer for the `q` query language.

Positions in tokens and error messages are 1-based character offsets into the query text.

Bare words may contain any character except whitespace, control characters and the
punctuation `: ( ) , " ~ < > = \\`; anything else must be double-quoted.

After `~` the lexer reads a raw regex up to the first whitespace that is outside
parentheses and bracket expressions (escaped characters count as literals). One pair of
parentheses around the whole pattern is dropped, so `~(Gold Club)` is the pattern
`Gold Club`; as a regex group they would not change what matches anyway.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from segments_project.errors import ValidationFailed, field_error

WHITESPACE = frozenset(" \t\r\n")
_PUNCTUATION = {":": "COLON", "(": "LPAREN", ")": "RPAREN", ",": "COMMA"}
_WORD_STOP = WHITESPACE | frozenset(':(),"~<>=\\')


class TokenKind(enum.Enum):
    WORD = "word"
    STRING = "quoted string"
    COLON = "':'"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    OP = "comparison operator"
    REGEX = "regex"
    WS = "whitespace"
    EOF = "end of query"


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    pos: int


def syntax_error(message: str, pos: int, *, param: str = "q") -> ValidationFailed:
    """The 400 for a problem at 1-based position `pos` of the `param` query parameter."""
    return field_error(param, f"Invalid {param} at position {pos}: {message}.")


def relabelled(error: ValidationFailed, param: str) -> ValidationFailed:
    """`error`, raised by `syntax_error` about the `q` parameter, told about `param`
    instead (a q text that arrives in another member, e.g. a segment's `criteria.q`)."""
    message = error.message.replace("Invalid q at", f"Invalid {param} at", 1)
    return field_error(param, message)


def _is_forbidden(char: str) -> bool:
    # Control characters (NUL among them) and lone surrogates cannot be stored or sent to
    # PostgreSQL, so they are refused here instead of failing in the database driver.
    return char not in WHITESPACE and unicodedata.category(char) in {"Cc", "Cs"}


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens ending with one EOF token.

    Raises ValidationFailed (and nothing else) for characters or constructs that cannot
    start a token, unterminated strings and unterminated regexes.
    """
    return _Lexer(text).run()


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0
        self.tokens: list[Token] = []

    def run(self) -> list[Token]:
        for index, char in enumerate(self.text):
            if _is_forbidden(char):
                raise syntax_error(f"control character U+{ord(char):04X} is not allowed", index + 1)
        while self.index < len(self.text):
            self._next_token()
        self.tokens.append(Token(TokenKind.EOF, "", len(self.text) + 1))
        return self.tokens

    def _emit(self, kind: TokenKind, text: str, start: int) -> None:
        self.tokens.append(Token(kind, text, start + 1))

    def _next_token(self) -> None:
        text, start = self.text, self.index
        char = text[start]
        if char in WHITESPACE:
            end = start
            while end < len(text) and text[end] in WHITESPACE:
                end += 1
            self._emit(TokenKind.WS, text[start:end], start)
            self.index = end
        elif char in _PUNCTUATION:
            self._emit(TokenKind[_PUNCTUATION[char]], char, start)
            self.index = start + 1
        elif char in "<>":
            op = text[start : start + 2] if text.startswith("=", start + 1) else char
            self._emit(TokenKind.OP, op, start)
            self.index = start + len(op)
        elif char == '"':
            self._read_string()
        elif char == "~":
            self._read_regex()
        elif char in _WORD_STOP:
            hint = " (use '>=' or '<=' for comparisons)" if char == "=" else ""
            if char == "\\":
                hint = " (backslashes are only allowed inside double quotes)"
            raise syntax_error(f"unexpected '{char}'{hint}", start + 1)
        else:
            end = start
            while end < len(text) and text[end] not in _WORD_STOP:
                end += 1
            self._emit(TokenKind.WORD, text[start:end], start)
            self.index = end

    def _read_string(self) -> None:
        text, start = self.text, self.index
        chars: list[str] = []
        index = start + 1
        while index < len(text):
            char = text[index]
            if char == '"':
                self._emit(TokenKind.STRING, "".join(chars), start)
                self.index = index + 1
                return
            if char == "\\":
                escaped = text[index + 1 : index + 2]
                if escaped not in ('"', "\\"):
                    shown = f"\\{escaped}" if escaped else "\\ at the end"
                    raise syntax_error(
                        f"unsupported escape '{shown}' in quoted value (only \\\" and \\\\)",
                        index + 1,
                    )
                chars.append(escaped)
                index += 2
                continue
            chars.append(char)
            index += 1
        raise syntax_error("quoted value is not closed", start + 1)

    def _read_regex(self) -> None:
        body = self.index + 1
        end = _regex_end(self.text, body)
        pattern, pattern_start = self.text[body:end], body
        if pattern.startswith("(") and _regex_end(pattern, 0, outer=True) == len(pattern):
            pattern, pattern_start = pattern[1:-1], body + 1
        self._emit(TokenKind.REGEX, pattern, pattern_start)
        self.index = end


def _regex_end(text: str, start: int, *, outer: bool = False) -> int:
    """End index of the regex starting at `start`: the first whitespace outside groups and
    brackets, or the end of text. With `outer`, instead the index after the `)` closing the
    group that opens at `start`.

    Raises ValidationFailed at an unclosed `(` or `[` (the `(` when both are unclosed).
    """
    brackets = _BracketSkipper()
    opened: list[int] = []
    for index, char in brackets.outside(_unescaped(text, start)):
        if char == "(":
            opened.append(index)
        elif char == ")" and opened:
            opened.pop()
            if outer and not opened:
                return index + 1
        elif char in WHITESPACE and not opened:
            return index
    if opened:
        raise syntax_error("'(' in regex is not closed", opened[0] + 1)
    if brackets.open_at is not None:
        raise syntax_error("'[' in regex is not closed", brackets.open_at + 1)
    return len(text)


def _unescaped(text: str, start: int) -> Iterator[tuple[int, str]]:
    """The index and character of each character of `text` from `start` on, leaving out
    every backslash together with the character it escapes."""
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        yield index, text[index]
        index += 1


class _BracketSkipper:
    """Leaves bracket expressions (`[...]`, up to the first `]`) out of a character stream,
    remembering where an unclosed one opened."""

    def __init__(self) -> None:
        self.open_at: int | None = None

    def outside(self, chars: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
        """The characters of `chars` outside bracket expressions, brackets excluded; after
        the stream ends, `open_at` is the index of a `[` left unclosed, or None."""
        for index, char in chars:
            if self.open_at is not None:
                if char == "]":
                    self.open_at = None
            elif char == "[":
                self.open_at = index
            else:
                yield index, char
