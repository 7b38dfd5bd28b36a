"""BearerTokenAuthentication: the Principal of a token, read in one query."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from segments.models import Segment
from segments_project.tenancy import scopes
from segments_project.tenancy.authentication import BearerTokenAuthentication
from segments_project.tenancy.models import CustomerTokenBinding

from ..conftest import MANAGER_SCOPES, TENANT, Caller
from ..segments.factories import make_customer, make_legal_entity

pytestmark = pytest.mark.django_db

CUSTOMER_SCOPES = frozenset({scopes.SEGMENT_READ_OWN, scopes.CUSTOMER_TOKEN_ISSUE})


def _authenticate(token: str):
    request = Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}"))
    return BearerTokenAuthentication().authenticate(request)


def _stored(token: str):
    checksum = hashlib.sha256(token.encode()).hexdigest()
    return get_access_token_model().objects.get(token_checksum=checksum)


def test_a_client_token_becomes_its_tenant_client_and_scopes(
    issue_token, django_assert_num_queries
):
    token = issue_token()
    stored = _stored(token)

    with django_assert_num_queries(1):
        principal, auth = _authenticate(token)

    assert principal.tenant == TENANT
    assert principal.client_id == stored.application.client_id
    assert principal.scopes == MANAGER_SCOPES
    assert principal.customer_id is None
    assert principal.legal_entity_id is None
    assert auth == stored.pk


def test_a_customer_token_carries_its_customer_and_legal_entity(
    issue_token, django_assert_num_queries
):
    company = make_legal_entity(TENANT, "acme-corp")
    make_customer(TENANT, "c1", legal_entities=(company,))
    b2c = issue_token(granted=CUSTOMER_SCOPES, customer_id="c1")
    b2b = issue_token(granted=CUSTOMER_SCOPES, customer_id="c1", legal_entity_id="acme-corp")

    with django_assert_num_queries(1):
        for_self, _ = _authenticate(b2c)
    for_company, _ = _authenticate(b2b)

    assert (for_self.customer_id, for_self.legal_entity_id) == ("c1", None)
    assert (for_company.customer_id, for_company.legal_entity_id) == ("c1", "acme-corp")
    assert scopes.SEGMENT_READ_OWN in for_company.scopes


def test_a_token_expiring_now_is_refused(issue_token):
    token = issue_token()
    get_access_token_model().objects.update(expires=timezone.now())

    with pytest.raises(AuthenticationFailed):
        _authenticate(token)


def test_a_token_valid_for_a_moment_more_is_accepted(issue_token):
    token = issue_token()
    get_access_token_model().objects.update(expires=timezone.now() + timedelta(seconds=30))

    principal, _ = _authenticate(token)

    assert principal.tenant == TENANT


def test_a_token_whose_binding_is_gone_reads_as_a_client_token(issue_token):
    """The binding is what makes a customer token; the lookup joins it, never assumes it."""
    make_customer(TENANT, "c1")
    token = issue_token(granted=CUSTOMER_SCOPES, customer_id="c1")
    CustomerTokenBinding.objects.all().delete()

    principal, _ = _authenticate(token)

    assert principal.customer_id is None


def test_a_token_without_an_application_is_refused(issue_token):
    token = issue_token()
    get_access_token_model().objects.update(application=None)

    with pytest.raises(AuthenticationFailed):
        _authenticate(token)


def test_an_authenticated_api_read_costs_one_query_for_the_token(
    issue_token, django_assert_num_queries
):
    """The whole GET of one segment: the token, then the segment."""
    caller = Caller(issue_token())
    Segment.objects.create(
        tenant_id=TENANT,
        public_id="s1",
        name={"en": "S"},
        site_code="main",
        created_at=timezone.now(),
        modified_at=timezone.now(),
    )

    with django_assert_num_queries(2):
        response = caller.get(f"/customer-segment/{TENANT}/segments/s1", check_schema=False)

    assert response.status_code == 200
