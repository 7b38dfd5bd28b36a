"""Files of rows: their formats (CSV with a header row, or JSON Lines, told by the name or
`--format`) and how each kind's documents are laid out in them.

A JSON Lines row is the API's document as it is. A CSV row is the same document
flattened: nested members become dotted columns (`validity.from`, `metadata.mixins`),
localized members one column per language (`name.en`, `name.de`), and lists or free
objects (`mixins`, `ecn`) a JSON string. An empty cell is an absent member. Each kind
declares its columns once (`Layout`); reading (`readers`) and writing (`writers`) both
follow it, so an export reads back as the same documents.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from segments_project.api.parsers import UnstorableJSON, decode_json

STDIO = "-"
# The column (CSV) or member (JSON) a file of rejected rows gives each row's error in;
# ignored on reading, so that the fixed rows import as they are.
ERROR_COLUMN = "error"


class FormatError(Exception):
    """The file as a whole cannot be read (unknown format, bad header, undecodable bytes)."""


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


_EXTENSIONS = {".csv": Format.CSV, ".jsonl": Format.JSONL, ".ndjson": Format.JSONL}


def detect_format(path: str, requested: str | None = None) -> Format:
    """The format `--format` names, else the one the extension (before `.gz`) names."""
    if requested:
        return Format(requested)
    name = path.lower().removesuffix(".gz")
    for extension, fmt in _EXTENSIONS.items():
        if name.endswith(extension):
            return fmt
    if path == STDIO:
        raise FormatError("Reading or writing - needs --format csv or --format jsonl.")
    raise FormatError(
        f"Cannot tell the format of {path}: use a .csv, .jsonl or .ndjson name "
        "(optionally .gz) or --format."
    )


class FieldType(StrEnum):
    TEXT = "text"
    BOOL = "bool"
    INT = "int"
    JSON = "json"
    LOCALIZED = "localized"


@dataclass(frozen=True)
class Field:
    """A document member: `path` is dotted for members of nested objects (`validity.from`)."""

    path: str
    type: FieldType = FieldType.TEXT

    @functools.cached_property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.path.split("."))


# The members every document and assignment may carry: its mixins and their schemas.
MIXINS = (Field("mixins", FieldType.JSON), Field("metadata.mixins", FieldType.JSON))


class RowProblem(Exception):
    """One row cannot be turned into a document; names the column and the reason."""

    def __init__(self, field: str, message: str, type: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.type = type


class SourceRow(NamedTuple):
    """A row read from a file: its line number and its document, or why there is none;
    `raw` is the row as the file gives it (the cells of a CSV record, the text of a JSON
    line), so that a rejected row can be written back in the file's own format."""

    line: int
    document: Any = None
    problem: RowProblem | None = None
    raw: Any = None


# What the JSON decoder's messages mean, said for people who edit files in a spreadsheet.
_JSON_MESSAGES = (
    ("Expecting ',' delimiter", "a comma (,) is missing between two values"),
    ("Expecting ':' delimiter", "a colon (:) is missing after a name"),
    (
        "Expecting property name enclosed in double quotes",
        'a name is expected in double quotes ("name"), or there is a comma too many',
    ),
    ("Expecting value", "a value is missing, or a text is not in double quotes"),
    ("Unterminated string", "a text is not closed by a double quote"),
    ("Extra data", "there is more after the end of the JSON value (one object per line)"),
    ("Invalid control character", "a text holds a tab or line break; write it as \\t or \\n"),
    ("Invalid \\escape", "a backslash (\\) starts an escape JSON does not know; write \\\\"),
)


def plain_json_error(error: ValueError, *, what: str, line: int | None = None) -> str:
    """Why `what` (the row, a cell) is not JSON, in plain words, with where: the file's
    `line` when given (a JSON Lines row), and the column in that line or in the cell."""
    if not isinstance(error, json.JSONDecodeError):
        return f"{what} is not valid JSON ({error})."
    reason = next(
        (plain for start, plain in _JSON_MESSAGES if error.msg.startswith(start)),
        error.msg[:1].lower() + error.msg[1:],
    )
    if line is not None:
        where = f"line {line + error.lineno - 1}, column {error.colno}"
    else:
        where = f"character {error.pos + 1}"
    return f"{what} is not valid JSON: {reason} (at {where})."


_INTEGER = re.compile(r"^-?\d+$")
_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


def _cell_value(field: Field, text: str) -> Any:
    """The document value of a non-empty cell. Text that is not a boolean or an integer
    is passed on unchanged, so the document validation reports it as the API would."""
    if field.type is FieldType.BOOL:
        lowered = text.strip().lower()
        return {"true": True, "false": False}.get(lowered, text)
    if field.type is FieldType.INT:
        return int(text) if _INTEGER.match(text.strip()) else text
    if field.type is FieldType.JSON:
        try:
            # The cell is a member of the document: one level below it, or more.
            return decode_json(text, depth=len(field.parts) + 1)
        except UnstorableJSON as exc:
            raise RowProblem(field.path, f"{field.path}: {exc}") from exc
        except ValueError as exc:
            raise RowProblem(field.path, plain_json_error(exc, what=field.path)) from exc
    return text


def _put(document: dict[str, Any], parts: tuple[str, ...], value: Any) -> None:
    target = document
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _get(document: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    return document


def dump_json(value: Any) -> str:
    """Compact JSON with sorted keys: the same value always gives the same cell."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a header: the member it fills (`parts`, the language last for localized
    members) and how a cell becomes its value (None: the text as it is)."""

    field: Field
    parts: tuple[str, ...]
    convert: Callable[[str], Any] | None


def _converter(field: Field) -> Callable[[str], Any] | None:
    if field.type in (FieldType.TEXT, FieldType.LOCALIZED):
        return None
    return functools.partial(_cell_value, field)


@dataclass(frozen=True)
class Layout:
    """The members of one kind of document, in the order CSV exports write them."""

    fields: tuple[Field, ...]

    def _column(self, name: str) -> Column | None:
        for candidate in self.fields:
            if candidate.type is FieldType.LOCALIZED:
                prefix = f"{candidate.path}."
                language = name[len(prefix) :]
                if name.startswith(prefix) and _LANGUAGE.match(language):
                    return Column(candidate, (*candidate.parts, language), None)
            elif name == candidate.path:
                return Column(candidate, candidate.parts, _converter(candidate))
        return None

    def knows_column(self, name: str) -> bool:
        return name == ERROR_COLUMN or self._column(name) is not None

    def knows_member(self, name: str) -> bool:
        """Whether documents of this kind have a top-level member `name`."""
        return any(field.parts[0] == name for field in self.fields)

    def columns(self, header: list[str]) -> list[Column]:
        """What each header column fills; a FormatError for unknown or repeated columns."""
        if not header or not any(name.strip() for name in header):
            raise FormatError("The CSV file has no header row.")
        columns = []
        for name in header:
            if name.strip() == ERROR_COLUMN:
                columns.append(Column(Field(ERROR_COLUMN), (), None))
                continue
            column = self._column(name.strip())
            if column is None:
                known = ", ".join(
                    f"{f.path}.<language>" if f.type is FieldType.LOCALIZED else f.path
                    for f in self.fields
                )
                raise FormatError(f"Unknown column {name!r}; the columns are: {known}.")
            columns.append(column)
        names = [name.strip() for name in header]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise FormatError(f"Column {repeated[0]!r} appears more than once.")
        return columns

    @staticmethod
    def document(columns: list[Column], cells: list[str]) -> dict[str, Any]:
        """The document a CSV row describes; empty cells are absent members."""
        document: dict[str, Any] = {}
        for column, text in zip(columns, cells, strict=True):
            if not text or not column.parts:
                continue
            value = text if column.convert is None else column.convert(text)
            if len(column.parts) == 1:
                document[column.parts[0]] = value
            else:
                _put(document, column.parts, value)
        return document

    def header(self, languages: dict[str, list[str]]) -> list[str]:
        """The CSV header, with one column per language of each localized member."""
        names = []
        for column in self.fields:
            if column.type is FieldType.LOCALIZED:
                names += [f"{column.path}.{lang}" for lang in languages.get(column.path, [])]
            else:
                names.append(column.path)
        return names

    @staticmethod
    def cells(columns: list[Column], document: dict[str, Any]) -> list[str]:
        """The CSV cells of a document, for the `columns` of a header."""
        cells = []
        for column in columns:
            value = _get(document, column.parts)
            if value is None:
                cells.append("")
            elif column.field.type is FieldType.JSON:
                cells.append("" if value in ({}, []) else dump_json(value))
            elif isinstance(value, bool):
                cells.append("true" if value else "false")
            else:
                cells.append(str(value))
        return cells
