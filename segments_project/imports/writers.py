"""Writing files of rows: CSV with a header row from the kind's `Layout`, or JSON Lines;
plain or gzip (when the name ends in `.gz`, with the same bytes for the same rows); a path
or `-` for stdout."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from typing import IO, Any

from .formats import STDIO, Format, FormatError, Layout


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
