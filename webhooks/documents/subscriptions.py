"""The API's view of a subscription: validation of incoming documents and rendering."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from segments_project.api.documents import (
    READ_ONLY_PATHS,
    clean_mixins,
    clean_object,
    invalid,
)
from segments_project.api.query import METADATA_QUERY_FIELDS, FieldKind, FieldSpec

from ..models import Subscription
from .event_types import clean_event_types

SUBSCRIPTION_READ_ONLY_PATHS = READ_ONLY_PATHS | {"/lastSuccessAt", "/failingSince"}
MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 1000
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def is_loopback_host(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def http_loopback_allowed() -> bool:
    """Plain http (to loopback only) is for development: with DEBUG or when the setting
    `WEBHOOK_ALLOW_HTTP_LOOPBACK` says so (the tests' local receivers)."""
    return bool(settings.DEBUG or settings.WEBHOOK_ALLOW_HTTP_LOOPBACK)


def clean_url(value: Any) -> str:
    """An absolute https URL with a host and no credentials; http only to a loopback host
    when `http_loopback_allowed()`. Where the host resolves is checked at each delivery."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL_LENGTH:
        raise invalid("url", f"url must be a URL of at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError as exc:
        raise invalid("url", f"url is not a valid URL: {exc}.") from exc
    host = parts.hostname or ""
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise invalid("url", "url must name a host, and no credentials nor fragment.")
    if any(ord(char) < 33 or ord(char) == 127 for char in value):
        raise invalid("url", "url must not contain whitespace or control characters.")
    if parts.scheme == "https":
        return value
    if parts.scheme == "http":
        if is_loopback_host(host) and http_loopback_allowed():
            return value
        raise invalid(
            "url",
            "url must use https (plain http is allowed only to a loopback host in development).",
        )
    raise invalid("url", "url must be an https URL.")


def _clean_description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION_LENGTH:
        raise invalid(
            "description", f"description must be a string of at most {MAX_DESCRIPTION_LENGTH}."
        )
    return value


# The members a write may send: what it sets, and what a read answered (sent back by a
# read-modify-write client, ignored).
WRITE_FIELDS = frozenset({"id", "url", "eventTypes", "active", "description", "mixins", "metadata"})
READ_ONLY_FIELDS = frozenset({"lastSuccessAt", "failingSince"})
METADATA_FIELDS = frozenset({"version", "createdAt", "modifiedAt", "mixins"})


def _unknown_members(document: dict[str, Any], allowed: frozenset[str], prefix: str = "") -> None:
    unknown = sorted(set(document) - allowed)
    if unknown:
        field = f"{prefix}{unknown[0]}"
        raise invalid(field, f"Unknown subscription field: {field}.", type="unknown_field")


def subscription_values(document: Any) -> dict[str, Any]:
    """The model values of a subscription document (create or full replacement); an unknown
    member is a 400 (a misspelt one would otherwise be dropped in silence)."""
    if not isinstance(document, dict):
        raise invalid("body", "A subscription must be a JSON object.")
    _unknown_members(document, WRITE_FIELDS | READ_ONLY_FIELDS)
    _unknown_members(
        clean_object(document.get("metadata"), "metadata"), METADATA_FIELDS, "metadata."
    )
    active = document.get("active", True)
    if not isinstance(active, bool):
        raise invalid("active", "active must be true or false.")
    mixins, schemas = clean_mixins(document)
    clean_object(document.get("metadata"), "metadata")
    return {
        "url": clean_url(document.get("url")),
        "event_types": clean_event_types(document.get("eventTypes")),
        "active": active,
        "description": _clean_description(document.get("description")),
        "mixins": mixins,
        "metadata_mixins": schemas,
    }


def subscription_document(subscription: Subscription) -> dict[str, Any]:
    """The subscription as the API answers it (never its secrets)."""
    return {
        "id": subscription.public_id,
        "url": subscription.url,
        "eventTypes": list(subscription.event_types),
        "active": subscription.active,
        "description": subscription.description,
        "lastSuccessAt": iso(subscription.last_success_at),
        "failingSince": iso(subscription.failing_since),
        "mixins": subscription.mixins,
        "metadata": {
            "version": subscription.version,
            "createdAt": iso(subscription.created_at),
            "modifiedAt": iso(subscription.modified_at),
            "mixins": subscription.metadata_mixins,
        },
    }


def stored_document(subscription: Subscription) -> dict[str, Any]:
    """The document a PATCH applies to."""
    return subscription_document(subscription)


SUBSCRIPTION_QUERY_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec("public_id", FieldKind.STRING),
    "url": FieldSpec("url", FieldKind.STRING),
    "active": FieldSpec("active", FieldKind.BOOLEAN),
    "description": FieldSpec("description", FieldKind.STRING),
    "lastSuccessAt": FieldSpec("last_success_at", FieldKind.DATETIME),
    "failingSince": FieldSpec("failing_since", FieldKind.DATETIME),
    **METADATA_QUERY_FIELDS,
}
