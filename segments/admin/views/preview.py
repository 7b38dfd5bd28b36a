"""The storefront preview page: what a customer sees on a site at a moment."""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from operator import or_
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation

from catalog.models import CategoryAssignment, Product
from segments_project.api.localization import ALL_LANGUAGES
from segments_project.db.sql import InComputedFirst
from segments_project.tenancy.admin_scoping import granted_tenant_names

from ...hooks import PREVIEW_PANELS
from ...models import ItemType, Segment, SegmentItemAssignment
from ...selectors.members import customer_assignments
from ...selectors.storefront_match import match_products
from ...selectors.storefront_scope import StorefrontScope
from ...selectors.storefront_trees import categories_given_directly, segment_category_forest
from ..forms import PreviewForm
from .explain import preview_query, valid_preview_form
from .pages import capped_count, count_text, customer_named, page_context, sites_of
from .preview_tree import (
    ForestLabels,
    display_level,
    display_name,
    find_node,
    segments_not_counting,
)

PREVIEW_PRODUCTS = 100
# The customer's products are counted no further than this (then "more than 10,000").
PRODUCT_COUNT_CAP = 10_000


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
        return Q(InComputedFirst(F("pk"), direct))
    placed = (
        CategoryAssignment.objects.filter(
            reduce(or_, (Q(category__path__startswith=path) for path in paths)),
            tenant_id=scope.tenant,
            # The category's tenant too, so that its paths are read from
            # `category_tenant_path` (without it, every category was read: 60 ms at L).
            category__tenant_id=scope.tenant,
        )
        .order_by()
        .values("product_id")
    )
    # One IN over the union, not two INs ORed: PostgreSQL answers an OR of subqueries by
    # reading every product of the tenant (0.5 s at 2,000,000 products); and the union
    # computed first, then its ids looked up: from its estimate of the paths' matches (ten
    # times too high at L) it hash-joined the union with every product.
    return Q(InComputedFirst(F("pk"), direct.union(placed)))


def _visible_products(
    scope: StorefrontScope, language: str | None, explain: Callable[[str, str], str]
) -> tuple[list[dict[str, Any]], int]:
    """The products the scope's segments give (directly, or in an assigned category's
    subtree), the first PREVIEW_PRODUCTS of them confirmed by the storefront's matcher."""
    segments = scope.segments()
    condition = _visible_condition(scope)
    products = Product.objects.filter(condition, tenant_id=scope.tenant).order_by("public_id")
    total = capped_count(products, PRODUCT_COUNT_CAP)
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


def members_to_preview_as(segment: Segment) -> QuerySet:
    """A few of the segment's members, the newest first: the members page's order, read
    from its index (`member_added`) whatever the segment's size."""
    rows = customer_assignments(tenant=segment.tenant_id, segment=segment)
    return rows.order_by("-created_at", "-pk")[:10]


def _members_to_preview_as(segment: Segment) -> list[tuple[Any, str]]:
    """A few of the segment's members, each with the query string that previews as them."""
    members: list[tuple[Any, str]] = []
    for row in members_to_preview_as(segment):
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


def _scope(form: PreviewForm) -> StorefrontScope:
    customer = form.cleaned_data["customer"]
    legal_entity = form.cleaned_data.get("legal_entity")
    return StorefrontScope(
        tenant=customer.tenant_id,
        customer_id=customer.public_id,
        legal_entity_id=legal_entity.public_id if legal_entity else None,
        site_code=form.cleaned_data.get("site") or None,
        at=form.cleaned_data["at"],
    )


def _language(form: PreviewForm) -> str | None:
    return (form.cleaned_data.get("language") or "").strip().lower() or None


def _labels(form: PreviewForm, scope: StorefrontScope, names: dict[str, str]) -> ForestLabels:
    """The labels of the preview's forest: the links are built once (a level may have
    hundreds of nodes, each with two links), not with a `reverse` per node."""
    language = _language(form)
    context = preview_query(
        customer=form.cleaned_data["customer"],
        legal_entity=form.cleaned_data.get("legal_entity"),
        site=scope.site_code,
        at=scope.at,
    )
    explain_page = reverse("admin:segments_segment_explain") + "?" + context
    tree_page = reverse("admin:segments_segment_preview_tree") + "?" + context
    in_language = urlencode({"language": language or ""})

    def explain(item_type: str, item_id: str) -> str:
        """`explain_url` of the item."""
        return f"{explain_page}&{urlencode({'item_type': item_type, 'item_id': item_id})}"

    def children_url(category_id: str) -> str:
        """The category's subcategories in the same preview (`preview_tree_view`)."""
        return f"{tree_page}&{in_language}&{urlencode({'category': category_id})}"

    return ForestLabels(
        language=language,
        segment_names=names,
        givers=categories_given_directly(scope),
        tenant=scope.tenant,
        visible=_visible_condition(scope),
        explain=explain,
        children_url=children_url,
    )


def _preview(form: PreviewForm) -> dict[str, Any]:
    customer = form.cleaned_data["customer"]
    legal_entity = form.cleaned_data.get("legal_entity")
    language = _language(form)
    scope = _scope(form)
    segments = list(scope.segments().order_by("public_id"))
    names = {segment.public_id: display_name(segment.name, language) for segment in segments}
    labels = _labels(form, scope, names)
    # The storefront's own forest; the page shows its roots, a category's subcategories
    # are loaded when it is opened (`preview_tree_view`).
    forest = segment_category_forest(scope, ALL_LANGUAGES)
    products, product_total = _visible_products(scope, language, labels.explain)
    panels = [panel(scope) for panel in PREVIEW_PANELS]
    for entry in products:
        entry["given_by"] = [(sid, names.get(sid, sid)) for sid in entry["segment_ids"]]
    return {
        "scope": scope,
        "customer": customer,
        "legal_entity": legal_entity,
        "segments": [
            {"segment": segment, "name": names[segment.public_id]} for segment in segments
        ],
        "not_counting": segments_not_counting(scope, language),
        "forest": display_level(forest, labels),
        "products": products,
        "product_total": product_total,
        "product_total_text": count_text(product_total, PRODUCT_COUNT_CAP),
        "products_cut": product_total > len(products),
        "panels": panels,
        # Each panel's context also under its name, for whoever reads the result.
        **{panel.name: panel.context for panel in panels},
    }


def preview_tree_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    """The subcategories of one category of a customer's storefront preview (`category`,
    with the preview's parameters), as the page's tree shows them: loaded when the
    category is opened. 404 for a customer the user's admin does not show, or a category
    the customer's storefront tree does not hold (another tenant's among them)."""
    form = valid_preview_form(model_admin, request)
    scope = _scope(form)
    forest = segment_category_forest(scope, ALL_LANGUAGES)
    found = find_node(forest, request.GET.get("category") or "")
    if found is None:
        raise Http404("No such category in this customer's storefront tree.")
    node, ancestors = found
    language = _language(form)
    names = {
        segment.public_id: display_name(segment.name, language)
        for segment in scope.segments().only("public_id", "name")
    }
    labels = _labels(form, scope, names)
    given_above = any(category_id in labels.givers for category_id in [*ancestors, node["id"]])
    nodes = display_level(node["subcategories"], labels, given_above=given_above)
    return TemplateResponse(request, "admin/segments/includes/tree.html", {"nodes": nodes})
