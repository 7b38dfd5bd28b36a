"""Publishes every change that can end or alter a remembered token's caller to the
revocation feed (`revocation_feed`), whatever made it: a service, the admin,
django-oauth-toolkit, a cascade or a task. Bookkeeping only: the rules (who may hold which
token) live in the services; this only tells the processes to verify again.

What a caller is made of (`authentication._PRINCIPAL_COLUMNS`): the token's row, its
customer binding, its anonymous session, its application and the application's API
client. A token's own change or deletion names its checksum; a binding's or session's
names its token's; a change of an application or an API client (rare, and reaching every
token of the client) makes every process forget everything.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils.timezone import now
from oauth2_provider.models import get_access_token_model, get_application_model

from .models import AnonymousSession, ApiClient, CustomerTokenBinding
from .revocation_feed import FORGET_ALL, revoke_after_commit


def _token_changed(
    sender: Any, instance: Any, signal: Any, created: bool = False, **kwargs: Any
) -> None:
    """A token's change or deletion; not the deletion of an expired one (the nightly
    purges'), which no process remembers: a memory never outlives the expiry it read, and
    a change of the expiry is a change published as such."""
    if created or not instance.token_checksum:
        return
    if signal is post_delete and instance.expires is not None and instance.expires <= now():
        return
    revoke_after_commit([instance.token_checksum])


def _token_link_changed(
    sender: Any, instance: Any, created: bool = False, origin: Any = None, **kwargs: Any
) -> None:
    """A binding's change or deletion, a session's deletion: its token's caller changed. (A
    session's refresh links a new token and deletes the one it replaces.) Not when the
    deletion cascades from elsewhere: from the token (it names itself), its client or
    tenant (everything is forgotten)."""
    if created or instance.access_token_id is None:
        return
    if origin is not None and _model_of(origin) is not sender:
        return
    checksums = (
        get_access_token_model()
        .objects.filter(pk=instance.access_token_id)
        .values_list("token_checksum", flat=True)
    )
    revoke_after_commit(checksums)


def _model_of(origin: Any) -> type:
    return origin.model if isinstance(origin, QuerySet) else type(origin)


def _client_changed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if not created:
        revoke_after_commit([FORGET_ALL])


def connect() -> None:
    """Connects the receivers (`TenancyConfig.ready`)."""
    both = (post_save, post_delete)
    receivers = (
        (get_access_token_model(), _token_changed, both),
        (CustomerTokenBinding, _token_link_changed, both),
        (AnonymousSession, _token_link_changed, (post_delete,)),
        (get_application_model(), _client_changed, both),
        (ApiClient, _client_changed, both),
    )
    for model, receiver, signals in receivers:
        for signal in signals:
            name = "save" if signal is post_save else "delete"
            signal.connect(
                receiver, sender=model, dispatch_uid=f"token-revocation:{model._meta.label}:{name}"
            )
