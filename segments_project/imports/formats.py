"""Files of rows: CSV with a header row, or JSON Lines; plain or gzip; a path or `-`.

A JSON Lines row is the API's document as it is. A CSV row is the same document
flattened: nested members become dotted columns (`validity.from`, `metadata.mixins`),
localized members one column per language (`name.en`, `name.de`), and lists or free
objects (`mixins`, `ecn`) a JSON string. An empty cell is an absent member. Each kind
declares its columns once (`Layout`); reading and writing both follow it, so an export
reads back as the same documents.

Readers are lazy: rows are produced one at a time with their line number (CSV counts
physical lines, the header being line 1; JSON Lines counts lines), so memory does not
depend on the size of the file.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, Any, NamedTuple

from segments_project.api.parsers import UnstorableJSON, decode_json

GZIP_MAGIC = b"\x1f\x8b"
STDIO = "-"


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

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class SourceRow(NamedTuple):
    """A row read from a file: its line number and its document, or why there is none."""

    line: int
    document: Any = None
    problem: RowProblem | None = None


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
            raise RowProblem(field.path, f"{field.path} is not valid JSON: {exc}.") from exc
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
class _Column:
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

    def _column(self, name: str) -> _Column | None:
        for candidate in self.fields:
            if candidate.type is FieldType.LOCALIZED:
                prefix = f"{candidate.path}."
                language = name[len(prefix) :]
                if name.startswith(prefix) and _LANGUAGE.match(language):
                    return _Column(candidate, (*candidate.parts, language), None)
            elif name == candidate.path:
                return _Column(candidate, candidate.parts, _converter(candidate))
        return None

    def columns(self, header: list[str]) -> list[_Column]:
        """What each header column fills; a FormatError for unknown or repeated columns."""
        if not header or not any(name.strip() for name in header):
            raise FormatError("The CSV file has no header row.")
        columns = []
        for name in header:
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
    def document(columns: list[_Column], cells: list[str]) -> dict[str, Any]:
        """The document a CSV row describes; empty cells are absent members."""
        document: dict[str, Any] = {}
        for column, text in zip(columns, cells, strict=True):
            if not text:
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
    def cells(columns: list[_Column], document: dict[str, Any]) -> list[str]:
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


@dataclass
class Source:
    """An open input: iterate it for rows. `size` and `position()` (bytes of the file as
    stored, so compressed bytes for gzip) let the progress display estimate the rest."""

    rows: Iterator[SourceRow]
    size: int | None = None
    position: Callable[[], int | None] = field(default=lambda: None)
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def __iter__(self) -> Iterator[SourceRow]:
        return self.rows

    def close(self) -> None:
        for close in reversed(self._closers):
            close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _binary_stdin(stdin: Any) -> IO[bytes]:
    return getattr(stdin, "buffer", stdin)


def _decompressed(raw: IO[bytes]) -> IO[bytes]:
    """The stream itself, or its gunzipped content when it starts with the gzip magic."""
    buffered = raw if hasattr(raw, "peek") else io.BufferedReader(raw)  # type: ignore[arg-type]
    if buffered.peek(2)[:2] == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered


def open_source(path: str, fmt: Format, layout: Layout, *, stdin: Any = None) -> Source:
    """Opens `path` (or stdin for `-`) for reading rows; gzip is recognized by its content."""
    if path == STDIO:
        raw = _binary_stdin(sys.stdin if stdin is None else stdin)
        size, position = None, lambda: None
        closers: list[Callable[[], None]] = []
    else:
        try:
            raw = open(path, "rb")  # noqa: SIM115 - closed by Source.close
        except OSError as exc:
            raise FormatError(f"Cannot read {path}: {exc.strerror}.") from exc
        size = os.fstat(raw.fileno()).st_size
        position = raw.tell
        closers = [raw.close]
    # Bytes that are not UTF-8 become lone surrogates, so that only their row is refused.
    text = io.TextIOWrapper(
        _decompressed(raw), encoding="utf-8-sig", errors="surrogateescape", newline=""
    )
    rows = _csv_rows(text, layout) if fmt is Format.CSV else _jsonl_rows(text)
    # The source holds the text layer until it is closed (a wrapper that is collected
    # closes what it wraps); for stdin it lets go of it without closing stdin.
    closers.append(text.close if closers else text.detach)
    return Source(rows=_decoding(rows), size=size, position=position, _closers=closers)


def _decoding(rows: Iterator[SourceRow]) -> Iterator[SourceRow]:
    try:
        yield from rows
    except (EOFError, gzip.BadGzipFile) as exc:
        raise FormatError(f"The gzip stream is damaged or cut short: {exc}.") from exc


NOT_UTF8 = "The row is not UTF-8 text."
HAS_NUL = "The row holds a NUL character, which cannot be stored."


def _not_utf8(line: str) -> bool:
    """Whether the line holds bytes that were not UTF-8 (as lone surrogates)."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class _CsvLines:
    """The physical lines of a CSV text as `csv.reader` takes them: counted, and those of
    the record being read kept, with why it cannot be imported (`problem`), so that a bad
    record costs its row only. Most lines are ASCII and cost two scans in C."""

    __slots__ = ("_text", "count", "problem", "record")

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self.count = 0
        self.record: list[str] = []
        self.problem: str | None = None

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        line = next(self._text)
        self.count += 1
        self.record.append(line)
        if "\x00" in line:
            self.problem = HAS_NUL
        elif not line.isascii() and _not_utf8(line):
            self.problem = NOT_UTF8
        return line

    def next_record(self) -> None:
        self.record = []
        self.problem = None

    def skip_rest_of_record(self) -> None:
        """After a `csv.Error`, reads on to the end of a quoted cell the reader gave up in
        (the record so far has an odd number of quotes), so that its remaining lines are not
        read as rows of their own."""
        quotes = sum(line.count('"') for line in self.record)
        while quotes % 2:
            line = next(self._text, None)
            if line is None:
                return
            self.count += 1
            quotes += line.count('"')


def _csv_rows(text: IO[str], layout: Layout) -> Iterator[SourceRow]:
    lines = _CsvLines(text)
    reader = csv.reader(lines)
    columns = _csv_columns(reader, lines, layout)
    if columns is None:
        return
    while True:
        line = lines.count + 1
        lines.next_record()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            lines.skip_rest_of_record()
            problem = RowProblem("body", f"The row cannot be read as CSV: {exc}.")
            yield SourceRow(line=line, problem=problem)
            continue
        if cells:  # else a blank line
            yield _csv_row(line, cells, lines.problem, columns, layout)


def _csv_columns(
    reader: Iterator[list[str]], lines: _CsvLines, layout: Layout
) -> list[_Column] | None:
    """What each column of the header fills; None for an empty file."""
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FormatError(f"The CSV header cannot be read: {exc}.") from exc
    if header is None:
        return None
    if lines.problem is not None:
        raise FormatError(f"The CSV header cannot be read: {lines.problem}")
    return layout.columns(header)


def _csv_row(
    line: int, cells: list[str], problem: str | None, columns: list[_Column], layout: Layout
) -> SourceRow:
    """The row of a CSV record: its document, or why it has none (`problem`: what the
    record's lines showed)."""
    if problem is not None:
        return SourceRow(line=line, problem=RowProblem("body", problem))
    if len(cells) != len(columns):
        message = f"The row has {len(cells)} cells; the header has {len(columns)} columns."
        return SourceRow(line=line, problem=RowProblem("body", message))
    try:
        return SourceRow(line=line, document=layout.document(columns, cells))
    except RowProblem as exc:
        return SourceRow(line=line, problem=exc)


def _jsonl_rows(text: IO[str]) -> Iterator[SourceRow]:
    for line, content in enumerate(text, start=1):
        if not content.strip():
            continue
        if not content.isascii() and _not_utf8(content):
            yield SourceRow(line=line, problem=RowProblem("body", NOT_UTF8))
            continue
        try:
            document = decode_json(content)
        except UnstorableJSON as exc:
            yield SourceRow(line=line, problem=RowProblem("body", str(exc)))
        except ValueError as exc:
            yield SourceRow(line=line, problem=RowProblem("body", f"Not valid JSON: {exc}."))
        else:
            yield SourceRow(line=line, document=document)


class Sink:
    """An open output for documents of one kind; `close()` flushes it."""

    def __init__(
        self, text: IO[str], fmt: Format, layout: Layout, languages: dict[str, list[str]]
    ) -> None:
        self._text = text
        self._fmt = fmt
        self._layout = layout
        self.rows = 0
        self._closers: list[Callable[[], None]] = []
        if fmt is Format.CSV:
            self._csv = csv.writer(text, lineterminator="\n")
            header = layout.header(languages)
            self._columns = layout.columns(header)
            self._csv.writerow(header)

    def write(self, document: dict[str, Any]) -> None:
        if self._fmt is Format.CSV:
            self._csv.writerow(self._layout.cells(self._columns, document))
        else:
            self._text.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")))
            self._text.write("\n")
        self.rows += 1

    def close(self) -> None:
        self._text.flush()
        for close in reversed(self._closers):
            close()


def open_sink(
    path: str,
    fmt: Format,
    layout: Layout,
    *,
    languages: dict[str, list[str]],
    stdout: IO[str] | None = None,
) -> Sink:
    """Opens `path` for writing (gzip when it ends in `.gz`), or writes to `stdout` for `-`."""
    if path == STDIO:
        assert stdout is not None
        return Sink(stdout, fmt, layout, languages)
    try:
        raw = open(path, "wb")  # noqa: SIM115 - closed by Sink.close
    except OSError as exc:
        raise FormatError(f"Cannot write {path}: {exc.strerror}.") from exc
    binary: IO[bytes] = raw
    closers = [raw.close]
    if path.lower().endswith(".gz"):
        # A fixed mtime and no name in the header: the same rows give the same bytes.
        binary = gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0)  # type: ignore[assignment]
        closers.append(binary.close)
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    sink = Sink(text, fmt, layout, languages)
    # Closed in reverse: the text layer is flushed first, the file last.
    sink._closers = [*closers, text.detach]
    return sink
