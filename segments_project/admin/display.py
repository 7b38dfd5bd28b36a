"""Read-only display of admin values: what a view-only user sees instead of inputs (JSON in
the database shown as text), and the form labels read-only fields keep."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join

from .widgets import (
    LinesField,
    LocalizedTextField,
    PrettyJSONField,
    language_label,
    ordered_languages,
)


def localized_html(value: Any) -> str:
    """A map of language to text as a list, the admin's language first."""
    if not value:
        return "-"
    rows = ((language_label(code), value[code]) for code in ordered_languages(value))
    return format_html(
        '<ul class="seg-memberships">{}</ul>', format_html_join("", "<li>{}: {}</li>", rows)
    )


def ids_html(value: Any) -> str:
    """A list of ids, or the rows of a many-to-many relation, comma-separated."""
    items = value.all() if hasattr(value, "all") else value or []
    return ", ".join(str(item) for item in items) or "-"


def json_html(value: Any) -> str:
    if not value:
        return "-"
    return format_html(
        '<pre class="seg-json">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
    )


class ReadOnlyTextWidget(forms.Widget):
    """Shows a model value as text where the admin shows its field read-only: Django renders
    a widget flagged `read_only` itself instead of printing the raw value (JSON here)."""

    read_only = True

    def __init__(self, show: Callable[[Any], str]) -> None:
        super().__init__()
        self.show = show

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> str:
        return self.show(value)


def _read_only_display(field: forms.Field) -> Callable[[Any], str] | None:
    if isinstance(field, LocalizedTextField):
        return localized_html
    if isinstance(field, PrettyJSONField):
        return json_html
    if isinstance(field, LinesField | forms.ModelMultipleChoiceField):
        return ids_html
    return None


def readable_form(
    form: type[forms.ModelForm], declared: dict[str, forms.Field], *, view_only: bool
) -> type[forms.ModelForm]:
    """The admin's form class, showing read-only fields with the form's labels (not the
    model's) and without its edit instructions; for a view-only user, values that are JSON
    in the database (localized texts, id lists, custom data) are shown as text."""

    def __init__(self: forms.ModelForm, *args: Any, **kwargs: Any) -> None:
        form.__init__(self, *args, **kwargs)
        if view_only:
            for field in self.fields.values():
                show = _read_only_display(field)
                if show is not None:
                    field.widget = ReadOnlyTextWidget(show)

    readable = type(form.__name__, (form,), {"__init__": __init__})
    meta = copy.copy(form._meta)
    meta.labels = {
        **{name: field.label for name, field in declared.items() if field.label},
        **(form._meta.labels or {}),
    }
    meta.help_texts = {**dict.fromkeys(declared, ""), **(form._meta.help_texts or {})}
    readable._meta = meta
    return readable
