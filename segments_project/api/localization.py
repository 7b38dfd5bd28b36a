"""Localized fields: `Accept-Language` on reads, `Content-Language` on writes.

A localized value is stored as a map of language code to text. Reads with no header or
`*` return the whole map; a specific language (or a weighted list) returns a map holding
the single best match. Writes with `Content-Language: de` may send a plain string, which
is stored under `de` and leaves the other languages as they were.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from segments_project.errors import ErrorDetail, ValidationFailed

LANGUAGE_PATTERN = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
MAX_TEXT_LENGTH = 10_000


@dataclass(frozen=True)
class LanguagePreference:
    """Languages in order of preference; empty means every language."""

    languages: tuple[str, ...] = ()

    @property
    def all_languages(self) -> bool:
        return not self.languages

    def cache_key(self) -> str:
        return ",".join(self.languages) or "*"


ALL_LANGUAGES = LanguagePreference()


# A storefront's few distinct headers are parsed once per process, not on every request.
@lru_cache(maxsize=1024)
def parse_accept_language(header: str | None) -> LanguagePreference:
    """Parses `de`, `fr-CH, fr;q=0.9, en;q=0.8` or `*`; unparseable parts are ignored."""
    if not header or not header.strip():
        return ALL_LANGUAGES
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        language_range = _language_range(part)
        if language_range is None:
            continue
        tag, weight = language_range
        if tag == "*":
            if weight > 0:
                return ALL_LANGUAGES
            continue
        if weight <= 0 or not LANGUAGE_PATTERN.match(tag):
            continue
        weighted.append((-weight, position, tag.lower()))
    return LanguagePreference(_with_primary_tags(tag for _, _, tag in sorted(weighted)))


def _language_range(part: str) -> tuple[str, float] | None:
    """The tag and weight of one part of the header (`fr;q=0.9` is `("fr", 0.9)`, the
    weight 1.0 without `q=`); None when the `q=` value is not a number."""
    tag, _, params = part.strip().partition(";")
    params = params.strip()
    if not params.startswith("q="):
        return tag.strip(), 1.0
    try:
        return tag.strip(), float(params[2:])
    except ValueError:
        return None


def _with_primary_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Each tag followed by its primary language (`fr-ch`, then `fr`), in the given order,
    every language once, where it first appears."""
    ordered: list[str] = []
    for tag in tags:
        for candidate in (tag, tag.split("-")[0]):
            if candidate not in ordered:
                ordered.append(candidate)
    return tuple(ordered)


def localize(value: dict[str, str] | None, preference: LanguagePreference) -> dict[str, str]:
    """The stored map filtered to the best language; the whole map for `*`."""
    if not value:
        return {}
    if preference.all_languages:
        return dict(value)
    lowered = {key.lower(): key for key in value}
    for language in preference.languages:
        if language in lowered:
            key = lowered[language]
            return {key: value[key]}
    return {}


def parse_content_language(header: str | None) -> str | None:
    """The single language of a write, or None when the body carries maps (`*` or absent)."""
    if not header or header.strip() == "*":
        return None
    language = header.split(",")[0].strip()
    if not LANGUAGE_PATTERN.match(language):
        raise ValidationFailed(
            f"Content-Language {header!r} is not a language code.",
            details=[ErrorDetail("Content-Language", "invalid", "Not a language code.")],
        )
    return language.lower()


def localized_input(
    field: str,
    value: Any,
    *,
    content_language: str | None,
    current: dict[str, str] | None = None,
) -> dict[str, str]:
    """Validates a localized field of a write and returns the map to store.

    With a single content language, a string (or a map) updates that language only,
    keeping the others of `current`.
    """
    if content_language is not None and isinstance(value, str):
        value = {content_language: value}
    if not isinstance(value, dict):
        raise _invalid(field, "must be an object mapping language codes to text")
    for language, text in value.items():
        if not isinstance(language, str) or not LANGUAGE_PATTERN.match(language):
            raise _invalid(f"{field}.{language}", "is not a language code")
        if not isinstance(text, str):
            raise _invalid(f"{field}.{language}", "must be a string")
        if len(text) > MAX_TEXT_LENGTH:
            raise _invalid(f"{field}.{language}", f"is longer than {MAX_TEXT_LENGTH} characters")
    if content_language is not None:
        return {**(current or {}), **value}
    return dict(value)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{field} {message}.", details=[ErrorDetail(field, "invalid", f"{field} {message}.")]
    )
