"""The data model allows sharding by tenant (e.g. Citus, tenant as distribution column):
every table of the service's own apps carries the tenant, and every uniqueness includes it.

The tenant registry, the third-party tables (Django's auth and sessions, the OAuth2
toolkit's applications and tokens) and the tables bound one to one to OAuth rows (an API
client to its application, a customer token's binding to its token, an anonymous session to
its access token and refresh token) stay reference tables: OAuth client ids and tokens are
unique across tenants by nature.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

SHARDED_APPS = ("segments", "catalog", "coupons", "audit", "tenancy")
REFERENCE_MODELS = {
    "tenancy.tenant",
    "tenancy.apiclient",
    "tenancy.customertokenbinding",
    "tenancy.anonymoussession",
}


def _sharded_models() -> list[type[models.Model]]:
    return [
        model
        for app_label in SHARDED_APPS
        for model in apps.get_app_config(app_label).get_models()
        if model._meta.label_lower not in REFERENCE_MODELS
    ]


def test_the_service_has_sharded_models():
    labels = {model._meta.label_lower for model in _sharded_models()}
    assert {"segments.segment", "catalog.category", "coupons.coupon"} <= labels


@pytest.mark.parametrize("model", _sharded_models(), ids=lambda model: model._meta.label_lower)
def test_every_table_carries_the_tenant(model):
    field = model._meta.get_field("tenant")
    assert field.related_model._meta.label_lower == "tenancy.tenant"


@pytest.mark.parametrize("model", _sharded_models(), ids=lambda model: model._meta.label_lower)
def test_every_uniqueness_includes_the_tenant(model):
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            assert "tenant" in constraint.fields, (model, constraint.name)
    for together in model._meta.unique_together:
        assert "tenant" in together, (model, together)
    unique_fields = [
        field.name
        for field in model._meta.concrete_fields
        if field.unique and not field.primary_key
    ]
    assert unique_fields == [], (model, unique_fields)
