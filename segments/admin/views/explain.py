"""The explain page: why a customer sees (or does not see) an item of the storefront
preview, rendered from the same explanation `GET /segments/explain` answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from segments_project.tenancy.admin_scoping import granted_tenant_names

from ...documents.explain import explanation_document
from ...models import Customer, ItemType, LegalEntity, SegmentCustomerAssignment
from ...selectors.explain import explain_customer
from ..forms import PreviewForm
from .pages import customer_named, page_context, sites_of


def preview_query(
    *,
    customer: Customer,
    legal_entity: LegalEntity | None,
    site: str | None,
    at: datetime | None = None,
) -> str:
    """The query string naming a preview's context for the preview's pages (explain page,
    subcategories): the customer (acting for the legal entity, on the site; every site when
    None), at a moment (now when None)."""
    params: dict[str, object] = {
        "customer": customer.pk,
        "legal_entity": legal_entity.pk if legal_entity else "",
        "site": site or "",
    }
    if at is not None:
        local = timezone.localtime(at)
        params |= {"at_0": local.strftime("%Y-%m-%d"), "at_1": local.strftime("%H:%M:%S")}
    return urlencode(params)


def explain_url(
    *,
    customer: Customer,
    legal_entity: LegalEntity | None,
    site: str | None,
    at: datetime | None = None,
    item_type: str = "",
    item_id: str = "",
) -> str:
    """The explain page of the customer (acting for the legal entity, on the site; every
    site when None), at a moment (now when None), about an item when one is named."""
    query = preview_query(customer=customer, legal_entity=legal_entity, site=site, at=at)
    if item_type:
        query += "&" + urlencode({"item_type": item_type, "item_id": item_id})
    return reverse("admin:segments_segment_explain") + "?" + query


def member_explain_url(assignment: SegmentCustomerAssignment, *, site: str) -> str:
    """The explain page of a member of a segment, in the membership's own context (B2C or
    acting for its legal entity) on the segment's site, now: whether it is MANUAL or
    AUTOMATIC and, for AUTOMATIC, which conditions of the rule keep it."""
    return explain_url(
        customer=assignment.customer, legal_entity=assignment.legal_entity, site=site
    )


def valid_preview_form(model_admin: Any, request: HttpRequest) -> PreviewForm:
    """The preview's parameters of a page that shows one customer's storefront (customer,
    legal entity, site, moment), validated: 403 without the view permission, 404 for a
    customer the user's admin does not show or invalid parameters."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    customer = customer_named(model_admin, request, request.GET.get("customer"))
    if customer is None:
        raise Http404("No such customer.")
    form = PreviewForm(
        request.GET,
        admin_site=model_admin.admin_site,
        tenant=customer.tenant_id,
        tenants=granted_tenant_names(request),
        sites=sites_of(customer.tenant_id),
    )
    if not form.is_valid():
        raise Http404("Invalid preview parameters: " + "; ".join(form.errors))
    return form


def explain_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    """Takes the preview's parameters (customer, legal entity, site, moment) and an item
    (`item_type`, `item_id`); 404 for a customer the user's admin does not show."""
    form = valid_preview_form(model_admin, request)
    customer = form.cleaned_data["customer"]
    item_type = (request.GET.get("item_type") or "").upper()
    item_id = request.GET.get("item_id") or None
    if item_type not in ItemType.values or not item_id:
        item_type, item_id = "", None
    legal_entity = form.cleaned_data.get("legal_entity")
    explanation = explain_customer(
        tenant=customer.tenant_id,
        customer_id=customer.public_id,
        legal_entity_id=legal_entity.public_id if legal_entity else None,
        site_code=form.cleaned_data.get("site") or None,
        at=form.cleaned_data["at"],
        item_type=ItemType(item_type) if item_id else None,
        item_id=item_id,
    )
    context = page_context(
        model_admin,
        request,
        None,
        "Why does this customer see this?",
        customer=customer,
        legal_entity=legal_entity,
        explanation=explanation_document(explanation),
        at=explanation.at,
    )
    return TemplateResponse(request, "admin/segments/explain.html", context)
