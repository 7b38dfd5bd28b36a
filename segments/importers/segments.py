"""The `segments` import kind: segment documents, upserted by id as a `PUT
/segments/{id}` would, written by `segments_upsert_many` (see
`segments_project.imports.documents`), with one audit event per written segment as the
API records it."""

from __future__ import annotations

from segments_project.imports.documents import DocumentImporter
from segments_project.imports.formats import MIXINS, Field, FieldType, Layout

from ..documents.segments import segment_values
from ..services.segments import segments_upsert_many


class SegmentImporter(DocumentImporter):
    kind = "segments"
    label = "segment"
    layout = Layout(
        (
            Field("id"),
            Field("name", FieldType.LOCALIZED),
            Field("description", FieldType.LOCALIZED),
            Field("status"),
            Field("siteCode"),
            Field("validity.from"),
            Field("validity.to"),
            Field("criteria.q"),
            Field("criteria.legalEntities"),
            *MIXINS,
        )
    )
    values = staticmethod(segment_values)
    upsert_many = staticmethod(segments_upsert_many)
