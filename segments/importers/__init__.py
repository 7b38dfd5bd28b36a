"""The import kinds the segments app owns, registered in `segments_project.imports.kinds`
by `SegmentsConfig.ready()`: `legal-entities`, `customers`, `segments`, `segment-items`,
`segment-customers`."""

from __future__ import annotations

from segments_project.imports.chunks import Importer

from .assignments import SegmentCustomerImporter, SegmentItemImporter
from .customers import CustomerImporter, LegalEntityImporter
from .segments import SegmentImporter

KINDS: tuple[type[Importer], ...] = (
    LegalEntityImporter,
    CustomerImporter,
    SegmentImporter,
    SegmentItemImporter,
    SegmentCustomerImporter,
)
