"""The segment's exclusions page: the customers never made AUTOMATIC members, with add
(an autocomplete of the segment's tenant's customers) and remove, through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from segments_project.admin import api_error_on_form
from segments_project.errors import ApplicationError

from ...selectors.exclusions import exclusions_of
from ...services import exclusions as exclusion_services
from ..forms import ExclusionAddForm
from .pages import (
    back_to_list,
    chosen_rows,
    customer_search,
    page_context,
    paged,
    post_only,
    posted,
    segment_for,
    segment_url,
)


def exclusions_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """The segment's exclusions, paged and searchable, with an add form."""
    segment = segment_for(model_admin, request, object_id, write=request.method == "POST")
    form = ExclusionAddForm(posted(request), segment=segment, admin_site=model_admin.admin_site)
    if request.method == "POST" and form.is_valid():
        customer_id = form.customer.public_id
        try:
            created = exclusion_services.exclusion_put(
                tenant=segment.tenant_id, segment_id=segment.public_id, customer_id=customer_id
            )
        except ApplicationError as exc:
            api_error_on_form(form, exc, {"customerId": "customer"})
        else:
            if created:
                model_admin.log_change(request, segment, f"Excluded the customer {customer_id}.")
                messages.success(
                    request,
                    f"{customer_id} is excluded from {segment.public_id}: never an automatic "
                    "member (a manual membership stays).",
                )
            else:
                messages.info(request, f"{customer_id} already was excluded.")
            return HttpResponseRedirect(request.get_full_path())
    query = request.GET.get("q", "").strip()
    rows = exclusions_of(tenant=segment.tenant_id, segment=segment)
    if query:
        rows = rows.filter(customer_search(segment.tenant_id, query))
    page = paged(request, rows.order_by("-pk"))
    context = page_context(
        model_admin,
        request,
        segment,
        f"Exclusions of {segment.public_id}",
        form=form,
        media=model_admin.media + form.media,
        page=page,
        query=query,
        total=page.paginator.count,
        remove_url=segment_url("exclusions_remove", segment),
    )
    return TemplateResponse(request, "admin/segments/segment_exclusions.html", context)


@post_only
def exclusions_remove_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Lifts the chosen exclusion (`remove`) or the ticked ones (`selected`)."""
    segment = segment_for(model_admin, request, object_id, write=True)
    customer_ids = list(
        exclusions_of(tenant=segment.tenant_id, segment=segment)
        .filter(pk__in=chosen_rows(request))
        .values_list("customer__public_id", flat=True)
    )
    for customer_id in customer_ids:
        exclusion_services.exclusion_delete(
            tenant=segment.tenant_id, segment_id=segment.public_id, customer_id=customer_id
        )
    if customer_ids:
        names = ", ".join(customer_ids)
        model_admin.log_change(request, segment, f"Lifted the exclusions of {names}.")
        messages.success(request, f"Lifted {len(customer_ids)} exclusion(s): {names}.")
    else:
        messages.warning(request, "No exclusion was chosen.")
    return back_to_list(request, segment_url("exclusions", segment))
