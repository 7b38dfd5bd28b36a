"""The storefront preview page: what a customer sees on a site at a moment."""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from operator import or_
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.utils import translation

from catalog.models import CategoryAssignment, Product
from segments_project.api.localization import ALL_LANGUAGES
from segments_project.tenancy.admin_scoping import granted_tenant_names

from ...hooks import PREVIEW_PANELS
from ...models import ItemType, Segment, SegmentItemAssignment
from ...selectors.members import customer_assignments
from ...selectors.storefront_match import match_products
from ...selectors.storefront_scope import StorefrontScope
from ...selectors.storefront_trees import categories_given_directly, segment_category_forest
from ..forms import PreviewForm
from .explain import explain_url
from .pages import customer_named, page_context, sites_of
from .preview_tree import (
    ForestLabels,
    display_forest,
    display_name,
    forest_ids,
    products_by_category,
    segments_not_counting,
)

PREVIEW_PRODUCTS = 100


def _visible_condition(scope: StorefrontScope) -> Q:
    """The products the scope's segments give: assigned directly, or placed in an assigned
    category's subtree (the rule of `storefront_match`, which confirms each shown one)."""
    assigned = SegmentItemAssignment.objects.filter(
        tenant_id=scope.tenant, segment__in=scope.segments()
    )
    direct = assigned.filter(item_type=ItemType.PRODUCT).order_by().values("product_id")
    paths = set(
        assigned.filter(item_type=ItemType.CATEGORY).values_list("category__path", flat=True)
    )
    if not paths:
        return Q(pk__in=direct)
    placed = (
        CategoryAssignment.objects.filter(
            reduce(or_, (Q(category__path__startswith=path) for path in paths)),
            tenant_id=scope.tenant,
        )
        .order_by()
        .values("product_id")
    )
    # One IN over the union, not two INs ORed: PostgreSQL answers an OR of subqueries by
    # reading every product of the tenant (0.5 s at 2,000,000 products), the union by
    # looking up its ids.
    return Q(pk__in=direct.union(placed))


def _visible_products(
    scope: StorefrontScope, language: str | None, explain: Callable[[str, str], str]
) -> tuple[list[dict[str, Any]], int]:
    """The products the scope's segments give (directly, or in an assigned category's
    subtree), the first PREVIEW_PRODUCTS of them confirmed by the storefront's matcher."""
    segments = scope.segments()
    condition = _visible_condition(scope)
    products = Product.objects.filter(condition, tenant_id=scope.tenant).order_by("public_id")
    total = products.count()
    page = list(products[:PREVIEW_PRODUCTS])
    matches = match_products(
        tenant=scope.tenant, product_ids=[product.public_id for product in page], segments=segments
    )
    return [
        {
            "product": product,
            "name": display_name(product.name, language),
            "segment_ids": matches.get(product.public_id, []),
            "explain_url": explain("PRODUCT", product.public_id),
        }
        for product in page
        if product.public_id in matches
    ], total


def _segment_named(model_admin: Any, request: HttpRequest, data: QueryDict) -> Segment | None:
    """The segment the preview starts from (`?segment=<pk>`), if one is named; 404 when the
    user's segment admin does not show it."""
    if not data.get("segment"):
        return None
    segment = model_admin.get_queryset(request).filter(pk=data["segment"]).first()
    if segment is None:
        raise Http404("No such segment.")
    return segment


def _members_to_preview_as(segment: Segment) -> list[tuple[Any, str]]:
    """A few of the segment's members, each with the query string that previews as them."""
    members: list[tuple[Any, str]] = []
    rows = customer_assignments(tenant=segment.tenant_id, segment=segment)
    for row in rows.order_by("pk")[:10]:
        params = {"segment": segment.pk, "customer": row.customer_id}
        if row.legal_entity_id:
            params["legal_entity"] = row.legal_entity_id
        members.append((row, "?" + urlencode(params)))
    return members


def preview_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    """What a storefront shows a customer on a site at a moment: their segments, the
    segment-filtered category tree, the products and the panels of the apps above
    (`PREVIEW_PANELS`: the coupons), computed by the storefront's own code
    (`segments.selectors.storefront_scope`, `active_member_segments`)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    data = request.GET.copy()
    from_segment = _segment_named(model_admin, request, data)
    tenant = None
    if from_segment is not None:
        tenant = from_segment.tenant_id
        data.setdefault("site", from_segment.site_code)
    customer_pk = data.get("customer")
    customer = customer_named(model_admin, request, customer_pk)
    if customer is not None:
        tenant = tenant or customer.tenant_id
    sites = sites_of(tenant)
    if not data.get("language"):
        data["language"] = translation.get_language().split("-")[0]
    bound = bool(customer_pk)
    form = PreviewForm(
        data if bound else None,
        admin_site=model_admin.admin_site,
        tenant=tenant,
        tenants=granted_tenant_names(request),
        sites=sites,
        initial={"site": data.get("site", ""), "language": data["language"]},
    )
    result = _preview(form) if bound and form.is_valid() else None
    # From a segment: a few of its members to preview as, one click each.
    members = (
        _members_to_preview_as(from_segment) if from_segment is not None and result is None else []
    )
    context = page_context(
        model_admin,
        request,
        from_segment,
        "Storefront preview",
        form=form,
        media=model_admin.media + form.media,
        result=result,
        from_segment=from_segment,
        members=members,
    )
    return TemplateResponse(request, "admin/segments/preview.html", context)


def _preview(form: PreviewForm) -> dict[str, Any]:
    customer = form.cleaned_data["customer"]
    legal_entity = form.cleaned_data.get("legal_entity")
    language = (form.cleaned_data.get("language") or "").strip().lower() or None
    scope = StorefrontScope(
        tenant=customer.tenant_id,
        customer_id=customer.public_id,
        legal_entity_id=legal_entity.public_id if legal_entity else None,
        site_code=form.cleaned_data.get("site") or None,
        at=form.cleaned_data["at"],
    )
    segments = list(scope.segments().order_by("public_id"))

    # Built once: a forest at scale L has thousands of nodes, each with its link.
    about_customer = explain_url(
        customer=customer, legal_entity=legal_entity, site=scope.site_code, at=scope.at
    )

    def explain(item_type: str, item_id: str) -> str:
        """`explain_url` of the item (the same link, without a `reverse` per node)."""
        return f"{about_customer}&{urlencode({'item_type': item_type, 'item_id': item_id})}"

    forest = segment_category_forest(scope, ALL_LANGUAGES)
    products, product_total = _visible_products(scope, language, explain)
    panels = [panel(scope) for panel in PREVIEW_PANELS]
    names = {segment.public_id: display_name(segment.name, language) for segment in segments}
    for entry in products:
        entry["given_by"] = [(sid, names.get(sid, sid)) for sid in entry["segment_ids"]]
    labels = ForestLabels(
        language=language,
        segment_names=names,
        givers=categories_given_directly(scope),
        products_in=products_by_category(
            scope.tenant, forest_ids(forest), _visible_condition(scope)
        ),
        explain=explain,
    )
    return {
        "scope": scope,
        "customer": customer,
        "legal_entity": legal_entity,
        "segments": [
            {"segment": segment, "name": names[segment.public_id]} for segment in segments
        ],
        "not_counting": segments_not_counting(scope, language),
        "forest": display_forest(forest, labels),
        "products": products,
        "product_total": product_total,
        "products_cut": product_total > len(products),
        "panels": panels,
        # Each panel's context also under its name, for whoever reads the result.
        **{panel.name: panel.context for panel in panels},
    }
