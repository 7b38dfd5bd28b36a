"""Checks for the shapes that every resource document shares: ids, mixins, metadata."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from segments_project.errors import ErrorDetail, ValidationFailed, VersionConflict

# JSON Pointers of what every versioned document renders but no write changes; a JSON Patch
# may not write them (`metadata.version` stays writable: it names the version a write is
# based on).
READ_ONLY_PATHS = frozenset({"/id", "/metadata/createdAt", "/metadata/modifiedAt"})

ID_PATTERN = re.compile(r"^[^\s/?#%\\\x00-\x1f\x7f\ud800-\udfff]{1,128}$")
MAX_MIXINS_BYTES = 64 * 1024


def invalid(field: str, message: str, *, type: str = "invalid") -> ValidationFailed:
    return ValidationFailed(message, details=[ErrorDetail(field, type, message)])


def generate_id() -> str:
    """A 24-hex-digit id, the shape the vendor's generated ids have."""
    return secrets.token_hex(12)


def clean_id(value: Any, field: str = "id") -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise invalid(
            field,
            f"{field} must be 1 to 128 characters without whitespace, '/', '?', '#', '%' or '\\'.",
        )
    return value


def clean_object(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(field, f"{field} must be an object.")
    return value


def clean_mixins(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`mixins` and `metadata.mixins` of a write, both objects."""
    mixins = clean_object(document.get("mixins"), "mixins")
    metadata = clean_object(document.get("metadata"), "metadata")
    schemas = clean_object(metadata.get("mixins"), "metadata.mixins")
    for name, url in schemas.items():
        if not isinstance(url, str):
            raise invalid(
                f"metadata.mixins.{name}", "A mixin schema must be given as a URL string."
            )
    if len(repr(mixins)) > MAX_MIXINS_BYTES:
        raise invalid("mixins", f"mixins are larger than {MAX_MIXINS_BYTES} bytes.")
    return mixins, schemas


def requested_version(document: dict[str, Any]) -> int | None:
    """The `metadata.version` a write was based on, if it names one."""
    metadata = clean_object(document.get("metadata"), "metadata")
    version = metadata.get("version")
    if version is None:
        return None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise invalid("metadata.version", "metadata.version must be a positive integer.")
    return version


def check_version(*, current: int, requested: int | None, resource_id: str) -> None:
    if requested is not None and requested != current:
        raise VersionConflict(
            "The resource you are attempting to access has changed: "
            f"version {requested} is not the current version {current}.",
            resource_id=resource_id,
        )


def parse_iso_datetime(text: str) -> datetime | None:
    """`text` as an aware UTC datetime, or None unless it is an ISO 8601 date-time of a real
    moment: not a 13th month, a February 29th of a common year, an offset of a day or more,
    nor a moment before year 1 or after year 9999 once in UTC (which neither Python nor
    PostgreSQL could give back). A date-time without an offset is taken as UTC."""
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            return None
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def clean_datetime(value: Any, field: str) -> datetime | None:
    """The date-time `value` names (see `parse_iso_datetime`), or a 400 naming `field`."""
    if value is None:
        return None
    parsed = parse_iso_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise invalid(
            field, f"{field} must be a valid ISO 8601 date-time, such as 2021-05-18T07:27:27Z."
        )
    return parsed


def format_datetime(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and a `Z`, as the vendor writes timestamps
    (four-digit years: `strftime("%Y")` would write year 99 as `99`)."""
    if value is None:
        return None
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "Z"


def render_metadata(obj: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "version": obj.version,
        "createdAt": format_datetime(obj.created_at),
        "modifiedAt": format_datetime(obj.modified_at),
    }
    if obj.metadata_mixins:
        metadata["mixins"] = obj.metadata_mixins
    return metadata
