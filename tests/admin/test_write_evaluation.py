"""The admin's customer and legal-entity forms write through the directory services, so a
save evaluates the rule segments like any other write."""

from __future__ import annotations

from django.urls import reverse

from segments.models import SegmentCustomerAssignment
from tests.segments.factories import make_customer, make_legal_entity, make_segment

from .conftest import TENANT


def _members() -> set[tuple[str, str, str | None, str]]:
    return set(
        SegmentCustomerAssignment.objects.filter(tenant_id=TENANT).values_list(
            "segment__public_id",
            "customer__public_id",
            "legal_entity__public_id",
            "assignment_type",
        )
    )


def test_saving_a_customer_in_the_admin_evaluates_the_rules(merchandiser):
    make_segment(TENANT, "germans", criteria={"q": "preferredLanguage:de_DE"})

    response = merchandiser.post(
        reverse("admin:segments_customer_add"),
        {"tenant": TENANT, "public_id": "erin", "preferred_language": "de_DE", "active": "on",
         "mixins": "", "metadata_mixins": ""},
    )  # fmt: skip

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _members() == {("germans", "erin", None, "AUTOMATIC")}


def test_saving_a_legal_entity_in_the_admin_evaluates_its_customers(merchandiser):
    acme = make_legal_entity(TENANT, "acme", name="Acme")
    make_customer(TENANT, "bob", legal_entities=(acme,))
    make_segment(TENANT, "big", criteria={"legalEntities": "name:~Big"})

    response = merchandiser.post(
        reverse("admin:segments_legalentity_change", args=[acme.pk]),
        {"tenant": TENANT, "public_id": "acme", "name": "Big Acme", "base_version": acme.version,
         "mixins": "", "metadata_mixins": ""},
    )  # fmt: skip

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _members() == {("big", "bob", "acme", "AUTOMATIC")}
