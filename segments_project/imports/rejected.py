"""The rejected rows of an import written back in the input's own format, each with why it
was rejected, so that they can be fixed and imported again: CSV with the file's delimiter
and header plus an `error` column, or JSON Lines with an `error` member. Rows are written
as they are rejected; nothing is held in memory. Readers ignore the `error` column and
member, so the fixed file imports as it is."""

from __future__ import annotations

import csv
import json
from typing import IO, Any

from .formats import ERROR_COLUMN, Format, FormatError
from .readers import Shape
from .report import Rejection


class RejectedRows:
    """Writes rejected rows to `text` (opened for writing or appending: the CSV header is
    written when the file is still empty)."""

    def __init__(self, text: IO[str], shape: Shape) -> None:
        self._text = text
        self._shape = shape
        self._csv: Any = None

    def write(self, rejection: Rejection, raw: Any) -> None:
        error = str(rejection)
        if self._shape.format is Format.CSV:
            self._write_csv(raw if isinstance(raw, list) else [], error)
        else:
            self._text.write(json.dumps(_json_row(raw, error), ensure_ascii=False) + "\n")

    def _write_csv(self, cells: list[str], error: str) -> None:
        header = [name for name in self._shape.header if name.strip() != ERROR_COLUMN]
        if self._csv is None:
            self._csv = csv.writer(self._text, delimiter=self._shape.delimiter, lineterminator="\n")
            if self._text.tell() == 0:
                self._csv.writerow([*header, ERROR_COLUMN])
        if len(self._shape.header) != len(header) and len(cells) == len(self._shape.header):
            # A file of rejected rows imported again: its old error cell is replaced.
            position = [name.strip() for name in self._shape.header].index(ERROR_COLUMN)
            cells = cells[:position] + cells[position + 1 :]
        padding = [""] * (len(header) - len(cells))
        self._csv.writerow([*cells, *padding, error])

    def close(self) -> None:
        self._text.close()


def _json_row(raw: Any, error: str) -> dict[str, Any]:
    """The row's JSON object with its error; a row that is no object is kept as text."""
    try:
        document = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        document = None
    if isinstance(document, dict):
        return {**document, ERROR_COLUMN: error}
    return {"row": raw, ERROR_COLUMN: error} if raw is not None else {ERROR_COLUMN: error}


def rejected_rows_file(path: str | None, shape: Shape) -> RejectedRows | None:
    """The rejected rows written to `path` (None: not wanted); FormatError when it cannot
    be written."""
    if path is None:
        return None
    try:
        text = open(path, "w", encoding="utf-8", errors="surrogateescape", newline="")  # noqa: SIM115
    except OSError as exc:
        raise FormatError(f"Cannot write {path}: {exc.strerror}.") from exc
    return RejectedRows(text, shape)
