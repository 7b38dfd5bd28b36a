"""Admin imports as jobs: an uploaded file split into parts, checked (dry run) and then
applied one part per request by the command-line import's importers."""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils import timezone

from segments_project.imports.chunks import repeated_rows
from segments_project.imports.formats import (
    Format,
    FormatError,
    RowProblem,
    SourceRow,
    detect_format,
)
from segments_project.imports.kinds import IMPORTERS
from segments_project.imports.readers import Shape, open_source
from segments_project.imports.rejected import RejectedRows
from segments_project.imports.report import Rejection, RejectionLog, Summary

from ...models import Segment

# Rows an import writes per request: small enough for any request timeout.
IMPORT_CHUNK_ROWS = 2000
# Rows one uploaded file may hold; larger files go through `manage.py import_data`.
IMPORT_MAX_ROWS = 500_000
# Rows of an upload among which repeats are found (about 100 bytes each); beyond them, a
# repeat is found within its part of IMPORT_CHUNK_ROWS rows.
IMPORT_REMEMBERED_ROWS = 100_000
# Rejections kept for the report page; the downloadable file has all of them.
IMPORT_SHOWN_REJECTIONS = 200
# Jobs older than this are deleted when the next upload starts.
IMPORT_JOB_MAX_AGE_SECONDS = 24 * 3600


def import_root() -> Path:
    configured = getattr(settings, "SEGMENTS_ADMIN_IMPORT_DIR", "")
    return Path(configured or tempfile.gettempdir()) / "segments-admin-imports"


_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_COUNTS = ("read", "inserted", "updated", "unchanged", "rejected")


def _empty_counts() -> dict[str, int]:
    return dict.fromkeys(_COUNTS, 0)


def _for_segment(rows: Iterable[SourceRow], segment_id: str) -> Iterator[SourceRow]:
    """The rows with the segment filled in; a row naming another segment is refused."""
    for row in rows:
        document = row.document
        if row.problem is None and isinstance(document, dict):
            named = document.get("segmentId")
            if named in (None, ""):
                document["segmentId"] = segment_id
            elif named != segment_id:
                problem = RowProblem(
                    "segmentId",
                    f"The row is for the segment {named}; this file is imported into {segment_id}.",
                )
                row = SourceRow(line=row.line, problem=problem)
        yield row


class _CollectedRejections(RejectionLog):
    """Counts rejections (as the import's log does) and hands each to `collect`."""

    def __init__(
        self, summary: Summary, collect: Callable[[Rejection], None], rows: RejectedRows
    ) -> None:
        super().__init__(summary, rows=rows)
        self._collect = collect

    def add(self, rejection: Rejection, raw: Any = None) -> None:
        super().add(rejection, raw)
        self._collect(rejection)


class ImportJob:
    """An uploaded file being checked (dry run) and then applied, one part per request.

    The upload is read once, checked for its format and split into parts of
    `IMPORT_CHUNK_ROWS` rows (JSON lines of `[line, document, problem]`) in a private
    folder; `state.json` records the progress. Each step runs the command-line import's
    importer (`segments_project.imports`) over one part, so a large file never holds a
    request for long. Steps of one job are serialized with a file lock.
    """

    def __init__(self, directory: Path, state: dict[str, Any]) -> None:
        self.directory = directory
        self.state = state

    # -- creation and lookup --

    @classmethod
    def create(cls, *, user_id: int, segment: Segment, kind: str, upload: Any) -> ImportJob:
        """Stores and splits the upload; FormatError when the file cannot be read."""
        _forget_old_jobs()
        token = secrets.token_urlsafe(24)
        directory = import_root() / token
        directory.mkdir(parents=True, mode=0o700)
        try:
            name = Path(upload.name).name
            raw = directory / ("upload-" + re.sub(r"[^A-Za-z0-9._-]", "_", name))
            with open(raw, "wb") as target:
                for chunk in upload.chunks():
                    target.write(chunk)
            fmt = detect_format(name)
            rows, parts, shape = cls._split(raw, directory, fmt, kind, segment.public_id)
            raw.unlink()
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        state = {
            "token": token,
            "user": user_id,
            "segment": segment.pk,
            "tenant": segment.tenant_id,
            "segment_id": segment.public_id,
            "kind": kind,
            "file_name": name,
            "format": str(fmt),
            "delimiter": shape.delimiter,
            "header": shape.header,
            "rows": rows,
            "parts": parts,
            "phase": "checking" if parts else "checked",
            "next_part": 0,
            "check": _empty_counts(),
            "apply": _empty_counts(),
            "rejections": [],
            "created": timezone.now().isoformat(),
        }
        job = cls(directory, state)
        job.save()
        return job

    @staticmethod
    def _split(raw: Path, directory: Path, fmt: Format, kind: str, segment_id: str) -> tuple:
        layout = IMPORTERS.get(kind).layout
        rows = parts = 0
        target = None
        try:
            with open_source(str(raw), fmt, layout) as source:
                shape = source.shape
                rows_ = _for_segment(source, segment_id)
                for row in repeated_rows(rows_, IMPORT_REMEMBERED_ROWS):
                    if rows >= IMPORT_MAX_ROWS:
                        raise FormatError(
                            f"The file has more than {IMPORT_MAX_ROWS:,} rows; split it, or "
                            "use the import_data command."
                        )
                    if rows % IMPORT_CHUNK_ROWS == 0:
                        if target is not None:
                            target.close()
                        target = open(directory / f"part-{parts:05d}.jsonl", "w")  # noqa: SIM115
                        parts += 1
                    problem = row.problem and [
                        row.problem.field,
                        row.problem.message,
                        row.problem.type,
                    ]
                    target.write(json.dumps([row.line, row.document, problem, row.raw]) + "\n")
                    rows += 1
        finally:
            if target is not None:
                target.close()
        return rows, parts, shape

    @classmethod
    def load(cls, token: str, *, request: HttpRequest, segment: Segment) -> ImportJob:
        """The user's job for this segment, or 404."""
        if not _TOKEN.match(token):
            raise Http404("No such import.")
        directory = import_root() / token
        try:
            state = json.loads((directory / "state.json").read_text())
        except (OSError, ValueError) as exc:
            raise Http404("No such import (it may have expired).") from exc
        if state.get("user") != request.user.pk or state.get("segment") != segment.pk:
            raise Http404("No such import.")
        return cls(directory, state)

    # -- state --

    def save(self) -> None:
        temporary = self.directory / "state.json.tmp"
        temporary.write_text(json.dumps(self.state))
        os.replace(temporary, self.directory / "state.json")

    @contextmanager
    def locked(self) -> Iterator[None]:
        with open(self.directory / "lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                # Another request may have moved the job on while this one waited.
                self.state = json.loads((self.directory / "state.json").read_text())
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @property
    def token(self) -> str:
        return self.state["token"]

    @property
    def running(self) -> bool:
        return self.state["phase"] in ("checking", "applying")

    @property
    def done_rows(self) -> int:
        return min(self.state["next_part"] * IMPORT_CHUNK_ROWS, self.state["rows"])

    def progress(self) -> dict[str, Any]:
        rows = self.state["rows"]
        return {
            "phase": self.state["phase"],
            "rows": rows,
            "done_rows": self.done_rows if self.running else rows,
            "percent": round(100 * self.done_rows / rows) if rows and self.running else 100,
            "finished": not self.running,
            "check": self.state["check"],
            "apply": self.state["apply"],
        }

    # -- work --

    def _part_rows(self, number: int) -> Iterator[SourceRow]:
        with open(self.directory / f"part-{number:05d}.jsonl") as part:
            for text in part:
                line, document, problem, raw = json.loads(text)
                yield SourceRow(
                    line=line,
                    document=document,
                    problem=RowProblem(*problem) if problem else None,
                    raw=raw,
                )

    def step(self) -> bool:
        """Checks or applies the next part; returns whether the phase just finished."""
        applying = self.state["phase"] == "applying"
        number = self.state["next_part"]
        summary = Summary()
        shown: list[dict[str, Any]] = self.state["rejections"]

        def collect(rejection: Rejection) -> None:
            if len(shown) < IMPORT_SHOWN_REJECTIONS:
                shown.append(asdict(rejection))

        path = self.rejected_rows_path()
        # Bytes that were not UTF-8 are written back as they came (surrogateescape).
        rows_file = open(path, "a", newline="", encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
        log = _CollectedRejections(summary, collect, RejectedRows(rows_file, self.shape()))
        try:
            importer = IMPORTERS.get(self.state["kind"])(
                tenant=self.state["tenant"],
                chunk_size=IMPORT_CHUNK_ROWS,
                dry_run=not applying,
                summary=summary,
                rejections=log,
            )
            importer.run(self._part_rows(number))
        finally:
            log.close()
        counts = self.state["apply" if applying else "check"]
        for name in _COUNTS:
            counts[name] += getattr(summary, name)
        self.state["next_part"] = number + 1
        finished = self.state["next_part"] >= self.state["parts"]
        if finished:
            self.state["phase"] = "done" if applying else "checked"
        self.save()
        return finished

    def shape(self) -> Shape:
        fmt = Format(self.state["format"])
        return Shape(fmt, self.state.get("delimiter", ","), self.state.get("header", []))

    def rejected_rows_path(self) -> Path:
        """The rejected rows of the current phase (the check's, or the import's), in the
        upload's format."""
        phase = "import" if self.state["phase"] in ("applying", "done") else "check"
        extension = "csv" if self.state["format"] == Format.CSV else "jsonl"
        return self.directory / f"rejected-{phase}.{extension}"

    def start_applying(self) -> None:
        if self.state["phase"] != "checked":
            return
        self.state.update(phase="applying" if self.state["parts"] else "done", next_part=0)
        self.state["rejections"] = []
        self.save()

    def delete(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _forget_old_jobs() -> None:
    root = import_root()
    if not root.exists():
        return
    limit = time.time() - IMPORT_JOB_MAX_AGE_SECONDS
    for directory in root.iterdir():
        try:
            if directory.is_dir() and directory.stat().st_mtime < limit:
                shutil.rmtree(directory, ignore_errors=True)
        except OSError:
            continue
