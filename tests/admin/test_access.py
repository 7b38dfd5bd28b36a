"""Who sees what: staff only, model permissions (a read-only role), and each staff user's
tenants only, everywhere the admin reads rows."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from segments.models import Segment, SegmentCustomerAssignment
from segments_project.tenancy.admin_scoping import TenantScopedAdminMixin, is_tenant_owned
from segments_project.tenancy.models import Tenant
from tests.segments.factories import make_customer, make_segment

from .conftest import OTHER_TENANT, TENANT

LIST = reverse("admin:segments_segment_changelist")

pytestmark = pytest.mark.django_db


def _url(name: str, segment: Segment) -> str:
    return reverse(f"admin:segments_segment_{name}", args=[segment.pk])


# --- staff only ----------------------------------------------------------------------------------


def test_anonymous_and_non_staff_users_are_sent_to_the_login(shop, login):
    customer_user = User.objects.create_user("shopper", "s@example.com", "pw")

    for client in (Client(), login(customer_user)):
        for url in (LIST, _url("members", shop["gold"]), reverse("admin:segments_segment_preview")):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/admin/login/")


# --- the read-only role --------------------------------------------------------------------------


def test_a_viewer_reads_every_page_without_any_way_to_write(viewer, shop):
    gold = shop["gold"]

    change = viewer.get(_url("change", gold))
    members = viewer.get(_url("members", gold))
    items = viewer.get(_url("items", gold))
    preview = viewer.get(reverse("admin:segments_segment_preview"), {"segment": gold.pk})

    assert [r.status_code for r in (change, members, items, preview)] == [200, 200, 200, 200]
    assert 'name="_save"' not in change.content.decode()
    assert 'name="name__en"' not in change.content.decode()
    for page in (members, items):
        html = page.content.decode()
        assert 'name="add"' not in html
        assert 'name="remove"' not in html
        assert "Download all as CSV" in html
    assert ">Import<" not in change.content.decode()
    assert viewer.get(reverse("admin:segments_segment_add")).status_code == 403


def test_a_viewer_cannot_write_by_posting_directly(viewer, shop):
    gold, carol = shop["gold"], make_customer(TENANT, "carol")
    row = SegmentCustomerAssignment.objects.filter(segment=gold).first()

    responses = [
        viewer.post(_url("members", gold), {"customer": carol.pk}),
        viewer.post(reverse("admin:segments_segment_members_remove", args=[gold.pk]),
                    {"remove": row.pk}),
        viewer.post(_url("items", gold), {"product": shop["products"]["parka"].pk}),
        viewer.get(_url("import", gold)),
        viewer.post(_url("change", gold), {"status": "INACTIVE"}),
        viewer.post(_url("delete", gold), {"post": "yes"}),
    ]  # fmt: skip

    assert [response.status_code for response in responses] == [403] * 6
    assert SegmentCustomerAssignment.objects.filter(pk=row.pk).exists()
    assert not SegmentCustomerAssignment.objects.filter(customer=carol).exists()
    gold.refresh_from_db()
    assert gold.status == "ACTIVE"


# --- tenants -------------------------------------------------------------------------------------


def test_a_merchandiser_sees_only_the_granted_tenants_rows(merchandiser, shop):
    response = merchandiser.get(LIST)
    customers = merchandiser.get(reverse("admin:segments_customer_changelist"))

    assert {s.tenant_id for s in response.context["cl"].result_list} == {TENANT}
    assert {c.tenant_id for c in customers.context["cl"].result_list} == {TENANT}
    # One tenant: no tenant column and no tenant filter.
    assert "column-tenant_name" not in response.content.decode()
    assert "By tenant" not in response.content.decode()


def test_another_tenants_segment_is_not_found(merchandiser, shop):
    foreign = shop["foreign"]

    change = merchandiser.get(_url("change", foreign))
    members = merchandiser.get(_url("members", foreign))
    export = merchandiser.get(reverse("admin:segments_segment_members_export", args=[foreign.pk]))

    assert change.status_code == 302  # Django's "does not exist" redirect to the index
    assert members.status_code == 404
    assert export.status_code == 404


def test_the_tenant_field_offers_only_granted_tenants(merchandiser, shop):
    form = merchandiser.get(reverse("admin:segments_segment_add")).context["adminform"].form
    response = merchandiser.post(
        reverse("admin:segments_segment_add"),
        {"tenant": OTHER_TENANT, "public_id": "sneaky", "name__add_language": "en",
         "name__add_text": "Sneaky", "status": "ACTIVE", "site_code": "main"},
    )  # fmt: skip

    assert [tenant.name for tenant in form.fields["tenant"].queryset] == [TENANT]
    assert "Select a valid choice" in str(response.context["adminform"].form.errors["tenant"])
    assert not Segment.objects.filter(public_id="sneaky").exists()


def test_autocomplete_results_stay_within_the_granted_tenants(merchandiser, shop):
    make_customer(OTHER_TENANT, "alien")

    response = merchandiser.get(
        reverse("admin:segments_customer_scoped_autocomplete"),
        {"app_label": "segments", "model_name": "segmentcustomerassignment",
         "field_name": "customer", "tenant": OTHER_TENANT},
    )  # fmt: skip
    unnarrowed = merchandiser.get(
        reverse("admin:segments_customer_scoped_autocomplete"),
        {"app_label": "segments", "model_name": "segmentcustomerassignment",
         "field_name": "customer"},
    )  # fmt: skip

    assert response.json()["results"] == []
    assert {result["text"].split()[0] for result in unnarrowed.json()["results"]} == {
        "alice",
        "bob",
    }


def test_a_staff_user_of_two_tenants_filters_by_them(make_staff, login, shop):
    Tenant.objects.create(name="initech")
    make_segment("initech", "hidden")
    client = login(make_staff("both", tenants=(TENANT, OTHER_TENANT)))

    response = client.get(LIST)
    only_globex = client.get(LIST, {"tenant": OTHER_TENANT})

    assert {s.tenant_id for s in response.context["cl"].result_list} == {TENANT, OTHER_TENANT}
    html = response.content.decode()
    assert "By tenant" in html and "initech" not in html
    assert [s.public_id for s in only_globex.context["cl"].result_list] == ["gold"]
    assert only_globex.context["cl"].result_list[0].tenant_id == OTHER_TENANT


def test_a_staff_user_without_grants_sees_no_rows(make_staff, login, shop):
    client = login(make_staff("nobody", tenants=()))

    assert list(client.get(LIST).context["cl"].result_list) == []
    assert client.get(_url("members", shop["gold"])).status_code == 404


def test_superusers_see_every_tenant(superuser_client, shop):
    response = superuser_client.get(LIST)

    assert {s.tenant_id for s in response.context["cl"].result_list} == {TENANT, OTHER_TENANT}


def test_tenants_and_their_grants(make_staff, login, superuser_client, shop):
    staff = make_staff("tenant-viewer")
    staff.user_permissions.add(Permission.objects.get(codename="view_tenant"))
    make_staff("other", tenants=(OTHER_TENANT,))

    mine = login(staff).get(reverse("admin:tenancy_tenant_changelist"))
    all_tenants = superuser_client.get(reverse("admin:tenancy_tenant_changelist"))
    users = superuser_client.get(reverse("admin:auth_user_changelist")).content.decode()

    assert [t.name for t in mine.context["cl"].result_list] == [TENANT]
    assert {t.name for t in all_tenants.context["cl"].result_list} == {TENANT, OTHER_TENANT}
    assert "all (superuser)" in users
    assert '<td class="field-tenant_list">globex</td>' in users


ADMINS = [
    (model, model_admin)
    for model, model_admin in admin.site._registry.items()
    if is_tenant_owned(model)
]


@pytest.mark.parametrize(
    "model_admin",
    [pytest.param(model_admin, id=model._meta.label_lower) for model, model_admin in ADMINS],
)
def test_every_admin_of_tenant_owned_rows_is_tenant_scoped(model_admin):
    assert isinstance(model_admin, TenantScopedAdminMixin)
