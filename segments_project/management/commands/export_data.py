"""`manage.py export_data --tenant T --kind KIND FILE`: a tenant's rows as CSV or JSON Lines.

The file reads back with `import_data` of the same kind (see docs/imports.md). Rows are
streamed; `-` writes to stdout (progress and the summary then go to stderr).
"""

from __future__ import annotations

import functools
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from segments_project.imports.chunks import DEFAULT_CHUNK_SIZE
from segments_project.imports.formats import STDIO, Format, FormatError, detect_format
from segments_project.imports.kinds import EXPORTERS
from segments_project.imports.progress import Progress, Unstyled
from segments_project.imports.writers import open_sink
from segments_project.management.base import TenantCommand
from segments_project.tenancy.models import Tenant

from .import_data import positive_int


class Command(TenantCommand):
    help = (
        "Export a tenant's rows of one kind to a CSV or JSON Lines file (.gz compresses), "
        "or to stdout (-), in the format import_data reads."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--kind", required=True, choices=EXPORTERS.names())
        parser.add_argument("file", help="A .csv, .jsonl or .ndjson file (.gz too), or - (stdout).")
        parser.add_argument(
            "--format", choices=[f.value for f in Format], help="Overrides the extension."
        )
        parser.add_argument(
            "--chunk-size",
            type=positive_int,
            default=DEFAULT_CHUNK_SIZE,
            help=f"Rows fetched per round trip (default {DEFAULT_CHUNK_SIZE}).",
        )
        parser.add_argument("--progress", choices=["auto", "bar", "lines", "none"], default="auto")
        parser.add_argument("--progress-interval", type=float, default=5.0)

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        exporter = EXPORTERS.get(options["kind"])
        path = options["file"]
        try:
            fmt = detect_format(path, options["format"])
        except FormatError as exc:
            raise CommandError(str(exc)) from exc
        to_stdout = path == STDIO
        report = self.stderr if to_stdout else self.stdout
        started = time.monotonic()
        total = exporter.rows(tenant.name).count()
        progress = Progress(
            self.stderr,
            verb="wrote",
            total_rows=total,
            mode=options["progress"],
            interval=options["progress_interval"],
        )
        sink = functools.partial(
            open_sink,
            path,
            fmt,
            exporter.layout,
            stdout=Unstyled(self.stdout) if to_stdout else None,
        )
        try:
            written = exporter.export(
                tenant.name, sink, fmt, chunk_size=options["chunk_size"], progress=progress
            )
        except FormatError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            progress.close()
        seconds = time.monotonic() - started
        target = "stdout" if to_stdout else path
        report.write(f"{exporter.kind}: wrote {written} rows to {target} in {seconds:.1f} s.")
