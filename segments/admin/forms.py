"""Forms of the segments admin: the segment itself, its members and items, imports, preview.

Forms only collect and shape input; every rule is checked by the same document functions
and services the API uses (`segment_values`, the member and item services), so the admin
refuses exactly what the API refuses, with the same messages.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin import widgets as admin_widgets
from django.utils import timezone

from catalog.models import Category, Product
from segments_project.admin import DocumentAdminForm, LocalizedTextField, PrettyJSONField
from segments_project.api.documents import format_datetime
from segments_project.tenancy.admin_scoping import TenantAutocompleteSelect, autocomplete_label_of

from ..documents.segments import segment_values
from ..models import (
    Customer,
    LegalEntity,
    Segment,
    SegmentCustomerAssignment,
    SegmentExclusion,
    SegmentItemAssignment,
    SegmentStatus,
)

# Document member (or detail field) of a segment error -> the form field that shows it.
_SEGMENT_ERROR_FIELDS = {
    "name": "name",
    "description": "description",
    "siteCode": "site_code",
    "status": "status",
    "validity": "valid_to",
    "validity.from": "valid_from",
    "validity.to": "valid_to",
    "mixins": "mixins",
    "metadata": "metadata_mixins",
    "metadata.mixins": "metadata_mixins",
    "id": "public_id",
    "criteria": "criteria_q",
    "criteria.q": "criteria_q",
    "criteria.legalEntities": "criteria_legal_entities",
}

# The rule's members and the form fields that edit them (not model fields: one JSON column).
CRITERIA_FORM_FIELDS = (("q", "criteria_q"), ("legalEntities", "criteria_legal_entities"))


def criteria_from_form(values: dict[str, Any]) -> dict[str, str] | None:
    """The rule the criteria fields describe; None (no rule) when both are blank."""
    criteria = {
        member: values[field].strip()
        for member, field in CRITERIA_FORM_FIELDS
        if (values.get(field) or "").strip()
    }
    return criteria or None


def segment_document_from_form(
    values: dict[str, Any], *, version: int | None = None
) -> dict[str, Any]:
    """The API document for a segment form's cleaned values (`metadata.version` when the
    write must be based on a known version)."""
    metadata: dict[str, Any] = {"mixins": values.get("metadata_mixins") or {}}
    if version is not None:
        metadata["version"] = version
    document: dict[str, Any] = {
        "name": values.get("name") or {},
        "description": values.get("description") or None,
        "status": values.get("status"),
        "siteCode": values.get("site_code"),
        "criteria": criteria_from_form(values),
        "mixins": values.get("mixins") or {},
        "metadata": metadata,
        "validity": {
            "from": format_datetime(values.get("valid_from")),
            "to": format_datetime(values.get("valid_to")),
        },
    }
    if values.get("public_id"):
        document["id"] = values["public_id"]
    return document


class SegmentForm(DocumentAdminForm):
    """A segment: names and descriptions one language per input, validated like the API."""

    public_id = forms.CharField(
        label="ID",
        required=False,
        max_length=128,
        help_text="The id API clients use. Leave empty to generate one; fixed once saved.",
    )
    name = LocalizedTextField(
        label="Name",
        help_text="One name per language. Clear a text to remove that language; "
        "add a language in the last row.",
    )
    description = LocalizedTextField(
        label="Description",
        required=False,
        multiline=True,
        help_text="Optional, one text per language.",
    )
    criteria_q = forms.CharField(
        label="Customers matching",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80, "class": "seg-criteria"}),
        help_text="A query over customers, as in the customer list, e.g. "
        'addresses.country:DE mixins.orders.lastOrderAt:>="-30d". Empty: none by this part.',
    )
    criteria_legal_entities = forms.CharField(
        label="Customers of legal entities matching",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80, "class": "seg-criteria"}),
        help_text="A query over legal entities, e.g. name:~Acme; their customers are "
        "selected (B2B, for that legal entity). Both empty: no rule, members by hand only.",
    )
    mixins = PrettyJSONField(
        label="Custom data (mixins)", help_text="A JSON object of custom attributes."
    )
    metadata_mixins = PrettyJSONField(
        label="Mixin schemas",
        help_text='A JSON object of mixin name to schema URL, e.g. {"loyalty": "https://..."}.',
    )

    error_fields = _SEGMENT_ERROR_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A segment added in the admin is meant to work: Active unless the user (or the
        # add link's ?status=) says otherwise. The API's default stays INACTIVE, as the
        # vendor's contract says.
        if self.instance._state.adding and "status" not in (kwargs.get("initial") or {}):
            self.initial["status"] = SegmentStatus.ACTIVE
        criteria = self.instance.criteria or {}
        for member, field in CRITERIA_FORM_FIELDS:
            if field in self.fields:
                self.fields[field].initial = criteria.get(member, "")

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
        labels = {"site_code": "Site", "valid_from": "Valid from", "valid_to": "Valid until"}
        help_texts = {
            "status": "The switch: only active segments give their members anything, and "
            "only while valid (the list says Scheduled before and Expired after the validity).",
            "site_code": "The storefront site the segment belongs to, e.g. main.",
            "valid_from": "Empty: valid from the start. Times: the tenant's time zone.",
            "valid_to": "Empty: valid without end.",
        }

    def check_document(self, cleaned: dict[str, Any]) -> None:
        # Fields the user may not change are not in `cleaned`: the stored values stand.
        values = {
            field: cleaned.get(field, getattr(self.instance, field, None))
            for field in self.Meta.fields
        }
        values |= {field: cleaned.get(field) for _, field in CRITERIA_FORM_FIELDS}
        segment_values(segment_document_from_form(values), content_language=None)


class ScopedChoiceField(forms.ModelChoiceField):
    """A choice of one row of a tenant (or, with `tenant` None, of the `tenants` the user may
    administer; None for all of them), picked with a select2 autocomplete."""

    def __init__(
        self,
        *,
        source: Any,
        admin_site: Any,
        tenant: str | None,
        tenants: frozenset[str] | None = None,
        **kwargs: Any,
    ) -> None:
        model = source.remote_field.model
        queryset = model._default_manager.all()
        if tenant is not None:
            queryset = queryset.filter(tenant_id=tenant)
        elif tenants is not None:
            queryset = queryset.filter(tenant_id__in=tenants)
        widget = TenantAutocompleteSelect(source, admin_site, tenant=tenant)
        super().__init__(queryset=queryset, widget=widget, **kwargs)
        self._label = autocomplete_label_of(admin_site, model)

    def label_from_instance(self, obj: Any) -> str:
        return self._label(obj) if self._label else str(obj)


class MemberAddForm(forms.Form):
    """Adds a customer (B2C), or a customer acting for a legal entity (B2B), to a segment."""

    def __init__(self, *args: Any, segment: Segment, admin_site: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        meta = SegmentCustomerAssignment._meta
        self.fields["customer"] = ScopedChoiceField(
            source=meta.get_field("customer"),
            admin_site=admin_site,
            tenant=segment.tenant_id,
            label="Customer",
            help_text="Type an id, a name or an email address.",
        )
        self.fields["legal_entity"] = ScopedChoiceField(
            source=meta.get_field("legal_entity"),
            admin_site=admin_site,
            tenant=segment.tenant_id,
            required=False,
            label="Acting for (B2B)",
            help_text="Optional: the legal entity the customer buys for; it must be one of "
            "the customer's.",
        )

    @property
    def customer(self) -> Customer:
        return self.cleaned_data["customer"]

    @property
    def legal_entity(self) -> LegalEntity | None:
        return self.cleaned_data.get("legal_entity")


class ExclusionAddForm(forms.Form):
    """Excludes a customer of the segment's tenant from its AUTOMATIC members."""

    def __init__(self, *args: Any, segment: Segment, admin_site: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"] = ScopedChoiceField(
            source=SegmentExclusion._meta.get_field("customer"),
            admin_site=admin_site,
            tenant=segment.tenant_id,
            label="Customer",
            help_text="Type an id, a name or an email address.",
        )

    @property
    def customer(self) -> Customer:
        return self.cleaned_data["customer"]


class ItemAddForm(forms.Form):
    """Gives a segment's members a product, or a category with its whole subtree."""

    def __init__(self, *args: Any, segment: Segment, admin_site: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        meta = SegmentItemAssignment._meta
        self.fields["product"] = ScopedChoiceField(
            source=meta.get_field("product"),
            admin_site=admin_site,
            tenant=segment.tenant_id,
            required=False,
            label="Product",
            help_text="Type an id, a code or a name.",
        )
        self.fields["category"] = ScopedChoiceField(
            source=meta.get_field("category"),
            admin_site=admin_site,
            tenant=segment.tenant_id,
            required=False,
            label="Category",
            help_text="The category and everything below it.",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        chosen = [name for name in ("product", "category") if cleaned.get(name)]
        if len(chosen) != 1:
            raise forms.ValidationError("Choose either a product or a category.")
        return cleaned

    @property
    def item(self) -> tuple[str, Product | Category]:
        product = self.cleaned_data.get("product")
        if product is not None:
            return "PRODUCT", product
        return "CATEGORY", self.cleaned_data["category"]


IMPORT_KINDS = {
    "segment-items": "Items (products and categories)",
    "segment-customers": "Members (customers)",
}


class ImportUploadForm(forms.Form):
    """A CSV or JSON Lines file of item or member assignments for one segment."""

    kind = forms.ChoiceField(
        label="What the file holds",
        choices=list(IMPORT_KINDS.items()),
        widget=forms.RadioSelect,
        initial="segment-items",
    )
    file = forms.FileField(
        label="File",
        help_text="CSV with a header row, or JSON Lines (.jsonl, .ndjson); gzip allowed (.gz).",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = upload.name.lower().removesuffix(".gz")
        if not name.endswith((".csv", ".jsonl", ".ndjson")):
            raise forms.ValidationError("Upload a .csv, .jsonl or .ndjson file (optionally .gz).")
        return upload


class PreviewForm(forms.Form):
    """Whose storefront to show: a customer (B2C or acting for a legal entity), on a site,
    at a moment, in a language."""

    site = forms.CharField(
        label="Site",
        required=False,
        max_length=64,
        help_text="Empty: every site.",
    )
    at = forms.SplitDateTimeField(
        label="When",
        required=False,
        widget=admin_widgets.AdminSplitDateTime,
        help_text="The moment to show, in the tenant's time zone. Empty: now.",
    )
    language = forms.CharField(
        label="Language",
        required=False,
        max_length=16,
        help_text="Names are shown in this language when they have it, e.g. de.",
    )

    def __init__(
        self,
        *args: Any,
        admin_site: Any,
        tenant: str | None,
        tenants: frozenset[str] | None,
        sites: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        meta = SegmentCustomerAssignment._meta
        self.fields["customer"] = ScopedChoiceField(
            source=meta.get_field("customer"),
            admin_site=admin_site,
            tenant=tenant,
            tenants=tenants,
            label="Customer",
            help_text="Whose storefront to show.",
        )
        self.fields["legal_entity"] = ScopedChoiceField(
            source=meta.get_field("legal_entity"),
            admin_site=admin_site,
            tenant=tenant,
            tenants=tenants,
            required=False,
            label="Acting for (B2B)",
            help_text="Optional: the legal entity the customer buys for.",
        )
        self.order_fields(["customer", "legal_entity", "site", "at", "language"])
        if sites:
            self.fields["site"].widget = forms.Select(
                choices=[("", "Every site"), *((site, site) for site in sites)]
            )

    def clean_at(self) -> Any:
        return self.cleaned_data.get("at") or timezone.now()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        customer, legal_entity = cleaned.get("customer"), cleaned.get("legal_entity")
        if customer and legal_entity and legal_entity.tenant_id != customer.tenant_id:
            self.add_error("legal_entity", "Choose a legal entity of the customer's tenant.")
        return cleaned
