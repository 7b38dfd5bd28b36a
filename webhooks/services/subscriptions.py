"""Writes of webhook subscriptions. The API and the admin both come through here."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from segments_project.api.documents import (
    check_version,
    clean_id,
    generate_id,
    invalid,
    requested_version,
)
from segments_project.api.patch import apply_patch
from segments_project.audit.models import AuditAction, DocumentType
from segments_project.audit.record import Change, diff, record
from segments_project.errors import AlreadyExists
from segments_project.events.models import Event

from ..documents.subscriptions import (
    SUBSCRIPTION_READ_ONLY_PATHS,
    stored_document,
    subscription_values,
)
from ..models import Subscription
from ..selectors.subscriptions import subscription_not_found
from .signing import new_secret

MAX_GRACE_SECONDS = 7 * 24 * 3600


def locked_subscription(tenant: str, subscription_id: str) -> Subscription:
    subscription = (
        Subscription.objects.select_for_update()
        .filter(tenant_id=tenant, public_id=subscription_id)
        .first()
    )
    if subscription is None:
        raise subscription_not_found(subscription_id)
    return subscription


def locked_unless_held(subscription_pk: int) -> Subscription | None:
    """The subscription, locked until the transaction ends; None when another transaction
    holds it (`SKIP LOCKED`: a dispatcher or claimer there is doing the same work)."""
    return (
        Subscription.objects.select_for_update(skip_locked=True).filter(pk=subscription_pk).first()
    )


def _current_position(tenant: str) -> int:
    """Where a new subscription starts: after the tenant's last numbered event (events that
    commit later are numbered above it, so they reach the subscription)."""
    return Event.objects.filter(tenant_id=tenant).aggregate(last=Max("position"))["last"] or 0


def _insert(tenant: str, subscription_id: str, values: dict[str, Any]) -> tuple[Subscription, str]:
    now = timezone.now()
    secret = new_secret()
    subscription = Subscription(
        tenant_id=tenant,
        public_id=subscription_id,
        version=1,
        created_at=now,
        modified_at=now,
        secret=secret,
        cursor=_current_position(tenant),
        **values,
    )
    try:
        with transaction.atomic():
            subscription.save(force_insert=True)
    except IntegrityError as exc:
        raise AlreadyExists(
            f"A webhook subscription with id {subscription_id} already exists.",
            resource_id=subscription_id,
        ) from exc
    _audit(tenant, subscription_id, AuditAction.CREATED, values)
    return subscription, secret


def _audit(tenant: str, subscription_id: str, action: str, changes: dict[str, Any]) -> None:
    """The trail's entry of a subscription write; its secrets are never recorded."""
    record(
        tenant,
        [Change(DocumentType.WEBHOOK_SUBSCRIPTION, subscription_id, action, None, changes)],
    )


@transaction.atomic
def subscription_create(*, tenant: str, document: Any) -> tuple[Subscription, str]:
    """Creates a subscription (the document's `id` or a generated one) and answers it with
    its signing secret, which is shown this once. It receives the events after now."""
    values = subscription_values(document)
    given = document.get("id")
    subscription_id = clean_id(given) if given is not None else generate_id()
    return _insert(tenant, subscription_id, values)


def _write(subscription: Subscription, values: dict[str, Any]) -> Subscription:
    """Writes only the changed fields; a write that changes nothing keeps the version.
    (Not `versioned.update_changed`: a subscription is no storefront content, so its writes
    must not move the tenant's content version and empty the storefront caches.)"""
    changes = diff({field: getattr(subscription, field) for field in values}, values)
    if not changes:
        return subscription
    changed = list(changes)
    for field in changed:
        setattr(subscription, field, values[field])
    subscription.version += 1
    subscription.modified_at = timezone.now()
    subscription.save(update_fields=[*changed, "version", "modified_at"])
    _audit(subscription.tenant_id, subscription.public_id, AuditAction.UPDATED, changes)
    return subscription


def _replace(subscription: Subscription, document: Any) -> Subscription:
    if not isinstance(document, dict):
        raise invalid("body", "A subscription must be a JSON object.")
    if document.get("id") not in (None, subscription.public_id):
        raise invalid("id", "The id of a subscription cannot be changed.")
    check_version(
        current=subscription.version,
        requested=requested_version(document),
        resource_id=subscription.public_id,
    )
    return _write(subscription, subscription_values(document))


@transaction.atomic
def subscription_upsert(
    *, tenant: str, subscription_id: str, document: Any
) -> tuple[Subscription, str | None]:
    """PUT: replaces the subscription, or creates it with that id. Answers the secret only
    when it was created. A stale `metadata.version` is a 409 and changes nothing."""
    clean_id(subscription_id)
    current = (
        Subscription.objects.select_for_update()
        .filter(tenant_id=tenant, public_id=subscription_id)
        .first()
    )
    if current is None:
        if isinstance(document, dict) and document.get("id") not in (None, subscription_id):
            raise invalid("id", "The id of the body must be the id of the path.")
        return _insert(tenant, subscription_id, subscription_values(document))
    return _replace(current, document), None


@transaction.atomic
def subscription_patch(*, tenant: str, subscription_id: str, patch: Any) -> Subscription:
    """A JSON Patch (array) or merge patch (object); the result must be valid."""
    current = locked_subscription(tenant, subscription_id)
    document = apply_patch(stored_document(current), patch, read_only=SUBSCRIPTION_READ_ONLY_PATHS)
    return _replace(current, document)


@transaction.atomic
def subscription_delete(*, tenant: str, subscription_id: str) -> None:
    """Deletes the subscription with its delivery log; nothing more is sent to it."""
    clean_id(subscription_id)
    subscription = locked_subscription(tenant, subscription_id)
    subscription.delete()
    _audit(tenant, subscription_id, AuditAction.DELETED, {"url": subscription.url})


@transaction.atomic
def subscription_rotate_secret(
    *, tenant: str, subscription_id: str, grace_seconds: int | None = None
) -> tuple[Subscription, str]:
    """A new signing secret, answered this once; the current one keeps signing as well for
    `grace_seconds` (default `WEBHOOK_SECRET_GRACE_SECONDS`, 0 retires it at once)."""
    if grace_seconds is None:
        grace_seconds = settings.WEBHOOK_SECRET_GRACE_SECONDS
    if (
        isinstance(grace_seconds, bool)
        or not isinstance(grace_seconds, int)
        or not 0 <= grace_seconds <= MAX_GRACE_SECONDS
    ):
        raise invalid(
            "gracePeriodSeconds",
            f"gracePeriodSeconds must be an integer from 0 to {MAX_GRACE_SECONDS}.",
        )
    subscription = locked_subscription(tenant, subscription_id)
    now = timezone.now()
    secret = new_secret()
    subscription.previous_secret = subscription.secret if grace_seconds else ""
    expires = now + timedelta(seconds=grace_seconds) if grace_seconds else None
    expired_before = subscription.previous_secret_expires_at
    subscription.previous_secret_expires_at = expires
    subscription.secret = secret
    subscription.version += 1
    subscription.modified_at = now
    subscription.save(
        update_fields=[
            "secret",
            "previous_secret",
            "previous_secret_expires_at",
            "version",
            "modified_at",
        ]
    )
    # The secrets themselves stay out of the trail: only that one was replaced, and until when
    # the previous one still signs.
    _audit(
        tenant,
        subscription_id,
        AuditAction.UPDATED,
        {
            "secret": ["(replaced)", "(new)"],
            "previous_secret_expires_at": [expired_before, expires],
        },
    )
    return subscription, secret


def signing_secrets(subscription: Subscription, *, at: Any) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one
    during its grace period."""
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and expires > at:
        return [subscription.secret, subscription.previous_secret]
    return [subscription.secret]
