"""The admin plumbing every app's admin shares (the ground layer: it knows no app).

- `base`: `ServiceWriteAdmin`, the ModelAdmin that writes through a service;
- `forms`: `DocumentAdminForm` (the forms of API documents), `api_error_on_form`,
  `version_conflict`;
- `display`: `readable_form` and the read-only display of JSON values;
- `widgets`: localized text fields, `PrettyJSONField`, `LinesField`.

The tenant boundary of the admin is tenancy's (`segments_project.tenancy.admin_scoping`).
"""

from .base import ServiceWriteAdmin
from .display import ReadOnlyTextWidget, ids_html, json_html, localized_html, readable_form
from .forms import DocumentAdminForm, api_error_on_form, version_conflict
from .widgets import (
    LinesField,
    LocalizedTextField,
    LocalizedTextWidget,
    PrettyJSONField,
    language_label,
    localized_display,
    ordered_languages,
)

__all__ = [
    "DocumentAdminForm",
    "LinesField",
    "LocalizedTextField",
    "LocalizedTextWidget",
    "PrettyJSONField",
    "ReadOnlyTextWidget",
    "ServiceWriteAdmin",
    "api_error_on_form",
    "ids_html",
    "json_html",
    "language_label",
    "localized_display",
    "localized_html",
    "ordered_languages",
    "readable_form",
    "version_conflict",
]
