"""What an import reports: every rejected row (line, field, reason) and the final counts."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from typing import IO, Any, Protocol

from segments_project.errors import ApplicationError
from segments_project.writes import Counts

from .formats import FormatError

# How many rejections the summary prints; the errors file holds all of them.
PRINTED_REJECTIONS = 20

_ERROR_TYPES = {
    HTTPStatus.NOT_FOUND: "not_found",
    HTTPStatus.CONFLICT: "conflict",
}


@dataclass(frozen=True)
class Rejection:
    """A row that was not imported: where it is, which field is wrong and why."""

    line: int
    field: str
    type: str
    message: str
    id: str | None = None

    @classmethod
    def from_error(
        cls,
        line: int,
        error: ApplicationError,
        *,
        field: str | None = None,
        renamed: dict[str, str] | None = None,
    ) -> Rejection:
        """The rejection an API error describes; `field` names the column when the error
        has no details, `renamed` maps the API's field names to the file's columns."""
        detail = error.details[0] if error.details else None
        name = detail.field if detail else field or "body"
        kind = detail.type if detail else _ERROR_TYPES.get(error.status_code, "invalid")
        return cls(
            line=line,
            field=(renamed or {}).get(name, name),
            type=kind,
            message=error.message,
            id=error.resource_id,
        )

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


@dataclass
class Summary(Counts):
    """The result of one import, as the command prints it."""

    kind: str = ""
    read: int = 0
    rejected: int = 0
    deleted: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    replace: bool = False
    first_rejections: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        prefix = "Dry run (nothing written): " if self.dry_run else ""
        counts = (
            f"read {self.read}, inserted {self.inserted}, updated {self.updated}, "
            f"unchanged {self.unchanged}, rejected {self.rejected}"
        )
        if self.replace:
            counts += f", deleted {self.deleted}"
        lines = [f"{prefix}{self.kind}: {counts} in {self.seconds:.1f} s."]
        lines += self.notes
        if self.first_rejections:
            shown = len(self.first_rejections)
            heading = "Rejected rows" if shown == self.rejected else f"First {shown} rejected rows"
            lines.append(f"{heading}:")
            lines += [f"  {rejection}" for rejection in self.first_rejections]
        return lines


_ERROR_COLUMNS = ["line", "field", "type", "message", "id"]


class RowsSink(Protocol):
    """Where rejected rows go as rows of the input (`rejected.RejectedRows`)."""

    def write(self, rejection: Rejection, raw: Any) -> None: ...

    def close(self) -> None: ...


class RejectionLog:
    """Collects rejections: all of them into the errors file (CSV or JSON Lines by its
    extension), the first few into the summary. Memory stays bounded whatever the count."""

    def __init__(
        self, summary: Summary, path: str | None = None, *, rows: RowsSink | None = None
    ) -> None:
        self._summary = summary
        self._file: IO[str] | None = None
        self._csv: Any = None
        self._rows = rows
        if path is None:
            return
        lowered = path.lower()
        if not lowered.endswith((".csv", ".jsonl", ".ndjson")):
            raise FormatError(f"The errors file {path} must end in .csv, .jsonl or .ndjson.")
        try:
            self._file = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise FormatError(f"Cannot write {path}: {exc.strerror}.") from exc
        if lowered.endswith(".csv"):
            self._csv = csv.writer(self._file, lineterminator="\n")
            self._csv.writerow(_ERROR_COLUMNS)

    def add(self, rejection: Rejection, raw: Any = None) -> None:
        """Counts and records the rejection; `raw` is the row as the file gave it."""
        if self._rows is not None:
            self._rows.write(rejection, raw)
        self._summary.rejected += 1
        if len(self._summary.first_rejections) < PRINTED_REJECTIONS:
            self._summary.first_rejections.append(rejection)
        if self._csv is not None:
            self._csv.writerow(["" if v is None else v for v in asdict(rejection).values()])
        elif self._file is not None:
            self._file.write(json.dumps(asdict(rejection), ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        if self._rows is not None:
            self._rows.close()


def read_rejections(path: str) -> list[dict[str, Any]]:
    """The rejections an errors file holds (for tests and tools)."""
    with open(path, encoding="utf-8", newline="") as file:
        if path.lower().endswith(".csv"):
            rows = list(csv.DictReader(io.StringIO(file.read())))
            return [{**row, "line": int(row["line"]), "id": row["id"] or None} for row in rows]
        return [json.loads(line) for line in file if line.strip()]
