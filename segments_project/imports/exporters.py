"""Exports of a tenant's data in the formats `import_data` reads, streamed: what every
kind shares (`Exporter`); the app that owns a kind declares its exporter
(`catalog.exporters`, `segments.exporters`) and registers it (`kinds.EXPORTERS`).

Each row is what an import of the same kind expects: the API's document without the
stored metadata (version and timestamps belong to the database the row lands in; mixin
schemas are kept). Rows come in a stable order (by public ids; categories parents
first), read with `.iterator()` so memory stays flat, so an export imported into another
tenant and exported again gives the same file.

CSV needs its header first: one column per language of each localized member, so the
languages in use are collected in a first pass over those columns only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .formats import Format, Layout
from .kinds import IMPORTERS
from .progress import Progress
from .writers import Sink


def write_shape(document: dict[str, Any]) -> dict[str, Any]:
    """The document as a write sends it: stored metadata dropped, mixin schemas kept."""
    metadata = document.pop("metadata", None) or {}
    if metadata.get("mixins"):
        document["metadata"] = {"mixins": metadata["mixins"]}
    return document


def with_mixins(document: dict[str, Any], mixins: dict, schemas: dict) -> dict[str, Any]:
    """An assignment's row: its mixins and their schemas added when it has any."""
    if mixins:
        document["mixins"] = mixins
    if schemas:
        document["metadata"] = {"mixins": schemas}
    return document


@dataclass(frozen=True)
class Exporter:
    """What one kind exports: its rows in a stable order and how each is rendered."""

    kind: str
    rows: Callable[[str], QuerySet]
    render: Callable[[Any], dict[str, Any]]
    # (CSV member, model field) of the localized members, for the header's languages.
    localized: tuple[tuple[str, str], ...] = ()

    @property
    def layout(self) -> Layout:
        """The columns of the kind's import, so that an export reads back."""
        return IMPORTERS.get(self.kind).layout

    def languages(self, tenant: str, chunk_size: int) -> dict[str, list[str]]:
        found: dict[str, set[str]] = {member: set() for member, _ in self.localized}
        for member, field in self.localized:
            values = self.rows(tenant).values_list(field, flat=True).order_by()
            for value in values.iterator(chunk_size=chunk_size):
                found[member].update(value or {})
        return {member: sorted(languages) for member, languages in found.items()}

    def export(
        self, tenant: str, open_sink: Callable[..., Sink], fmt: Format, *, chunk_size: int,
        progress: Progress | None = None,
    ) -> int:  # fmt: skip
        """Writes every row of the kind to the sink `open_sink(languages=...)` opens."""
        languages = self.languages(tenant, chunk_size) if fmt is Format.CSV else {}
        sink = open_sink(languages=languages)
        try:
            self._write(sink, self.rows(tenant).iterator(chunk_size=chunk_size), progress)
        finally:
            sink.close()
        return sink.rows

    def _write(self, sink: Sink, rows: Iterable[Any], progress: Progress | None) -> None:
        pending = 0
        for row in rows:
            sink.write(self.render(row))
            pending += 1
            if progress is not None and pending >= 1000:
                progress.update(pending)
                pending = 0
        if progress is not None and pending:
            progress.update(pending)
