"""Admin for segments; every write goes through the segments services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from segments_project.api.documents import format_datetime
from segments_project.errors import ApplicationError

from . import services
from .documents import segment_values
from .models import Segment


def segment_document_from_form(segment: Segment) -> dict[str, Any]:
    """The API document for the values an admin form put on an unsaved instance."""
    document: dict[str, Any] = {
        "name": segment.name,
        "description": segment.description or None,
        "status": segment.status,
        "siteCode": segment.site_code,
        "mixins": segment.mixins,
        "metadata": {"mixins": segment.metadata_mixins},
        "validity": {
            "from": format_datetime(segment.valid_from),
            "to": format_datetime(segment.valid_to),
        },
    }
    return document


class SegmentAdminForm(forms.ModelForm):
    """Checks the form with the same rules as the API before anything is saved."""

    class Meta:
        model = Segment
        fields = [
            "tenant",
            "public_id",
            "name",
            "description",
            "status",
            "site_code",
            "valid_from",
            "valid_to",
            "mixins",
            "metadata_mixins",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        candidate = Segment(
            **{
                field: cleaned.get(field, getattr(self.instance, field))
                for field in (
                    "name",
                    "description",
                    "status",
                    "site_code",
                    "valid_from",
                    "valid_to",
                    "mixins",
                    "metadata_mixins",
                )
            }
        )
        try:
            segment_values(segment_document_from_form(candidate), content_language=None)
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from exc
        return cleaned


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    form = SegmentAdminForm
    list_display = [
        "public_id",
        "tenant",
        "display_name",
        "site_code",
        "status",
        "valid_from",
        "valid_to",
    ]
    list_filter = ["status", "site_code", "tenant"]
    search_fields = ["public_id", "name"]
    fields = [
        "tenant",
        "public_id",
        "name",
        "description",
        "status",
        "site_code",
        "valid_from",
        "valid_to",
        "mixins",
        "metadata_mixins",
        "version",
    ]
    readonly_fields = ["version"]

    def get_readonly_fields(self, request: HttpRequest, obj: Segment | None = None) -> list[str]:
        return ["tenant", "public_id", "version"] if obj else ["version"]

    @admin.display(description="name")
    def display_name(self, segment: Segment) -> str:
        return segment.name.get(request_language(), next(iter(segment.name.values()), ""))

    def save_model(self, request: HttpRequest, obj: Segment, form: Any, change: bool) -> None:
        document = segment_document_from_form(obj)
        saved, _ = services.segment_upsert(
            tenant=obj.tenant_id, segment_id=obj.public_id, document=document
        )
        obj.pk = saved.pk
        obj.version = saved.version

    def delete_model(self, request: HttpRequest, obj: Segment) -> None:
        services.segment_delete(tenant=obj.tenant_id, segment_id=obj.public_id, force=True)


def request_language() -> str:
    from django.utils import translation

    return (translation.get_language() or "en").split("-")[0]
