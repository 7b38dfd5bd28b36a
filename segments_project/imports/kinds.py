"""The kinds of data `import_data` reads and `export_data` writes: registries the apps
that own the data fill from their `AppConfig.ready()` (`register_kinds`). The engine
knows no model; an unknown kind is a `KeyError`, and `manage.py check` reports an
installed app that registered none (`registry.E001`).

| kind | one row is | key |
|---|---|---|
| categories | a category document (`parentId`) | id |
| products | a product document | id |
| product-categories | `productId`, `categoryId` | the pair |
| customers | a customer document | id |
| legal-entities | a legal entity document | id |
| segments | a segment document | id |
| segment-items | `segmentId`, `type`, `itemId`, `mixins` | segment, type, item |
| segment-customers | `segmentId`, `customerId`, `legalEntityId`, `mixins` | segment, member |

The catalog owns the first three (`catalog.importers`, `catalog.exporters`), segments the
others (`segments.importers`, `segments.exporters`).

The shared loop (chunks, transactions, counting, dry runs) is in `chunks`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from segments_project.registry import Registry

if TYPE_CHECKING:
    from .chunks import Importer
    from .exporters import Exporter
    from .formats import Layout

IMPORTERS: Registry[type[Importer]] = Registry(
    "imports.importers", provided_by=("catalog", "segments")
)
EXPORTERS: Registry[Exporter] = Registry("imports.exporters", provided_by=("catalog", "segments"))


def register_kinds(
    owner: str, *, importers: Iterable[type[Importer]], exporters: Iterable[Exporter]
) -> None:
    """Registers an app's importers and exporters under their kinds."""
    for importer in importers:
        IMPORTERS.register(importer, owner=owner, name=importer.kind)
    for exporter in exporters:
        EXPORTERS.register(exporter, owner=owner, name=exporter.kind)


def kind_suggestion(layout: Layout, names: list[str], *, documents: bool = False) -> str | None:
    """When a file's columns (or, with `documents`, its first document's members) are not
    all the `layout`'s but are all another kind's, the message that names that kind, so a
    members file uploaded as items is recognised rather than refused column by column."""
    known = layout.knows_member if documents else layout.knows_column
    strange = [name for name in names if not known(name)]
    if not strange:
        return None
    for kind in IMPORTERS.names():
        importer = IMPORTERS.get(kind)
        other = importer.layout
        fits = other.knows_member if documents else other.knows_column
        if other is not layout and all(fits(name) for name in names):
            title = importer.title or kind
            article = "an" if title[0].lower() in "aeiou" else "a"
            return (
                f"This looks like {article} {title.lower()} file (column {strange[0]}); "
                f"choose {title} (kind {kind})."
            )
    return None
