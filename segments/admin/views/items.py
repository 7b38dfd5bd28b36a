"""The segment's items page (products and categories): paged and searchable, with add,
remove and CSV export."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from segments_project.admin import api_error_on_form, localized_display
from segments_project.errors import ApplicationError

from ...documents.items import ITEM_CODE, ITEM_ID, ITEM_NAME
from ...models import ItemType, Segment
from ...selectors.items import item_assignments_of
from ...services import items as item_services
from ..forms import ItemAddForm
from .exports import assignments_csv_response
from .pages import (
    back_to_list,
    chosen_rows,
    page_context,
    paged,
    post_only,
    posted,
    query_string,
    segment_for,
    segment_url,
)


def items_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """The segment's products and categories, paged and searchable, with an add form."""
    segment = segment_for(model_admin, request, object_id, write=request.method == "POST")
    form = ItemAddForm(posted(request), segment=segment, admin_site=model_admin.admin_site)
    if request.method == "POST" and form.is_valid():
        added = _add_item(model_admin, request, segment, form)
        if added is not None:
            return added
    query = request.GET.get("q", "").strip()
    item_type = request.GET.get("type", "").upper()
    rows = _matching_items(segment, query, item_type)
    page = paged(request, rows.order_by("item_type", "-pk"))
    _name_items(page.object_list)
    context = page_context(
        model_admin,
        request,
        segment,
        f"Items of {segment.public_id}",
        form=form,
        media=model_admin.media + form.media,
        page=page,
        query=query,
        item_type=item_type,
        total=page.paginator.count,
        type_links=_type_links(request, item_type),
        remove_url=segment_url("items_remove", segment),
        export_url=segment_url("items_export", segment),
    )
    return TemplateResponse(request, "admin/segments/segment_items.html", context)


def _add_item(
    model_admin: Any, request: HttpRequest, segment: Segment, form: ItemAddForm
) -> HttpResponse | None:
    """Adds the form's item through the service: a redirect back to the page, or None with
    the service's error on the form."""
    item_type, item = form.item
    label = f"{item_type.lower()} {item.public_id}"
    try:
        created = item_services.item_assignment_upsert(
            tenant=segment.tenant_id,
            segment_id=segment.public_id,
            item_type=item_type,
            item_id=item.public_id,
            document=None,
        )
    except ApplicationError as exc:
        field = "product" if item_type == ItemType.PRODUCT else "category"
        api_error_on_form(form, exc, {"id": field, "itemId": field})
        return None
    if created:
        model_admin.log_change(request, segment, f"Added the {label}.")
        messages.success(request, f"The {label} is now in {segment.public_id}.")
    else:
        messages.info(request, f"The {label} already was in {segment.public_id}.")
    return HttpResponseRedirect(request.get_full_path())


def _matching_items(segment: Segment, query: str, item_type: str) -> QuerySet:
    """The segment's items of the chosen type (any when it is not one) matching `query`."""
    rows = item_assignments_of(segment=segment)
    if item_type in ItemType.values:
        rows = rows.filter(item_type=item_type)
    if query:
        rows = rows.filter(
            Q(**{f"{ITEM_ID}__icontains": query})
            | Q(**{f"{ITEM_CODE}__icontains": query})
            | Q(product__name__icontains=query)
            | Q(category__name__icontains=query)
        )
    return rows


def _name_items(rows: Iterable[Any]) -> None:
    """Gives each row of the page its item and the item's name to show."""
    for row in rows:
        item = row.product if row.item_type == ItemType.PRODUCT else row.category
        row.item = item
        row.item_name = localized_display(getattr(row, ITEM_NAME, None) or item.name)


def _type_links(request: HttpRequest, item_type: str) -> list[dict[str, Any]]:
    """The filter links by item type, the chosen one marked."""
    return [
        {
            "label": label,
            "query": query_string(request, type=value, p=None),
            "current": item_type == value,
        }
        for value, label in (("", "All"), ("PRODUCT", "Products"), ("CATEGORY", "Categories"))
    ]


@post_only
def items_remove_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Takes the chosen item (`remove`) or the ticked ones (`selected`) out of the segment."""
    segment = segment_for(model_admin, request, object_id, write=True)
    rows = item_assignments_of(segment=segment).filter(pk__in=chosen_rows(request))
    by_type: dict[str, list[str]] = {}
    for item_type, item_id in rows.order_by("item_type", ITEM_ID).values_list("item_type", ITEM_ID):
        by_type.setdefault(item_type, []).append(item_id)
    for item_type, item_ids in by_type.items():
        item_services.item_assignments_delete_bulk(
            tenant=segment.tenant_id,
            segment_id=segment.public_id,
            item_type=item_type,
            item_ids=item_ids,
        )
    removed = [f"{kind.lower()} {item}" for kind, items in by_type.items() for item in items]
    if removed:
        model_admin.log_change(request, segment, f"Removed the items {', '.join(removed)}.")
        messages.success(request, f"Removed {len(removed)} item(s): {', '.join(removed)}.")
    else:
        messages.warning(request, "No item was chosen.")
    return back_to_list(request, segment_url("items", segment))


def items_export_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    segment = segment_for(model_admin, request, object_id, write=False)
    return assignments_csv_response("segment-items", [segment])
