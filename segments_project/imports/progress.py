"""Progress of a long import or export: a tqdm bar on a terminal, plain lines otherwise.

On a terminal the bar shows rows, rows/s and, when the file size is known, the share of
the file read and the time left. Anywhere else (a log, CI) a line like
`read 40000 rows, 12345 rows/s, 35%, about 12 s left` is printed at most every
`interval` seconds, so logs stay short whatever the size of the file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tqdm import tqdm


class Unstyled:
    """Writes through a management command's OutputWrapper without line endings or colours."""

    def __init__(self, wrapper: Any) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, style_func=lambda value: value, ending="")

    def flush(self) -> None:
        self._wrapper.flush()


def _is_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class Progress:
    """Reports `update(rows)` calls; `mode` is auto (bar on a terminal), bar, lines or none.

    The share done is `position()` of `total_bytes` (bytes of the file read) when given,
    else the rows so far of `total_rows`.
    """

    def __init__(
        self,
        stream: Any,
        *,
        verb: str = "read",
        total_bytes: int | None = None,
        position: Callable[[], int | None] | None = None,
        total_rows: int | None = None,
        mode: str = "auto",
        interval: float = 5.0,
    ) -> None:
        self._stream = stream
        self._verb = verb
        if total_bytes:
            self._total: int | None = total_bytes
            self._position: Callable[[], int | None] = position or (lambda: None)
        else:
            self._total = total_rows or None
            self._position = lambda: self.rows
        self._interval = interval
        self._started = self._last_line = time.monotonic()
        self.rows = 0
        if mode == "auto":
            mode = "bar" if _is_terminal(stream) else "lines"
        self._mode = mode
        self._bar: tqdm | None = None
        if mode == "bar":
            self._bar = tqdm(
                total=self._total,
                unit="B" if total_bytes else " rows",
                unit_scale=bool(total_bytes),
                file=Unstyled(stream),
                dynamic_ncols=True,
                bar_format=(
                    "{desc} {percentage:3.0f}%|{bar}| {postfix} [{elapsed}<{remaining}]"
                    if self._total
                    else None
                ),
                desc=verb,
            )

    def _rate(self) -> float:
        elapsed = time.monotonic() - self._started
        return self.rows / elapsed if elapsed > 0 else 0.0

    def _share(self) -> float | None:
        position = self._position()
        if not self._total or position is None:
            return None
        return min(position / self._total, 1.0)

    def update(self, rows: int) -> None:
        """`rows` more rows were read (or written)."""
        self.rows += rows
        if self._bar is not None:
            position = self._position()
            if self._total and position is not None:
                self._bar.update(max(position - self._bar.n, 0))
                self._bar.set_postfix_str(f"{self.rows} rows, {self._rate():,.0f} rows/s")
            else:
                self._bar.update(rows)
        elif self._mode == "lines":
            now = time.monotonic()
            if now - self._last_line >= self._interval:
                self._last_line = now
                self._stream.write(self.line())

    def line(self) -> str:
        rate = self._rate()
        text = f"{self._verb} {self.rows} rows, {rate:,.0f} rows/s"
        share = self._share()
        if share is not None:
            text += f", {share:.0%}"
            if 0 < share < 1:
                elapsed = time.monotonic() - self._started
                text += f", about {elapsed / share - elapsed:,.0f} s left"
        return text

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
