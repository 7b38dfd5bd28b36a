"""The segment's members page: paged and searchable, with add, remove and CSV export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from segments_project.admin import api_error_on_form
from segments_project.errors import ApplicationError

from ...selectors.members import customer_assignments
from ...services import members as member_services
from ...services.member_bulk_add import customer_assignments_add_pasted
from ..forms import MemberAddForm
from ..member_forms import MemberBulkAddForm
from .explain import member_explain_url
from .exports import assignments_csv_response
from .pages import (
    SEARCH_COUNT_CAP,
    back_to_list,
    chosen_rows,
    members_matching,
    page_context,
    paged,
    post_only,
    posted,
    query_string,
    segment_for,
    segment_url,
)

_MEMBER_ERROR_FIELDS = {"customerId": "customer", "legalEntityId": "legal_entity"}

# The sortable columns: `?o=<name>` ascending, `?o=-<name>` descending; the pk breaks ties.
MEMBER_SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "customer": ("Customer", ("customer__public_id",)),
    "name": ("Name", ("customer__last_name", "customer__first_name")),
    "email": ("Email", ("customer__email",)),
    "for": ("Acting for", ("legal_entity__public_id",)),
    "type": ("Type", ("assignment_type",)),
    "added": ("Added", ("created_at",)),
}
DEFAULT_MEMBER_SORT = "-added"
NULLABLE_SORT_FIELDS = frozenset({"legal_entity__public_id"})
# Problems of a pasted list shown as messages; the rest are counted.
SHOWN_PROBLEMS = 20


def member_sorting(request: HttpRequest) -> tuple[list[Any], list[dict[str, Any]]]:
    """The `order_by` of the `o` parameter (an unknown one sorts by the default) and the
    column headers with their sort links."""
    requested = request.GET.get("o", DEFAULT_MEMBER_SORT)
    name = requested.removeprefix("-")
    if name not in MEMBER_SORTS:
        requested, name = DEFAULT_MEMBER_SORT, DEFAULT_MEMBER_SORT.removeprefix("-")
    descending = requested.startswith("-")
    fields = MEMBER_SORTS[name][1]
    # Empty values (no legal entity) last either way, on PostgreSQL and SQLite alike; the
    # columns that are never empty keep a plain order, which the index `member_added` serves
    # (with NULLS LAST, PostgreSQL sorted all 350,000 members of a segment for a page).
    order: list[Any] = [
        (F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True))
        if field in NULLABLE_SORT_FIELDS
        else (F(field).desc() if descending else F(field).asc())
        for field in fields
    ]
    order.append("-pk" if descending else "pk")
    headers = []
    for key, (label, _) in MEMBER_SORTS.items():
        current = "desc" if key == name and descending else "asc" if key == name else ""
        following = f"-{key}" if current == "asc" else key
        url = query_string(request, o=following, p=None)
        headers.append({"label": label, "key": key, "sorted": current, "url": url})
    return order, headers


def _bulk_add(
    model_admin: Any, request: HttpRequest, segment: Any, form: MemberBulkAddForm
) -> bool:
    """Adds the pasted customers through the service and says what happened; False when
    the service refused the whole list (its reason is then on the form)."""
    try:
        result = customer_assignments_add_pasted(
            tenant=segment.tenant_id,
            segment_id=segment.public_id,
            text=form.cleaned_data["customers"],
        )
    except ApplicationError as exc:
        form.add_error("customers", exc.message)
        return False
    if result.added:
        names = ", ".join(result.added)
        model_admin.log_change(request, segment, f"Added the members {names}.")
        messages.success(request, f"Added {len(result.added)} member(s): {names}.")
    if result.already:
        messages.info(request, f"Already members: {', '.join(result.already)}.")
    for number, reference, reason in result.problems[:SHOWN_PROBLEMS]:
        messages.error(request, f"Line {number}: {reference}: {reason}")
    hidden = len(result.problems) - SHOWN_PROBLEMS
    if hidden > 0:
        messages.error(request, f"… and {hidden} more lines that named no customer.")
    return True


def members_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """The segment's members, paged and searchable, with an add form."""
    segment = segment_for(model_admin, request, object_id, write=request.method == "POST")
    site = model_admin.admin_site
    bulk = "bulk_add" in request.POST
    form = MemberAddForm(None if bulk else posted(request), segment=segment, admin_site=site)
    bulk_form = MemberBulkAddForm(posted(request) if bulk else None)
    if bulk and bulk_form.is_valid() and _bulk_add(model_admin, request, segment, bulk_form):
        return HttpResponseRedirect(request.get_full_path())
    if request.method == "POST" and not bulk and form.is_valid():
        customer_id = form.customer.public_id
        legal_entity_id = form.legal_entity.public_id if form.legal_entity else None
        who = customer_id + (f" for {legal_entity_id}" if legal_entity_id else "")
        try:
            created = member_services.customer_assignment_upsert(
                tenant=segment.tenant_id,
                segment_id=segment.public_id,
                customer_id=customer_id,
                legal_entity_id=legal_entity_id,
            )
        except ApplicationError as exc:
            api_error_on_form(form, exc, _MEMBER_ERROR_FIELDS)
        else:
            if created:
                model_admin.log_change(request, segment, f"Added the member {who}.")
                messages.success(request, f"{who} is now a member of {segment.public_id}.")
            else:
                messages.info(request, f"{who} already was a member of {segment.public_id}.")
            return HttpResponseRedirect(request.get_full_path())
    query = request.GET.get("q", "").strip()
    rows = customer_assignments(tenant=segment.tenant_id, segment=segment)
    if query:
        rows = members_matching(rows, segment.tenant_id, query)
    order, headers = member_sorting(request)
    cap = SEARCH_COUNT_CAP if query else None
    page = paged(request, rows.order_by(*order), capped=True, cap=cap)
    page.object_list = list(page.object_list)
    for row in page.object_list:
        row.explain_url = member_explain_url(row, site=segment.site_code)
    context = page_context(
        model_admin,
        request,
        segment,
        f"Members of {segment.public_id}",
        form=form,
        bulk_form=bulk_form,
        headers=headers,
        media=model_admin.media + form.media,
        page=page,
        query=query,
        total=page.total,
        total_count=page.paginator.count,
        remove_url=segment_url("members_remove", segment),
        exclusions_url=segment_url("exclusions", segment),
        export_url=segment_url("members_export", segment),
    )
    return TemplateResponse(request, "admin/segments/segment_members.html", context)


@post_only
def members_remove_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Removes the chosen member (`remove`) or the ticked ones (`selected`)."""
    segment = segment_for(model_admin, request, object_id, write=True)
    rows = customer_assignments(tenant=segment.tenant_id, segment=segment).filter(
        pk__in=chosen_rows(request)
    )
    documents = []
    for customer_id, legal_entity_id in rows.values_list(
        "customer__public_id", "legal_entity__public_id"
    ):
        document = {"customerId": customer_id}
        if legal_entity_id is not None:
            document["legalEntityId"] = legal_entity_id
        documents.append(document)
    if documents:
        outcomes = member_services.customer_assignments_delete_bulk(
            tenant=segment.tenant_id, segment_id=segment.public_id, documents=documents
        )
        removed = [str(outcome.key) for outcome in outcomes if outcome.error is None]
        for outcome in outcomes:
            if outcome.error is not None:
                # An AUTOMATIC member: the message says to exclude the customer instead.
                messages.error(request, outcome.error.message)
        if removed:
            names = ", ".join(removed)
            model_admin.log_change(request, segment, f"Removed the members {names}.")
            messages.success(request, f"Removed {len(removed)} member(s): {names}.")
    else:
        messages.warning(request, "No member was chosen.")
    return back_to_list(request, segment_url("members", segment))


def members_export_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    segment = segment_for(model_admin, request, object_id, write=False)
    return assignments_csv_response("segment-customers", [segment])
