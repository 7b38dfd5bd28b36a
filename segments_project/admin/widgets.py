"""Form fields every app's admin shares: localized texts edited one language per input,
custom data as indented JSON, lists of ids one per line.

Values are checked as the API checks them (language codes, text lengths, storable JSON),
so the admin refuses what the API refuses, with the same reasons.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, get_language_info

from segments_project.api.localization import LANGUAGE_PATTERN, MAX_TEXT_LENGTH
from segments_project.api.parsers import UnstorableJSON, decode_json


def language_label(code: str) -> str:
    """ "German (de)" in the admin's language, or the code when Django does not know it."""
    try:
        info = get_language_info(code)
    except KeyError:
        return code
    return f"{info['name_translated']} ({code})"


def ordered_languages(languages: Iterable[str]) -> list[str]:
    """The admin's language first, then English, then the others alphabetically."""
    active = (get_language() or "en").split("-")[0]
    return sorted(set(languages), key=lambda code: (code != active, code != "en", code))


def localized_display(value: dict[str, str] | None) -> str:
    """The text in the admin's language, else English, else any language."""
    if not value:
        return ""
    for code in ordered_languages(value):
        if value[code]:
            return value[code]
    return ""


class LocalizedTextWidget(forms.Widget):
    """One text input per language, side by side: the tenant's languages (`languages`, set
    by the form) and those the value has, plus an empty "add language" row.

    Inputs are named `<name>__<language>`; an empty one is not stored, so clearing a text
    drops that language. The new row is `<name>__add_language` and `<name>__add_text` (a
    language code cannot contain `_`, so the names never collide).
    """

    def __init__(self, *, multiline: bool = False, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.multiline = multiline
        self.languages: list[str] = []

    def format_value(self, value: Any) -> dict[str, str]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return {}
        return value if isinstance(value, dict) else {}

    def _input(self, name: str, text: str, *, placeholder: str = "") -> str:
        if self.multiline:
            return format_html(
                '<textarea name="{}" id="id_{}" rows="2" cols="60" placeholder="{}">{}</textarea>',
                name,
                name,
                placeholder,
                text,
            )
        return format_html(
            '<input type="text" name="{}" id="id_{}" value="{}" size="50" placeholder="{}">',
            name,
            name,
            text,
            placeholder,
        )

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> str:
        texts = self.format_value(value)
        rows = format_html_join(
            "",
            '<div class="localized-row"><label for="id_{}" class="localized-language">{}</label>'
            "{}</div>",
            (
                (
                    f"{name}__{code}",
                    language_label(code),
                    self._input(f"{name}__{code}", texts.get(code, "")),
                )
                for code in ordered_languages([*texts, *self.languages])
            ),
        )
        new_row = format_html(
            '<div class="localized-row localized-new">'
            '<input type="text" name="{}__add_language" id="id_{}__add_language" size="6" '
            'placeholder="+ e.g. fr" aria-label="Language code to add" class="localized-language">'
            "{}</div>",
            name,
            name,
            self._input(f"{name}__add_text", "", placeholder="Text in the added language"),
        )
        return format_html('<div class="localized-text" id="id_{}">{}{}</div>', name, rows, new_row)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> dict[str, str] | None:
        prefix = f"{name}__"
        found = False
        texts: dict[str, str] = {}
        for key in data:
            if not key.startswith(prefix):
                continue
            found = True
            code = key[len(prefix) :]
            if code in ("add_language", "add_text"):
                continue
            texts[code] = data.get(key, "")
        if not found:
            return None
        new_language = (data.get(f"{prefix}add_language") or "").strip()
        new_text = data.get(f"{prefix}add_text") or ""
        if new_language or new_text.strip():
            # A text without a language is kept under "" so the field can name the mistake.
            texts[new_language.lower()] = new_text
        return texts

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return not any(key.startswith(f"{name}__") for key in data)


class LocalizedTextField(forms.Field):
    """A map of language code to text, edited one language per input; empty texts are
    dropped, language codes checked like the API checks them."""

    widget = LocalizedTextWidget

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("widget", LocalizedTextWidget(multiline=multiline))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return value

    def to_python(self, value: Any) -> dict[str, str]:
        if not value:
            return {}
        if isinstance(value, str):
            value = json.loads(value)
        cleaned: dict[str, str] = {}
        for code, text in value.items():
            text = (text or "").strip()
            if not text:
                continue
            if not code:
                raise forms.ValidationError("Give the language code of the added text (e.g. de).")
            if not LANGUAGE_PATTERN.match(code):
                raise forms.ValidationError(
                    f"{code!r} is not a language code (e.g. en, de, fr-CH)."
                )
            if len(text) > MAX_TEXT_LENGTH:
                raise forms.ValidationError(
                    f"The {code} text is longer than {MAX_TEXT_LENGTH} characters."
                )
            cleaned[code] = text
        return cleaned

    def validate(self, value: dict[str, str]) -> None:
        if self.required and not value:
            raise forms.ValidationError("Give a text in at least one language.", code="required")

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(initial or {}) != self.to_python(data or {})
        except forms.ValidationError:
            return True


class _StorableJSONDecoder(json.JSONDecoder):
    """The API's decoder (`decode_json`) for Django's JSON form field: what it refuses is
    invalid JSON to the form (redisplayed as typed), never a 500."""

    def decode(self, s: str, *args: Any) -> Any:
        try:
            return decode_json(s)
        except UnstorableJSON as exc:
            raise json.JSONDecodeError(str(exc), s, 0) from exc


class PrettyJSONField(forms.JSONField):
    """Custom data (mixins) as indented JSON, an empty object when blank."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "cols": 70}))
        kwargs.setdefault("decoder", _StorableJSONDecoder)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        # Says why JSON the API would refuse is refused (Django would say "Enter a valid JSON.").
        if isinstance(value, str) and not self.disabled:
            try:
                decode_json(value)
            except UnstorableJSON as exc:
                raise forms.ValidationError(str(exc), code="invalid") from exc
            except ValueError:
                pass  # not JSON: Django's message
        return super().to_python(value)

    def prepare_value(self, value: Any) -> str:
        if value in (None, "", {}):
            return ""
        if isinstance(value, str):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)

    def has_changed(self, initial: Any, data: Any) -> bool:
        # A blank textarea is the empty object it displays (`prepare_value`) and saves as
        # (`clean`); Django's JSONField compares it as None with the stored {}, so every
        # save of a segment without custom data claimed the mixins changed.
        if self.disabled:
            return False
        try:
            submitted = self.to_python(data)
        except forms.ValidationError:
            return True
        empty = (None, "", {})
        if initial in empty and submitted in empty:
            return False
        if isinstance(initial, str):
            try:
                initial = json.loads(initial, cls=self.decoder)
            except ValueError:
                return True
        return json.dumps(initial, sort_keys=True) != json.dumps(submitted, sort_keys=True)

    def clean(self, value: Any) -> Any:
        cleaned = super().clean(value)
        if cleaned in (None, ""):
            return {}
        if not isinstance(cleaned, dict):
            raise forms.ValidationError('Give a JSON object, e.g. {"loyalty": {"tier": 2}}.')
        return cleaned


class LinesField(forms.CharField):
    """A list of strings, one per line."""

    widget = forms.Textarea(attrs={"rows": 2, "cols": 40})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]
