"""`manage.py import_data --tenant T --kind KIND FILE`: bulk upserts from CSV or JSON Lines.

See docs/imports.md. The command parses arguments and prints; the work is done by the
importer of the kind (registered in `segments_project.imports.kinds` by the app that owns
it), which returns the summary printed.
Exits with an error when any row was rejected, after importing all the others.
"""

from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import CommandError
from django.db import DatabaseError

from segments_project.imports.chunks import DEFAULT_CHUNK_SIZE
from segments_project.imports.formats import Format, FormatError, detect_format
from segments_project.imports.kinds import IMPORTERS
from segments_project.imports.progress import Progress
from segments_project.imports.readers import open_source
from segments_project.imports.rejected import rejected_rows_file
from segments_project.imports.report import RejectionLog, Summary
from segments_project.management.base import TenantCommand
from segments_project.tenancy.models import Tenant


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ArgumentTypeError("must be at least 1")
    return value


class Command(TenantCommand):
    help = (
        "Import rows of one kind into a tenant from a CSV (header row) or JSON Lines file, "
        "gzip or not, or from stdin (-). Rows are upserted by key in chunks, one transaction "
        "each; rejected rows are reported with their line and the command then fails."
    )
    # Tests pass a binary stream to read `-` from.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--kind", required=True, choices=IMPORTERS.names())
        parser.add_argument("file", help="A .csv, .jsonl or .ndjson file (.gz too), or - (stdin).")
        parser.add_argument(
            "--format", choices=[f.value for f in Format], help="Overrides the extension."
        )
        parser.add_argument(
            "--chunk-size",
            type=positive_int,
            default=DEFAULT_CHUNK_SIZE,
            help=f"Rows per transaction (default {DEFAULT_CHUNK_SIZE}).",
        )
        parser.add_argument(
            "--errors", metavar="FILE", help="Write every rejected row here (.csv or .jsonl)."
        )
        parser.add_argument(
            "--rejected-rows",
            metavar="FILE",
            help="Write every rejected row here, in the input's format (CSV with its "
            "delimiter and header, or JSON Lines) with an error column: fix and import it.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate everything, write nothing."
        )
        parser.add_argument(
            "--mode",
            choices=["upsert", "replace"],
            default="upsert",
            help=(
                "replace (segment-items, segment-customers): each segment in the file keeps "
                "exactly the rows of the file; runs in one transaction."
            ),
        )
        parser.add_argument(
            "--progress",
            choices=["auto", "bar", "lines", "none"],
            default="auto",
            help="auto: a bar on a terminal, periodic lines otherwise.",
        )
        parser.add_argument(
            "--progress-interval",
            type=float,
            default=5.0,
            help="Seconds between progress lines (default 5).",
        )

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        importer_class = IMPORTERS.get(options["kind"])
        replace = options["mode"] == "replace"
        if replace and not importer_class.replaceable:
            raise CommandError(f"--mode replace is not available for {options['kind']}.")
        summary = Summary()
        try:
            fmt = detect_format(options["file"], options["format"])
            source = open_source(
                options["file"], fmt, importer_class.layout, stdin=options.get("stdin")
            )
        except FormatError as exc:
            raise CommandError(str(exc)) from exc
        progress = Progress(
            self.stderr,
            total_bytes=source.size,
            position=source.position,
            mode=options["progress"],
            interval=options["progress_interval"],
        )
        try:
            rows = rejected_rows_file(options["rejected_rows"], source.shape)
            rejections = RejectionLog(summary, options["errors"], rows=rows)
        except FormatError as exc:
            source.close()
            raise CommandError(str(exc)) from exc
        importer = importer_class(
            tenant=tenant.name,
            chunk_size=options["chunk_size"],
            dry_run=options["dry_run"],
            replace=replace,
            rejections=rejections,
            summary=summary,
            progress=progress,
        )
        try:
            with source:
                importer.run(source)
        except (FormatError, DatabaseError) as exc:
            raise CommandError(self._stopped(summary, exc)) from exc
        finally:
            progress.close()
            rejections.close()
        for line in summary.lines():
            self.stdout.write(line)
        if summary.rejected:
            files = [options[name] for name in ("errors", "rejected_rows") if options[name]]
            where = f"; every one is in {' and '.join(files)}" if files else ""
            rows = "1 row was" if summary.rejected == 1 else f"{summary.rejected} rows were"
            raise CommandError(f"{rows} rejected{where}.")

    @staticmethod
    def _stopped(summary: Summary, exc: Exception) -> str:
        return (
            f"Stopped after reading {summary.read} rows: {exc} The chunks before were "
            "committed (nothing of the failing one, nothing at all in replace mode or a "
            "dry run); fix the problem and run the same file again to complete the import."
        )
