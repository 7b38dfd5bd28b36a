"""Reading files of rows: CSV with a header row, or JSON Lines; plain or gzip; a path or `-`.

Readers are lazy: rows are produced one at a time with their line number (CSV counts
physical lines, the header being line 1; JSON Lines counts lines), so memory does not
depend on the size of the file. A CSV record that cannot be read (bad quoting, bytes that
are not UTF-8, a NUL character) costs its row only. The columns and how cells become
document members are the kind's `Layout` (`formats`).
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from segments_project.api.parsers import UnstorableJSON, decode_json

from .formats import (
    ERROR_COLUMN,
    STDIO,
    Column,
    Format,
    FormatError,
    Layout,
    RowProblem,
    SourceRow,
    plain_json_error,
)
from .kinds import kind_suggestion

# The delimiters a CSV file may use: spreadsheets write `;` where `,` is the decimal mark.
DELIMITERS = (",", ";", "\t")


@dataclass
class Shape:
    """How the file is laid out, known once its first line is read: the format, and for
    CSV the delimiter and the header as the file gives it."""

    format: Format
    delimiter: str = ","
    header: list[str] = field(default_factory=list)


GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class Source:
    """An open input: iterate it for rows. `size` and `position()` (bytes of the file as
    stored, so compressed bytes for gzip) let the progress display estimate the rest."""

    rows: Iterator[SourceRow]
    shape: Shape
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
    shape = Shape(fmt)
    rows = _csv_rows(text, layout, shape) if fmt is Format.CSV else _jsonl_rows(text, layout)
    # The source holds the text layer until it is closed (a wrapper that is collected
    # closes what it wraps); for stdin it lets go of it without closing stdin.
    closers.append(text.close if closers else text.detach)
    return Source(rows=_decoding(rows), shape=shape, size=size, position=position, _closers=closers)


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

    def __init__(self, text: Iterable[str]) -> None:
        self._text = iter(text)
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


def _delimiter(first_line: str) -> str:
    """The delimiter of a CSV file, told by its header line: the candidate found most often
    outside quotes (a header is the API's field names, which contain none of them); `,`
    when the header has a single column."""
    outside = first_line.split('"')[::2]
    counts = {d: sum(part.count(d) for part in outside) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(text: IO[str], layout: Layout, shape: Shape) -> Iterator[SourceRow]:
    first = text.readline()
    shape.delimiter = _delimiter(first)
    lines = _CsvLines(itertools.chain((first,) if first else (), text))
    reader = csv.reader(lines, delimiter=shape.delimiter)
    columns = _csv_columns(reader, lines, layout, shape)
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
            yield SourceRow(line=line, problem=problem, raw=[])
            continue
        if cells:  # else a blank line
            yield _csv_row(line, cells, lines.problem, columns, layout)


def _csv_columns(
    reader: Iterator[list[str]], lines: _CsvLines, layout: Layout, shape: Shape
) -> list[Column] | None:
    """What each column of the header fills; None for an empty file."""
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FormatError(f"The CSV header cannot be read: {exc}.") from exc
    if header is None:
        return None
    if lines.problem is not None:
        raise FormatError(f"The CSV header cannot be read: {lines.problem}")
    shape.header = header
    try:
        return layout.columns(header)
    except FormatError as exc:
        suggestion = kind_suggestion(layout, [name.strip() for name in header])
        raise FormatError(suggestion or str(exc)) from exc


def _csv_row(
    line: int, cells: list[str], problem: str | None, columns: list[Column], layout: Layout
) -> SourceRow:
    """The row of a CSV record: its document, or why it has none (`problem`: what the
    record's lines showed)."""
    if problem is not None:
        return SourceRow(line=line, problem=RowProblem("body", problem), raw=cells)
    if len(cells) != len(columns):
        message = f"The row has {len(cells)} cells; the header has {len(columns)} columns."
        return SourceRow(line=line, problem=RowProblem("body", message), raw=cells)
    try:
        return SourceRow(line=line, document=layout.document(columns, cells), raw=cells)
    except RowProblem as exc:
        return SourceRow(line=line, problem=exc, raw=cells)


def _jsonl_rows(text: IO[str], layout: Layout) -> Iterator[SourceRow]:
    first = True
    for line, content in enumerate(text, start=1):
        if not content.strip():
            continue
        raw = content.rstrip("\r\n")
        if not content.isascii() and _not_utf8(content):
            yield SourceRow(line=line, problem=RowProblem("body", NOT_UTF8), raw=raw)
            continue
        try:
            document = decode_json(raw)
        except UnstorableJSON as exc:
            yield SourceRow(line=line, problem=RowProblem("body", str(exc)), raw=raw)
        except ValueError as exc:
            message = plain_json_error(exc, what="The row", line=line)
            yield SourceRow(line=line, problem=RowProblem("body", message), raw=raw)
        else:
            if isinstance(document, dict):
                document.pop(ERROR_COLUMN, None)
            if first and isinstance(document, dict):
                suggestion = kind_suggestion(layout, list(document), documents=True)
                if suggestion:
                    raise FormatError(suggestion)
            first = False
            yield SourceRow(line=line, document=document, raw=raw)
