"""What the segment's own admin pages share: permission checks, paging, context, URLs."""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any
from urllib.parse import urlencode

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Q, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme

from segments_project.admin import localized_display
from segments_project.db.search import search_text
from segments_project.tenancy.admin_scoping import lookahead_rows, uncounted_page_number

from ...models import CUSTOMER_SEARCH_FIELDS, Customer, LegalEntity, Segment

PAGE_SIZE = 50
# Above this many rows a page says "more than 10,000": counting a segment's 350,000 members
# exactly on every load took a second at scale L (docs/benchmarks.md, issue 20).
COUNT_CAP = 10_000
# A search's matches are counted no further than this ("more than 100", two pages): a common
# last name matches 22,000 members of a 350,000-member segment at scale L, and counting
# 10,000 of them read 150,000 members (docs/benchmarks.md, "Bounded by the page").
SEARCH_COUNT_CAP = 100
# Up to this many matching customers (and legal entities) a members search reads their
# members by customer; above it, it walks the members in the page's order (`members_matching`).
FEW_MATCHES = 500


def capped_count(rows: QuerySet, cap: int | None = None) -> int:
    """The rows' count, read no further than `cap` (default `COUNT_CAP`) + 1 rows
    (`COUNT(*)` over a `LIMIT`): a result above `cap` means "more than `cap`"."""
    return rows.order_by()[: (COUNT_CAP if cap is None else cap) + 1].count()


def count_text(count: int, cap: int | None = None) -> str:
    """A `capped_count` for people: "1,234", or "more than 10,000"."""
    cap = COUNT_CAP if cap is None else cap
    return f"more than {cap:,}" if count > cap else f"{count:,}"


class CappedPage(Page):
    """A page of a `CappedPaginator`: whether another follows is read with the page."""

    more = False

    def has_next(self) -> bool:
        if getattr(self.paginator, "capped", False):
            return self.more
        return super().has_next()

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class KeysFirst:
    """A queryset's slices read in two steps: the slice's primary keys (ordered, offset and
    limited: with the members page's default order an index-only scan of `member_added`),
    then those rows with their joins. A page far in then skips its offset over index
    entries, not over members joined to their customers (page 3,500 of a 350,000-member
    segment at scale L: 0.8 s that way)."""

    def __init__(self, rows: QuerySet) -> None:
        self.rows = rows

    def __getitem__(self, index: slice) -> list[Any]:
        keys = list(self.rows.values_list("pk", flat=True)[index])
        found = self.rows.order_by().in_bulk(keys) if keys else {}
        return [found[key] for key in keys if key in found]


class CappedPaginator(Paginator):
    """A paginator that counts at most `cap` + 1 rows. Beyond the cap the number of pages is
    unknown: any page number is served (an empty one falls back to the last counted page),
    reading one row more than the page to tell whether another follows."""

    def __init__(self, rows: QuerySet, per_page: int, cap: int | None = None) -> None:
        super().__init__(rows, per_page)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def count(self) -> int:
        return capped_count(self.object_list, self.cap)

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    def validate_number(self, number: Any) -> int:
        if not self.capped:
            return super().validate_number(number)
        return uncounted_page_number(number)

    def page(self, number: Any) -> Page:
        if not self.capped:
            # Django's, its rows read keys first as above the cap (the same queries).
            number = self.validate_number(number)
            bottom = (number - 1) * self.per_page
            top = bottom + self.per_page
            if top + self.orphans >= self.count:
                top = self.count
            return self._get_page(KeysFirst(self.object_list)[bottom:top], number, self)
        number = self.validate_number(number)
        rows, more = lookahead_rows(KeysFirst(self.object_list), number, self.per_page)
        if not rows:
            raise EmptyPage("That page contains no results")
        page = self._get_page(rows, number, self)
        page.more = more
        return page

    def get_page(self, number: Any) -> Page:
        if not self.capped:
            return super().get_page(number)
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            # Past the last row: the last page the count reached (it holds rows).
            return self.page(self.num_pages)

    def _get_page(self, *args: Any, **kwargs: Any) -> Page:
        return CappedPage(*args, **kwargs)

    def page_numbers(self, page: CappedPage) -> list[int | str]:
        """The page links around `page`: all of them when counted, else the first, the
        neighbours and a gap for the pages that follow."""
        if not self.capped:
            return list(self.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
        numbers: list[int | str] = [1] if page.number > 3 else []
        if page.number > 4:
            numbers.append(self.ELLIPSIS)
        last = page.number + 1 if page.more else page.number
        numbers.extend(range(max(1, page.number - 2), last + 1))
        if page.more:
            numbers.append(self.ELLIPSIS)
        return numbers


def post_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Lets only POST through (405 otherwise) for views taking the model admin first."""

    def checked(model_admin: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(model_admin, request, *args, **kwargs)

    return update_wrapper(checked, view)


def posted(request: HttpRequest) -> Any:
    """The POST data when the request is a POST (an empty form still binds), else None."""
    return request.POST if request.method == "POST" else None


def chosen_rows(request: HttpRequest) -> list[int]:
    """The rows a remove form names: the row of the pressed button, else the ticked ones."""
    if "remove" in request.POST:
        wanted = [request.POST["remove"]]
    else:
        wanted = request.POST.getlist("selected")
    return [int(value) for value in wanted if value.isdigit()]


def segment_for(model_admin: Any, request: HttpRequest, object_id: str, *, write: bool) -> Segment:
    """The segment (of a granted tenant), or 404; PermissionDenied without the permission."""
    segment = model_admin.get_object(request, unquote(object_id))
    if segment is None:
        raise Http404("No such segment.")
    allowed = (
        model_admin.has_change_permission(request, segment)
        if write
        else model_admin.has_view_permission(request, segment)
    )
    if not allowed:
        raise PermissionDenied
    return segment


def segment_url(name: str, segment: Segment, *args: Any) -> str:
    return reverse(f"admin:segments_segment_{name}", args=[segment.pk, *args])


def audit_trail_url(request: HttpRequest, segment: Segment) -> str | None:
    """The audit trail's list narrowed to the segment, for a user who may read it; None
    without the audit app or the permission."""
    if not request.user.has_perm("audit.view_auditevent"):
        return None
    try:
        url = reverse("admin:audit_auditevent_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode({'segment_id': segment.public_id, 'tenant': segment.tenant_id})}"


def page_context(
    model_admin: Any, request: HttpRequest, segment: Segment | None, title: str, **extra: Any
) -> dict[str, Any]:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "subtitle": None,
        "original": segment,
        "segment": segment,
        "segment_name": localized_display(segment.name) if segment else "",
        "has_view_permission": model_admin.has_view_permission(request, segment),
        "has_change_permission": model_admin.has_change_permission(request, segment),
        "is_popup": False,
        "audit_url": audit_trail_url(request, segment) if segment else None,
    }
    context.update(extra)
    return context


def back_to_list(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the list the form was posted from (same page and search), if it is ours."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


def paged(
    request: HttpRequest, rows: QuerySet, *, capped: bool = False, cap: int | None = None
) -> Any:
    """The requested page of the rows, with `links` to the pages around it and `total`,
    the count as shown. `capped` counts at most `cap` (default `COUNT_CAP`) + 1 rows
    (`CappedPaginator`)."""
    paginator = CappedPaginator(rows, PAGE_SIZE, cap) if capped else Paginator(rows, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("p"))
    page.total = (
        count_text(paginator.count, paginator.cap)
        if isinstance(paginator, CappedPaginator)
        else str(paginator.count)
    )
    numbers = (
        paginator.page_numbers(page)
        if isinstance(paginator, CappedPaginator)
        else paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    )
    page.links = [
        {
            "number": number,
            "gap": number == paginator.ELLIPSIS,
            "current": number == page.number,
            "query": query_string(request, p=number),
        }
        for number in numbers
    ]
    return page


def members_matching(rows: QuerySet, tenant: str, query: str) -> QuerySet:
    """The member rows (customer assignments) whose customer's id, email, name or company,
    or whose legal entity's id or name, contains the search text (case-insensitively).

    Read from the smaller side: the matching customers and legal entities are read first,
    at most `FEW_MATCHES` + 1 of each (an email or a customer number names one). When both
    are that few, the members are those of these ids (read by customer, from its index);
    otherwise (a common last name, 65,000 customers at scale L) each member is checked
    against its own customer's and legal entity's text as the members are read in the
    page's order, so that a page reads about as many members as it takes to fill it, not
    every match intersected with the segment. Either way the same rows."""
    customers = customer_search_rows(tenant, query)
    entities = LegalEntity.objects.filter(tenant_id=tenant).filter(
        Q(public_id__icontains=query) | Q(name__icontains=query)
    )
    # Unordered: the first `FEW_MATCHES` + 1 found, not every match sorted.
    customer_ids = list(customers.order_by().values_list("pk", flat=True)[: FEW_MATCHES + 1])
    entity_ids = list(entities.order_by().values_list("pk", flat=True)[: FEW_MATCHES + 1])
    if len(customer_ids) <= FEW_MATCHES and len(entity_ids) <= FEW_MATCHES:
        return rows.filter(Q(customer_id__in=customer_ids) | Q(legal_entity_id__in=entity_ids))
    joined = [f"customer__{field}" for field in CUSTOMER_SEARCH_FIELDS]
    return rows.alias(customer_text=search_text(*joined)).filter(
        Q(customer_text__icontains=query)
        | Q(legal_entity__public_id__icontains=query)
        | Q(legal_entity__name__icontains=query)
    )


def customer_search_rows(tenant: str, query: str) -> QuerySet:
    """The tenant's customers whose id, email, name or company contains the search text,
    found by their search text's trigram index (migration 0010)."""
    return (
        Customer.objects.filter(tenant_id=tenant)
        .alias(search_text=search_text(*CUSTOMER_SEARCH_FIELDS))
        .filter(search_text__icontains=query)
    )


def customer_search(tenant: str, query: str) -> Q:
    """Rows whose customer's id, email, name or company contains the search text: the
    tenant's matching customers, found by their search text's trigram index (migration
    0010), not by reading every member's customer."""
    return Q(customer__in=customer_search_rows(tenant, query).values("pk"))


def query_string(request: HttpRequest, **changes: Any) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else ""


def customer_named(model_admin: Any, request: HttpRequest, customer_pk: Any) -> Customer | None:
    """The customer `?customer=<pk>` names, if the user's customer admin shows it."""
    if not customer_pk or not str(customer_pk).isdigit():
        return None
    customers = model_admin.admin_site.get_model_admin(Customer).get_queryset(request)
    return customers.filter(pk=customer_pk).first()


def sites_of(tenant: str | None) -> list[str]:
    """The site codes of the tenant's segments, for the site choice; none without a tenant."""
    if not tenant:
        return []
    # Without the default order (tenant, public id), which DISTINCT would take in and so
    # read every segment (20,000 rows at scale L) for a few site codes.
    codes = Segment.objects.filter(tenant_id=tenant).order_by().values_list("site_code", flat=True)
    return sorted(codes.distinct())
