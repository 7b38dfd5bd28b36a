"""The import loop every kind shares: read lazily, validate, write chunk by chunk.

Guarantees, whatever the kind:

- Memory is bounded by one chunk: rows are read lazily and only the first rejections
  are kept in memory (all of them go to the errors file).
- Each chunk is one transaction. A failure mid-file leaves every earlier chunk committed
  and nothing of the failing one; since writes are upserts, a re-run completes the work.
- Writes are set-based: per chunk, one query per referenced kind, one query for the
  rows already there, then inserts and updates of many rows per statement.
- A row whose stored values already equal the file's is not written (its version and
  modification time stay), so re-running a file changes nothing.
- A bad row never stops the good ones: it is rejected with its line, field and reason.
- With `dry_run` every chunk is validated and written inside a transaction that is then
  rolled back; nothing is committed and no cache is invalidated.
- Replace mode (kinds that support it) runs the whole file in one transaction.
- A chunk that wrote marks the tenant's storefront caches stale in its own transaction
  (`content_changed_with_commit`): one commit per chunk.

Within a chunk, a key named twice is applied in file order, as two requests would be:
the chunk is split before the repeated row. A row that repeats an earlier row of its
chunk exactly (the same cells, the same JSON text) is rejected as a duplicate
(`repeated_rows`); remembering every row of the file would make memory grow with it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any, ClassVar

from django.db import transaction
from django.utils import timezone

from segments_project.api.documents import check_version, clean_id, invalid
from segments_project.checkpoints import Checkpoint, reached
from segments_project.errors import ApplicationError, ErrorDetail, ValidationFailed, VersionConflict
from segments_project.tenancy.versions import content_changed, content_changed_with_commit
from segments_project.writes import Counts, unique_batches

from .formats import Layout, RowProblem, SourceRow
from .progress import Progress
from .report import Rejection, RejectionLog, Summary

DEFAULT_CHUNK_SIZE = 10_000


@dataclass(slots=True)
class Accepted:
    """A row that passed the document validation: what it addresses and what it asks for.

    `key` identifies the stored row (a public id, or a tuple of public ids);
    `version` is the `metadata.version` the row was based on, if it names one.
    """

    line: int
    key: Hashable
    values: dict[str, Any]
    version: int | None = None


@dataclass
class Checked:
    """A chunk after validation: the accepted rows, and the rejected ones with their error,
    the field to report when the error names none, and their document."""

    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[tuple[int, ApplicationError, str | None, Any]] = field(default_factory=list)


@contextmanager
def older_objects_frozen() -> Iterator[None]:
    """Leaves the objects that exist before the block (Django's, the project's) out of
    the garbage collector's scans until it ends. An import allocates a few objects per
    row, which sets off a full collection every few chunks; each one rescanned them all,
    about a third of the import's Python time (measured: 1.0 s of 2.8 s per 200,000
    rows; 0.2 s frozen)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def chunked(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    chunk: list[SourceRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def repeated_rows(rows: Iterable[SourceRow], limit: int) -> Iterator[SourceRow]:
    """The rows, those repeating an earlier one exactly turned into rejected "duplicate"
    rows (a repeat is a mistake of the file; it would count as unchanged). The first
    `limit` rows are remembered (about 100 bytes each); repeats of later ones pass."""
    seen: dict[int, int] = {}
    for row in rows:
        if row.problem is None and row.raw is not None:
            fingerprint = hash(tuple(row.raw) if isinstance(row.raw, list) else row.raw)
            first = seen.get(fingerprint)
            if first is not None:
                message = f"This row repeats line {first}; it is imported once."
                row = row._replace(problem=RowProblem("body", message, "duplicate"))
            elif len(seen) < limit:
                seen[fingerprint] = row.line
        yield row


def required_id(document: dict[str, Any], field: str = "id") -> str:
    """The document's id, which an import must give (it is how a re-run finds the row)."""
    value = document.get(field)
    if value in (None, ""):
        raise invalid(field, f"{field} is required.", type="required")
    return clean_id(value, field)


def require_object(document: Any, label: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise invalid("body", f"A {label} must be a JSON object.")
    return document


def not_found(label: str, field: str, public_id: str) -> ValidationFailed:
    """The rejection of a row naming a `label` (`field`) that the tenant does not have."""
    message = f"The {label} with id {public_id} has not been found."
    return ValidationFailed(
        message, resource_id=public_id, details=[ErrorDetail(field, "not_found", message)]
    )


def version_conflict(item: Accepted, current: int) -> VersionConflict | None:
    """The API's 409 when the row names a `metadata.version` other than the stored one."""
    try:
        check_version(current=current, requested=item.version, resource_id=str(item.key))
    except VersionConflict as exc:
        return exc
    return None


class Importer:
    """Imports one kind of rows into one tenant. Subclasses say how a document is accepted
    (`accept`, using the API's document functions) and how a batch is written (`write`)."""

    kind: ClassVar[str]
    label: ClassVar[str]
    # What people call a file of this kind where they choose it ("Members"); else the kind.
    title: ClassVar[str] = ""
    layout: ClassVar[Layout]
    # The API's field names mapped to the file's column names, where they differ.
    renamed: ClassVar[dict[str, str]] = {}
    replaceable: ClassVar[bool] = False
    # A dry run holds the whole file in one (rolled back) transaction, because later rows
    # depend on earlier ones being written (a category's parent).
    dry_run_in_one_transaction: ClassVar[bool] = False

    def __init__(
        self,
        *,
        tenant: str,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        dry_run: bool = False,
        replace: bool = False,
        rejections: RejectionLog | None = None,
        summary: Summary | None = None,
        progress: Progress | None = None,
    ) -> None:
        if replace and not self.replaceable:
            raise ValueError(f"{self.kind} cannot be imported in replace mode.")
        self.tenant = tenant
        self.chunk_size = chunk_size
        self.dry_run = dry_run
        self.replace = replace
        self.summary = summary or Summary()
        self.summary.kind = self.kind
        self.summary.dry_run = dry_run
        self.summary.replace = replace
        self.rejections = rejections or RejectionLog(self.summary)
        self.progress = progress
        self._one_transaction = replace or (dry_run and self.dry_run_in_one_transaction)
        self._changed = False
        # The current chunk's rows as the file gives them, for the rejected rows file, and
        # its rejections until the chunk ends.
        self._raws: dict[int, Any] = {}
        self._pending: list[tuple[Rejection, Any]] | None = None

    # --- what a kind provides -------------------------------------------------------

    def accept(self, line: int, document: Any) -> Accepted:
        """The validated row, or an ApplicationError naming the first problem."""
        raise NotImplementedError

    def write(self, batch: list[Accepted], counts: Counts, now: datetime) -> None:
        """Writes a batch (no key twice) inside the chunk's transaction, counting each row
        as inserted, updated or unchanged, or rejecting it (`self.reject`)."""
        raise NotImplementedError

    def finish(self) -> None:
        """Work after the last chunk (a final pass over rows that had to wait)."""

    def prune(self) -> int:
        """Replace mode: removes what the file did not name; returns how many rows."""
        return 0

    def rejected(self, line: int, document: Any) -> None:
        """Called for every rejected row with its document (or key), if there is one."""

    # --- the loop -------------------------------------------------------------------

    def reject(
        self, line: int, error: ApplicationError, *, field: str | None = None, document: Any = None
    ) -> None:
        rejection = Rejection.from_error(line, error, field=field, renamed=self.renamed)
        if self._pending is None:
            self.rejections.add(rejection, raw=self._raws.get(line))
        else:
            self._pending.append((rejection, self._raws.get(line)))
        self.rejected(line, document)

    def _report_pending(self) -> None:
        """Reports the chunk's rejections by line, whichever pass (reading, validation,
        lookups) found them, so the rejected rows keep the file's order."""
        pending, self._pending = self._pending or [], None
        for rejection, raw in sorted(pending, key=lambda entry: entry[0].line):
            self.rejections.add(rejection, raw=raw)

    def run(self, rows: Iterable[SourceRow]) -> Summary:
        started = time.monotonic()
        with older_objects_frozen():
            self._run(rows)
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _run(self, rows: Iterable[SourceRow]) -> None:
        if self._one_transaction:
            with transaction.atomic():
                self._chunks(rows)
                if self.replace:
                    self.summary.deleted = self.prune()
                    self._changed = self._changed or self.summary.deleted > 0
                if self.dry_run:
                    transaction.set_rollback(True)
                elif self._changed:
                    content_changed(tenant=self.tenant)
        else:
            self._chunks(rows)

    def _chunks(self, rows: Iterable[SourceRow]) -> None:
        # Reading and validating the next chunk in a thread, meant to overlap the database
        # work on this one, measured slower: the GIL makes every query of the chunk wait
        # for the validating thread, which costs more than the overlap gains (see
        # docs/benchmarks.md).
        for number, chunk in enumerate(chunked(rows, self.chunk_size), start=1):
            chunk = list(repeated_rows(chunk, len(chunk)))
            self.summary.read += len(chunk)
            self.apply(chunk)
            if self.progress is not None:
                self.progress.update(len(chunk))
            reached(Checkpoint.IMPORT_CHUNK_DONE, number=number)
        self.finish()

    def checked(self, rows: Iterable[SourceRow]) -> Checked:
        """The rows validated by the document functions, without database access."""
        checked = Checked()
        for row in rows:
            if row.problem is not None:
                field_, message = row.problem.field, row.problem.message
                detail = ErrorDetail(field_, row.problem.type, message)
                problem = ValidationFailed(message, details=[detail])
                checked.rejected.append((row.line, problem, field_, None))
                continue
            try:
                checked.accepted.append(self.accept(row.line, row.document))
            except ApplicationError as exc:
                checked.rejected.append((row.line, exc, None, row.document))
        return checked

    def apply(self, rows: Iterable[SourceRow]) -> None:
        """Validates and writes one chunk in one transaction (a savepoint in replace mode)."""
        rows = list(rows)
        self._raws = {row.line: row.raw for row in rows}
        self._pending = []
        try:
            self._apply(rows)
        finally:
            self._report_pending()

    def _apply(self, rows: list[SourceRow]) -> None:
        checked = self.checked(rows)
        for line, error, column, document in checked.rejected:
            self.reject(line, error, field=column, document=document)
        counts = Counts()
        # Inside a caller's transaction (or replace mode's) a chunk is only a savepoint.
        outermost = not transaction.get_connection().in_atomic_block
        succeeded = False
        try:
            with transaction.atomic():
                now = timezone.now()
                for batch in unique_batches(checked.accepted, key=attrgetter("key")):
                    self.write(batch, counts, now)
                if self.dry_run and not self._one_transaction:
                    transaction.set_rollback(True)
                elif counts.wrote and not self.dry_run:
                    if self._one_transaction:
                        self._changed = True
                    elif outermost:
                        content_changed_with_commit(tenant=self.tenant)
                    else:
                        content_changed(tenant=self.tenant)
            succeeded = not (self.dry_run and not self._one_transaction)
        finally:
            self.transaction_ended(committed=succeeded, outermost=outermost)
        self.summary.add(counts)
        if succeeded and outermost:
            self.committed(counts)

    def transaction_ended(self, *, committed: bool, outermost: bool) -> None:
        """Called after each chunk's transaction (a savepoint unless `outermost`) ended:
        committed (released), or rolled back."""

    def committed(self, counts: Counts) -> None:
        """Called after each chunk that committed, outside its transaction."""
