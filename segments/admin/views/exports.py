"""Streamed CSV downloads of segments' members or items, in the import's own layout."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from django.http import StreamingHttpResponse

from segments_project.imports.formats import Format
from segments_project.imports.kinds import EXPORTERS
from segments_project.imports.writers import Sink

from ...models import Segment


def _csv_chunks(kind: str, segments: list[Segment]) -> Iterator[str]:
    """The rows of the segments' assignments in the import's CSV layout, a chunk at a time.

    The columns are the command-line export's (`segments.exporters`), so a downloaded
    file imports back unchanged.
    """
    exporter = EXPORTERS.get(kind)
    buffer = io.StringIO()
    sink = Sink(buffer, Format.CSV, exporter.layout, languages={})
    by_tenant: dict[str, list[int]] = {}
    for segment in segments:
        by_tenant.setdefault(segment.tenant_id, []).append(segment.pk)
    for tenant, pks in sorted(by_tenant.items()):
        rows = exporter.rows(tenant).filter(segment_id__in=pks)
        for row in rows.iterator(chunk_size=2000):
            sink.write(exporter.render(row))
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


def assignments_csv_response(kind: str, segments: list[Segment]) -> StreamingHttpResponse:
    """A streamed CSV download of the segments' members (`segment-customers`) or items."""
    what = "members" if kind == "segment-customers" else "items"
    stem = segments[0].public_id if len(segments) == 1 else "segments"
    safe_stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem)
    response = StreamingHttpResponse(_csv_chunks(kind, segments), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{safe_stem}-{what}.csv"'
    return response
