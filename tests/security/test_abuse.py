"""Abuse: token expiry and revocation, hashed client secrets compared in constant time, and
no secret or token in the logs (rate limits: test_abuse_rate_limits.py)."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import hashers
from django.utils import timezone
from oauth2_provider import oauth2_validators
from oauth2_provider.models import get_access_token_model, get_application_model

from segments_project.tenancy.models import ApiClient
from segments_project.tenancy.services import api_client_upsert

from ..conftest import MANAGER_SCOPES, SECRET, TENANT, Caller

pytestmark = pytest.mark.django_db

SEGMENTS = f"/customer-segment/{TENANT}/segments"


def _client_token(client, client_id: str, secret: str = SECRET):
    return client.post(
        "/oauth/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def _register(client_id: str, secret: str = SECRET) -> None:
    api_client_upsert(
        tenant=TENANT, client_id=client_id, client_secret=secret, scopes=MANAGER_SCOPES
    )


def _assert_401(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["fault"]["detail"]["errorcode"] == "oauth.v2.InvalidAccessToken"


# --- token lifetime and revocation ----------------------------------------------------


def test_an_expired_token_is_a_401(issue_token):
    token = issue_token()
    caller = Caller(token)
    assert caller.get(SEGMENTS).status_code == 200
    checksum = hashlib.sha256(token.encode()).hexdigest()
    get_access_token_model().objects.filter(token_checksum=checksum).update(
        expires=timezone.now() - timedelta(seconds=1)
    )

    _assert_401(caller.get(SEGMENTS))


def test_rotating_a_clients_secret_invalidates_its_tokens(client):
    _register("rotating")
    old_token = _client_token(client, "rotating").json()["access_token"]
    assert Caller(old_token).get(SEGMENTS).status_code == 200

    _register("rotating", secret="a-brand-new-secret-value")

    _assert_401(Caller(old_token).get(SEGMENTS))
    assert _client_token(client, "rotating").status_code == 401
    new = _client_token(client, "rotating", "a-brand-new-secret-value")
    assert new.status_code == 200
    assert Caller(new.json()["access_token"]).get(SEGMENTS).status_code == 200


def test_deleting_the_oauth_application_invalidates_its_tokens(client):
    _register("doomed")
    token = _client_token(client, "doomed").json()["access_token"]
    assert Caller(token).get(SEGMENTS).status_code == 200

    get_application_model().objects.get(client_id="doomed").delete()

    _assert_401(Caller(token).get(SEGMENTS))
    assert _client_token(client, "doomed").status_code == 401


def test_deleting_only_the_api_client_invalidates_its_tokens(client):
    _register("orphaned")
    token = _client_token(client, "orphaned").json()["access_token"]

    ApiClient.objects.get(application__client_id="orphaned").delete()

    _assert_401(Caller(token).get(SEGMENTS))


# --- secrets at rest ------------------------------------------------------------------


def test_client_secrets_are_stored_hashed(db):
    _register("hashed")
    application = get_application_model().objects.get(client_id="hashed")

    assert application.client_secret != SECRET
    assert SECRET not in application.client_secret
    assert hashers.identify_hasher(application.client_secret) is not None
    assert hashers.check_password(SECRET, application.client_secret)


def test_tokens_are_stored_as_checksums_only(issue_token):
    token = issue_token()
    stored = get_access_token_model().objects.get(
        token_checksum=hashlib.sha256(token.encode()).hexdigest()
    )

    assert stored.token != token
    assert token not in str(get_access_token_model().objects.values().get(pk=stored.pk))


def test_the_secret_is_compared_with_check_password_in_constant_time(client):
    """DOT's validator compares a hashed secret with Django's `check_password`, whose
    hashers compare digests with `constant_time_compare`."""
    _register("timing")
    with (
        mock.patch.object(
            oauth2_validators, "check_password", wraps=oauth2_validators.check_password
        ) as checked,
        mock.patch.object(
            hashers, "constant_time_compare", wraps=hashers.constant_time_compare
        ) as compared,
    ):
        assert _client_token(client, "timing").status_code == 200
        assert _client_token(client, "timing", "wrong-secret-of-16+chars").status_code == 401

    assert [call.args[0] for call in checked.call_args_list] == [SECRET, "wrong-secret-of-16+chars"]
    assert compared.call_count >= 2


# --- logs -----------------------------------------------------------------------------


def _exercise_and_collect(client, caplog) -> tuple[str, list[logging.LogRecord]]:
    """A token request, API calls with it, a wrong secret and a wrong token; the records."""
    _register("logged")
    token = _client_token(client, "logged").json()["access_token"]
    caller = Caller(token)
    caller.get(SEGMENTS)
    caller.post(SEGMENTS, {"id": "logged", "name": {"en": "L"}, "siteCode": "main"})
    caller.get(f"{SEGMENTS}/missing")
    _client_token(client, "logged", "wrong-secret-of-16+chars")
    Caller(token + "x").get(SEGMENTS)
    assert caplog.records, "the requests were logged at all"
    return token, caplog.records


def _leaks(token: str, records: list[logging.LogRecord]) -> list[str]:
    found = []
    for record in records:
        text = record.getMessage() + " " + " ".join(map(str, vars(record).values()))
        if any(secret in text for secret in (SECRET, "wrong-secret-of-16+chars", token)):
            found.append(f"{record.name}: {record.msg}")
    return found


# oauthlib logs the whole token response at DEBUG ("Issuing token to client id %r (%r), %r.",
# oauthlib/oauth2/rfc6749/grant_types/client_credentials.py): a third-party logger the
# service must keep above DEBUG whatever LOG_LEVEL says.
OAUTHLIB_DEBUG_LEAK = "oauthlib.oauth2.rfc6749.grant_types.client_credentials"


def test_no_logger_of_the_service_or_django_logs_a_secret_or_token(client, caplog):
    """Every logger at DEBUG (beyond any production setting); only oauthlib's own DEBUG
    record of the issued token is set aside, covered by the next test."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)

    token, records = _exercise_and_collect(client, caplog)

    assert [
        leak for leak in _leaks(token, records) if not leak.startswith(OAUTHLIB_DEBUG_LEAK)
    ] == []


def test_with_log_level_debug_the_services_logging_leaks_nothing(client, caplog):
    """The service's own logging configuration with LOG_LEVEL=DEBUG: the root at DEBUG, the
    loggers settings.LOGGING names at their configured levels."""
    from django.conf import settings

    caplog.set_level(logging.DEBUG)
    configured = {
        name: config["level"]
        for name, config in settings.LOGGING.get("loggers", {}).items()
        if "level" in config
    }
    saved = {name: logging.getLogger(name).level for name in configured}
    try:
        for name, level in configured.items():
            logging.getLogger(name).setLevel(level)  # not caplog's: it would raise its handler
        token, records = _exercise_and_collect(client, caplog)
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)

    assert _leaks(token, records) == []
