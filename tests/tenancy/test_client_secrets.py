"""How client secrets are stored and checked (docs/security.md, "Client secrets"): a secret
the service generates is stored with the fast salted SHA-256 hasher, one a person chose
keeps the default, key-stretching hasher; both (and hashes stored before) verify in
constant time, and a wrong secret is refused alike. The token endpoint's queries are
pinned, and its share lock lets tokens of one client be issued side by side."""

from __future__ import annotations

import threading
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import hashers
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, connections, transaction
from django.test import Client
from oauth2_provider.models import get_access_token_model, get_application_model

from segments_project.tenancy import scopes
from segments_project.tenancy.hashers import GeneratedSecretSHA256Hasher
from segments_project.tenancy.models import ApiClient
from segments_project.tenancy.oauth import _client_row_shared, application_with_api_client
from segments_project.tenancy.services import (
    GENERATED_SECRET_BYTES,
    api_client_create,
    api_client_update,
    client_secret_generate,
    client_secret_hash,
)

from ..conftest import SECRET, TENANT
from ..segments.factories import make_customer, make_legal_entity

FAST = GeneratedSecretSHA256Hasher.algorithm
GRANTED = frozenset({scopes.SEGMENT_READ, scopes.CUSTOMER_TOKEN_ISSUE})


def _stored(client_id: str = "shop") -> str:
    return get_application_model().objects.get(client_id=client_id).client_secret


def _token(client: Any, secret: str, client_id: str = "shop", **form: str) -> Any:
    payload = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return client.post("/oauth/token", {**payload, **form})


# --- generated and chosen secrets ----------------------------------------------------------


def test_a_generated_secret_has_256_random_bits():
    secrets_ = {client_secret_generate() for _ in range(50)}

    assert len(secrets_) == 50
    assert GENERATED_SECRET_BYTES * 8 >= 256
    assert all(len(secret) >= 43 for secret in secrets_)  # 32 bytes, URL-safe base64


@pytest.mark.django_db
def test_a_generated_secret_is_stored_with_the_fast_hasher_and_verifies(client):
    secret = client_secret_generate()
    api_client_create(tenant=TENANT, client_id="shop", client_secret=secret, scopes=GRANTED)

    stored = _stored()
    assert hashers.identify_hasher(stored).algorithm == FAST
    assert secret not in stored
    assert _token(client, secret).status_code == 200


@pytest.mark.django_db
def test_a_chosen_secret_keeps_the_default_hasher(client):
    api_client_create(tenant=TENANT, client_id="shop", client_secret=SECRET, scopes=GRANTED)

    algorithm = hashers.identify_hasher(_stored()).algorithm
    assert algorithm == hashers.get_hasher("default").algorithm != FAST
    assert _token(client, SECRET).status_code == 200


def test_only_the_generated_type_gets_the_fast_hash():
    generated = client_secret_generate()

    assert client_secret_hash(generated).startswith(f"{FAST}$")
    # The same characters typed by a person (a plain str, or derived from a generated one).
    assert not client_secret_hash(str(generated)).startswith(f"{FAST}$")
    assert not client_secret_hash(generated + "").startswith(f"{FAST}$")


@pytest.mark.django_db
def test_a_chosen_secret_that_looks_like_a_hash_is_hashed_too(client):
    looks_hashed = hashers.make_password("something-else", hasher="md5")

    api_client_create(tenant=TENANT, client_id="shop", client_secret=looks_hashed, scopes=GRANTED)

    assert _stored() != looks_hashed
    assert _token(client, looks_hashed).status_code == 200
    assert _token(client, "something-else").status_code == 401


@pytest.mark.django_db
def test_a_pbkdf2_hash_stored_before_still_verifies_and_is_kept(client):
    """Secrets set before this change were chosen by people: they keep their slow hash."""
    api_client_create(tenant=TENANT, client_id="shop", client_secret=SECRET, scopes=GRANTED)
    legacy = hashers.make_password(SECRET, hasher="pbkdf2_sha256")
    get_application_model().objects.filter(client_id="shop").update(client_secret=legacy)

    assert _token(client, SECRET).status_code == 200
    assert _token(client, "a-wrong-secret-value").status_code == 401
    assert _stored() == legacy


@pytest.mark.django_db
def test_rotating_to_a_generated_secret_makes_the_hash_fast(client):
    api_client_create(tenant=TENANT, client_id="shop", client_secret=SECRET, scopes=GRANTED)
    secret = client_secret_generate()

    api_client_update(tenant=TENANT, client_id="shop", client_secret=secret)

    assert hashers.identify_hasher(_stored()).algorithm == FAST
    assert _token(client, SECRET).status_code == 401
    assert _token(client, secret).status_code == 200


@pytest.mark.django_db
def test_a_wrong_secret_is_refused_alike_whatever_the_hash(client):
    api_client_create(tenant=TENANT, client_id="shop", client_secret=SECRET, scopes=GRANTED)
    api_client_create(
        tenant=TENANT, client_id="fast", client_secret=client_secret_generate(), scopes=GRANTED
    )

    chosen = _token(client, "a-wrong-secret-value")
    generated = _token(client, "a-wrong-secret-value", client_id="fast")

    assert chosen.status_code == generated.status_code == 401
    assert chosen.json() == generated.json()
    assert generated.json()["error"] == "invalid_client"


@pytest.mark.django_db
def test_the_fast_hash_is_compared_in_constant_time(client):
    secret = client_secret_generate()
    api_client_create(tenant=TENANT, client_id="shop", client_secret=secret, scopes=GRANTED)
    from segments_project.tenancy import hashers as fast_hashers

    with mock.patch.object(
        fast_hashers, "constant_time_compare", wraps=fast_hashers.constant_time_compare
    ) as compared:
        assert _token(client, secret).status_code == 200
        assert _token(client, secret[:-1] + "x").status_code == 401

    assert compared.call_count == 2


def test_the_fast_hasher_is_never_the_default():
    """People's passwords keep the key-stretching default."""
    assert hashers.get_hasher("default").algorithm != FAST
    assert (
        hashers.get_hasher(FAST).must_update(client_secret_hash(client_secret_generate())) is False
    )


# --- every way of creating a client ------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_generates_a_secret_shows_it_once_and_stores_it_fast(client):
    out = StringIO()
    call_command("create_api_client", "--tenant", TENANT, "--client-id", "shop",
                 "--generate-secret", "--scopes", scopes.SEGMENT_READ, stdout=out)  # fmt: skip

    secret = out.getvalue().split("Client secret (shown only now): ", 1)[1].strip()
    assert hashers.identify_hasher(_stored()).algorithm == FAST
    assert _token(client, secret).status_code == 200


@pytest.mark.django_db
def test_the_command_refuses_a_secret_and_its_generation_together():
    with pytest.raises(CommandError):
        call_command("create_api_client", "--tenant", TENANT, "--client-id", "shop",
                     "--generate-secret", "--client-secret", SECRET, stdout=StringIO())  # fmt: skip
    with pytest.raises(CommandError, match="no secret"):
        call_command("create_api_client", "--tenant", TENANT, "--client-id", "shop",
                     "--generate-secret", "--storefront", stdout=StringIO())  # fmt: skip


@pytest.mark.django_db
def test_generated_datasets_get_a_generated_secret(monkeypatch):
    from segments_project.benchdata import generator

    recorded: dict[str, Any] = {}
    monkeypatch.setattr(generator, "api_client_upsert", lambda **kwargs: recorded.update(kwargs))
    for step in ("generate_directory", "generate_catalog", "generate_segments", "generate_coupons"):
        monkeypatch.setattr(generator, step, lambda *args, **kwargs: None)
    monkeypatch.setattr(generator, "analyze", lambda *args, **kwargs: None)

    generator.generate(tenant="gen", scale=mock.Mock(), out=lambda _: None)

    assert type(recorded["client_secret"]).__name__ == "GeneratedSecret"


# --- the token endpoint's cost and its lock --------------------------------------------------


@pytest.mark.django_db
def test_a_customer_token_costs_a_fixed_number_of_queries(client, django_assert_num_queries):
    secret = client_secret_generate()
    api_client_create(tenant=TENANT, client_id="shop", client_secret=secret, scopes=GRANTED)
    make_customer(TENANT, "c1")

    # The application with its ApiClient, the customer check, then on PostgreSQL one
    # statement (the client row under a share lock, the token, its binding); elsewhere in
    # one transaction (savepoint and release): the client row, the token, its binding.
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 7):
        response = _token(client, secret, customer_id="c1")

    assert response.status_code == 200
    binding = get_access_token_model().objects.get().customer_binding
    assert (binding.tenant_id, binding.customer_id, binding.legal_entity_id) == (TENANT, "c1", "")


@pytest.mark.django_db
def test_a_b2b_customer_token_costs_no_more_queries(client, django_assert_num_queries):
    """The customer and its link to the legal entity are checked in one query."""
    secret = client_secret_generate()
    api_client_create(tenant=TENANT, client_id="shop", client_secret=secret, scopes=GRANTED)
    make_customer(TENANT, "c1", legal_entities=(make_legal_entity(TENANT, "le-1"),))

    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 7):
        response = _token(client, secret, customer_id="c1", legal_entity_id="le-1")

    assert response.status_code == 200, response.content
    binding = get_access_token_model().objects.get().customer_binding
    assert (binding.customer_id, binding.legal_entity_id) == ("c1", "le-1")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks (PostgreSQL)")
def test_the_checked_transaction_reads_the_secret_a_change_committed_while_it_waited():
    """`_client_row_shared` locks the application's row too: after waiting for a change it
    reads the new secret, not the one of its snapshot (PostgreSQL re-reads locked rows
    only)."""
    api_client_create(tenant=TENANT, client_id="shop", client_secret=SECRET, scopes=GRANTED)
    application_id = get_application_model().objects.get(client_id="shop").pk
    read: dict[str, Any] = {}

    def check() -> None:
        try:
            with transaction.atomic():
                read["row"] = _client_row_shared(application_id)
        finally:
            connections.close_all()

    with transaction.atomic():
        api_client_update(tenant=TENANT, client_id="shop", client_secret=client_secret_generate())
        checker = threading.Thread(target=check)
        checker.start()
        checker.join(timeout=1.0)
        assert checker.is_alive()  # waits for the change
    checker.join(timeout=10)

    assert read["row"][1] == _stored()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks (PostgreSQL)")
def test_a_token_whose_client_changes_while_it_waits_for_the_row_is_refused():
    """The one-statement store waits for a change holding the client's row and then sees
    the changed row: no token for the old secret."""
    secret = client_secret_generate()
    api_client_create(tenant=TENANT, client_id="shop", client_secret=secret, scopes=GRANTED)
    make_customer(TENANT, "c1")
    outcome: dict[str, Any] = {}

    def issue() -> None:
        try:
            outcome["status"] = _token(Client(), secret, customer_id="c1").status_code
        finally:
            connections.close_all()

    with transaction.atomic():
        api_client_update(tenant=TENANT, client_id="shop", client_secret=SECRET)  # row locked
        issuer = threading.Thread(target=issue)
        issuer.start()
        # The issuer read the old row (the change is not committed) and now waits for it.
        issuer.join(timeout=1.5)
        assert issuer.is_alive()
        assert "status" not in outcome
    issuer.join(timeout=10)

    assert outcome["status"] == 401
    assert not get_access_token_model().objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks (PostgreSQL)")
def test_issuers_share_the_client_lock_and_a_change_waits_for_them():
    secret = client_secret_generate()
    api_client_create(tenant=TENANT, client_id="shop", client_secret=secret, scopes=GRANTED)
    application_id = get_application_model().objects.get(client_id="shop").pk
    outcomes: dict[str, Any] = {}

    def on_own_connection(name: str, work: Any) -> threading.Thread:
        def run() -> None:
            try:
                outcomes[name] = work()
            except Exception as exc:  # asserted on below
                outcomes[name] = exc
            finally:
                connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def change() -> Any:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            return api_client_update(tenant=TENANT, client_id="shop", client_secret=SECRET)

    with transaction.atomic():
        assert _client_row_shared(application_id) is not None  # an issuer mid-transaction
        issuer = on_own_connection("token", lambda: _token(Client(), secret).status_code)
        issuer.join(timeout=10)
        issued_meanwhile = not issuer.is_alive()
        on_own_connection("change", change).join(timeout=10)
    issuer.join(timeout=10)

    assert issued_meanwhile, "a second issuer waited for the first one's lock"
    assert outcomes["token"] == 200
    assert isinstance(outcomes["change"], OperationalError)  # waited, then gave up
    assert get_access_token_model().objects.count() == 1


# --- the application's load ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_application_loads_as_the_orm_loads_it_with_its_api_client(django_assert_num_queries):
    api_client_create(tenant=TENANT, client_id="shop", client_secret=SECRET, scopes=GRANTED)
    expected = get_application_model().objects.select_related("api_client").get(client_id="shop")

    with django_assert_num_queries(1):
        loaded = application_with_api_client("shop")
        api_client = loaded.api_client
        assert api_client.application is loaded

    fields = get_application_model()._meta.concrete_fields
    assert [getattr(loaded, f.attname) for f in fields] == [
        getattr(expected, f.attname) for f in fields
    ]
    client_fields = ApiClient._meta.concrete_fields
    assert [getattr(api_client, f.attname) for f in client_fields] == [
        getattr(expected.api_client, f.attname) for f in client_fields
    ]
    assert api_client.storefront is False
    assert api_client.created_at.tzinfo is not None
    assert not loaded._state.adding and loaded._state.db == "default"


@pytest.mark.django_db
def test_an_application_without_api_client_loads_without_one(django_assert_num_queries):
    api_client_create(tenant=TENANT, client_id="shop", client_secret=SECRET, scopes=GRANTED)
    ApiClient.objects.all().delete()

    with django_assert_num_queries(1):
        loaded = application_with_api_client("shop")
        with pytest.raises(ApiClient.DoesNotExist):
            _ = loaded.api_client

    assert application_with_api_client("nobody") is None
