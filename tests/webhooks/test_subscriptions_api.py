"""`/webhook/{tenant}/subscriptions`: create (secret shown once), list, read, upsert, patch,
delete, secret rotation; validation, versions, tenants and scopes."""

from __future__ import annotations

import pytest

from segments_project.audit.models import AuditEvent, DocumentType
from segments_project.events.models import Event
from segments_project.tenancy import scopes
from webhooks.models import Subscription

from ..conftest import OTHER_TENANT, TENANT, Caller
from .factories import make_events, make_subscription

pytestmark = pytest.mark.django_db

BASE = f"/webhook/{TENANT}/subscriptions"
HOOK = "https://hooks.example.com/segments"


def _create(caller: Caller, **document) -> dict:
    body = {"url": HOOK, "eventTypes": ["segment.member.*"], **document}
    response = caller.post(BASE, body)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_answers_the_secret_once_and_the_document_never_shows_it(webhook_manager):
    created = _create(webhook_manager, id="crm", description="CRM sync")

    assert created["id"] == "crm"
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    document = webhook_manager.get(f"{BASE}/crm").json()
    assert document["url"] == HOOK
    assert document["eventTypes"] == ["segment.member.*"]
    assert document["active"] is True
    assert document["metadata"]["version"] == 1
    assert created["secret"] not in str(document) and "secret" not in document
    assert [item["id"] for item in webhook_manager.get(BASE).json()] == ["crm"]


def test_a_new_subscription_starts_after_the_events_already_numbered(webhook_manager):
    make_events([("segment.member.added", "gold")] * 3)

    _create(webhook_manager, id="late")

    assert Subscription.objects.get(public_id="late").cursor == 3


def test_generated_ids_are_distinct_and_a_taken_id_is_a_409(webhook_manager):
    first, second = _create(webhook_manager)["id"], _create(webhook_manager)["id"]
    assert first != second

    _create(webhook_manager, id="crm")
    again = webhook_manager.post(BASE, {"id": "crm", "url": HOOK, "eventTypes": ["*"]})

    assert again.status_code == 409
    assert again.json()["code"] == 409


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/x", "https"),
        ("http://127.0.0.1:9000/x", "https"),
        ("ftp://hooks.example.com/x", "https"),
        ("https://user:pw@hooks.example.com/x", "credentials"),
        ("https:///nohost", "host"),
        ("not a url", "host"),
        ("https://hooks.example.com:99999/x", "valid URL"),
        (17, "URL"),
    ],
)
def test_urls_must_be_https_without_credentials(webhook_manager, url, message):
    response = webhook_manager.post(BASE, {"url": url, "eventTypes": ["*"]})

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["details"][0]["field"] == "url"
    assert message in body["message"]
    assert not Subscription.objects.exists()


def test_http_to_loopback_is_allowed_only_by_the_setting(webhook_manager, settings):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True

    assert _create(webhook_manager, url="http://127.0.0.1:9000/x")["id"]
    refused = webhook_manager.post(BASE, {"url": "http://10.0.0.5/x", "eventTypes": ["*"]})
    assert refused.status_code == 400


@pytest.mark.parametrize(
    ("types", "accepted"),
    [
        (["segment.member.*"], True),
        (["*"], True),
        (["coupon.redeemed", "segment.*"], True),
        (["segment.member.added", "segment.member.added"], True),
        (["segment.bogus"], False),
        (["segment.*.added"], False),
        (["Segment.created"], False),
        ([], False),
        ("segment.created", False),
        ([3], False),
    ],
)
def test_event_types_are_checked_against_the_known_types(webhook_manager, types, accepted):
    response = webhook_manager.post(BASE, {"url": HOOK, "eventTypes": types})

    assert (response.status_code == 201) is accepted, response.content
    if not accepted:
        assert response.json()["details"][0]["field"] == "eventTypes"


def test_duplicate_patterns_are_stored_once(webhook_manager):
    created = _create(webhook_manager, eventTypes=["segment.created", "segment.created"])

    assert Subscription.objects.get(public_id=created["id"]).event_types == ["segment.created"]


def test_put_replaces_with_a_new_version_and_creates_an_unknown_id(webhook_manager):
    _create(webhook_manager, id="crm")

    replaced = webhook_manager.put(
        f"{BASE}/crm", {"url": HOOK + "/v2", "eventTypes": ["coupon.*"], "active": False}
    )
    created = webhook_manager.put(f"{BASE}/other", {"url": HOOK, "eventTypes": ["*"]})

    assert replaced.status_code == 204
    document = webhook_manager.get(f"{BASE}/crm").json()
    assert (document["url"], document["eventTypes"], document["active"]) == (
        HOOK + "/v2",
        ["coupon.*"],
        False,
    )
    assert document["metadata"]["version"] == 2
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")


def test_a_stale_version_is_a_409_and_changes_nothing(webhook_manager):
    _create(webhook_manager, id="crm")
    webhook_manager.patch(f"{BASE}/crm", {"description": "v2"})

    stale = webhook_manager.put(
        f"{BASE}/crm", {"url": HOOK, "eventTypes": ["*"], "metadata": {"version": 1}}
    )

    assert stale.status_code == 409
    assert webhook_manager.get(f"{BASE}/crm").json()["eventTypes"] == ["segment.member.*"]


def test_patch_accepts_json_patch_and_merge_patch_and_refuses_read_only_paths(webhook_manager):
    _create(webhook_manager, id="crm")

    merged = webhook_manager.patch(f"{BASE}/crm", {"active": False})
    patched = webhook_manager.patch(
        f"{BASE}/crm", [{"op": "replace", "path": "/eventTypes", "value": ["coupon.redeemed"]}]
    )
    read_only = webhook_manager.patch(
        f"{BASE}/crm", [{"op": "replace", "path": "/failingSince", "value": None}]
    )
    invalid = webhook_manager.patch(f"{BASE}/crm", {"url": "http://example.com"})

    assert (merged.status_code, patched.status_code) == (204, 204)
    document = webhook_manager.get(f"{BASE}/crm").json()
    assert (document["active"], document["eventTypes"]) == (False, ["coupon.redeemed"])
    assert read_only.status_code == 400
    assert invalid.status_code == 400
    assert document["metadata"]["version"] == 3


def test_delete_removes_it_and_is_idempotent(webhook_manager):
    _create(webhook_manager, id="crm")

    assert webhook_manager.delete(f"{BASE}/crm").status_code == 204
    assert webhook_manager.delete(f"{BASE}/crm").status_code == 204
    assert webhook_manager.get(f"{BASE}/crm").status_code == 404


def test_rotation_answers_a_new_secret_and_keeps_the_old_one_for_the_grace_period(
    webhook_manager,
):
    old = _create(webhook_manager, id="crm")["secret"]

    rotated = webhook_manager.post(f"{BASE}/crm/secret-rotation", {"gracePeriodSeconds": 3600})

    assert rotated.status_code == 200, rotated.content
    new = rotated.json()["secret"]
    assert new != old and new.startswith("whsec_")
    assert rotated.json()["previousSecretExpiresAt"] is not None
    subscription = Subscription.objects.get(public_id="crm")
    assert (subscription.secret, subscription.previous_secret) == (new, old)
    assert (
        webhook_manager.post(f"{BASE}/crm/secret-rotation", {"gracePeriodSeconds": -1}).status_code
        == 400
    )


def test_another_tenants_subscription_is_as_unknown_as_a_missing_one(webhook_manager, issue_token):
    make_subscription(HOOK, tenant=OTHER_TENANT, id="theirs")
    for method, path in [
        ("GET", f"{BASE}/theirs"),
        ("PATCH", f"{BASE}/theirs"),
        ("POST", f"{BASE}/theirs/secret-rotation"),
        ("GET", f"{BASE}/theirs/deliveries"),
        ("POST", f"{BASE}/theirs/test"),
    ]:
        theirs = webhook_manager.request(method, path, {} if method != "GET" else None)
        missing = webhook_manager.request(
            method, path.replace("theirs", "missing"), {} if method != "GET" else None
        )
        assert theirs.status_code == missing.status_code == 404, (method, path)
        assert theirs.json()["message"] == missing.json()["message"].replace("missing", "theirs")
    assert webhook_manager.get(BASE).json() == []
    outsider = Caller(issue_token(OTHER_TENANT, granted=frozenset({scopes.WEBHOOK_MANAGE})))
    assert outsider.get(BASE).status_code == 403


def test_the_read_scope_reads_and_only_the_manage_scope_writes(issue_token):
    reader = Caller(issue_token(granted=frozenset({scopes.WEBHOOK_READ})))
    segment_manager = Caller(issue_token(granted=frozenset({scopes.SEGMENT_MANAGE})))
    make_subscription(HOOK, id="crm")

    assert reader.get(BASE).status_code == 200
    assert reader.get(f"{BASE}/crm/deliveries").status_code == 200
    refused = reader.post(BASE, {"url": HOOK, "eventTypes": ["*"]})
    assert refused.status_code == 403
    assert "missing scope: webhook.webhook_manage" in str(refused.json()["details"])
    assert segment_manager.get(BASE).status_code == 403


def test_errors_are_json_in_the_customer_segment_shape(webhook_manager):
    response = webhook_manager.post(BASE, b"{not json", content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) >= {"code", "status", "message"}
    unknown = webhook_manager.get(f"/webhook/{TENANT}/nothing-here")
    assert unknown.status_code == 404 and unknown.json()["code"] == 404


def test_unknown_members_are_refused(webhook_manager):
    refused = webhook_manager.post(BASE, {"url": HOOK, "eventTypes": ["*"], "urls": "x"})
    _create(webhook_manager, id="crm")
    patched = webhook_manager.patch(f"{BASE}/crm", {"metadata": {"versoin": 1}})

    assert refused.status_code == patched.status_code == 400
    assert refused.json()["details"][0]["field"] == "urls"
    assert patched.json()["details"][0]["field"] == "metadata.versoin"


def test_every_write_is_in_the_audit_trail_without_its_secrets_and_emits_no_event(
    webhook_manager,
):
    created = _create(webhook_manager, id="crm")
    webhook_manager.patch(f"{BASE}/crm", {"active": False})
    webhook_manager.patch(f"{BASE}/crm", {"active": False})  # changes nothing: no entry
    rotated = webhook_manager.post(f"{BASE}/crm/secret-rotation", {"gracePeriodSeconds": 60})
    assert rotated.status_code == 200, rotated.content
    webhook_manager.delete(f"{BASE}/crm")

    trail = list(
        AuditEvent.objects.filter(
            tenant_id=TENANT, document_type=DocumentType.WEBHOOK_SUBSCRIPTION
        ).order_by("id")
    )
    assert [(entry.document_id, entry.action) for entry in trail] == [
        ("crm", "created"),
        ("crm", "updated"),
        ("crm", "updated"),
        ("crm", "deleted"),
    ]
    assert trail[0].changes["url"] == HOOK
    assert trail[1].changes == {"active": [True, False]}
    assert set(trail[2].changes) == {"secret", "previous_secret_expires_at"}
    recorded = str([entry.changes for entry in trail])
    assert created["secret"] not in recorded and rotated.json()["secret"] not in recorded
    assert "whsec_" not in recorded
    assert not Event.objects.filter(tenant_id=TENANT).exists()
