"""The segment admin's own pages: members, items, imports, CSV exports, storefront preview.

They live under the segment's change page (`<pk>/members/`, `<pk>/items/`, `<pk>/import/`)
and stay fast for segments with 100,000 members: lists are paged with Django's Paginator
and searched in the database, choices are select2 autocompletes, never select boxes of
every customer or product. Every write goes through the services the API uses and is
recorded in the admin's LogEntry with the user.

Permissions: reading needs the view permission on segments, writing the change
permission; both on a segment of a tenant granted to the user (the admin's `get_object`
is tenant-scoped).
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from decimal import Decimal
from functools import partial, reduce, update_wrapper
from operator import or_
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme

from catalog.models import CategoryAssignment, Product
from segments_project.api.localization import ALL_LANGUAGES
from segments_project.errors import ApplicationError
from segments_project.imports.formats import (
    Format,
    FormatError,
    RowProblem,
    Sink,
    SourceRow,
    detect_format,
    open_source,
)
from segments_project.imports.importers import IMPORTERS
from segments_project.imports.report import Rejection, RejectionLog, Summary
from segments_project.tenancy.admin_scoping import granted_tenant_names, localized_display

from .admin_forms import (
    IMPORT_KINDS,
    ImportUploadForm,
    ItemAddForm,
    MemberAddForm,
    PreviewForm,
    add_api_error,
)
from .items import services as item_services
from .items.documents import ITEM_CODE, ITEM_ID, ITEM_NAME
from .items.selectors import item_assignments_of
from .members import services as member_services
from .members.selectors import customer_assignments
from .models import Customer, ItemType, Segment, SegmentItemAssignment
from .storefront.match import match_products
from .storefront.scope import StorefrontScope
from .storefront.trees import segment_category_forest

PAGE_SIZE = 50
# Rows an import writes per request: small enough for any request timeout.
IMPORT_CHUNK_ROWS = 2000
# Rows one uploaded file may hold; larger files go through `manage.py import_data`.
IMPORT_MAX_ROWS = 500_000
# Rejections kept for the report page; the downloadable file has all of them.
IMPORT_SHOWN_REJECTIONS = 200
# Jobs older than this are deleted when the next upload starts.
IMPORT_JOB_MAX_AGE_SECONDS = 24 * 3600
PREVIEW_PRODUCTS = 100
PREVIEW_COUPONS = 200


# --- plumbing -----------------------------------------------------------------------------------


def segment_urls(model_admin: Any) -> list[Any]:
    """The URLs of these pages, for `SegmentAdmin.get_urls`."""
    info = f"{model_admin.model._meta.app_label}_{model_admin.model._meta.model_name}"

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        bound = partial(view, model_admin)
        return model_admin.admin_site.admin_view(update_wrapper(bound, view))

    return [
        path("preview/", wrap(preview_view), name=f"{info}_preview"),
        path("<path:object_id>/members/", wrap(members_view), name=f"{info}_members"),
        path(
            "<path:object_id>/members/remove/",
            wrap(members_remove_view),
            name=f"{info}_members_remove",
        ),
        path(
            "<path:object_id>/members/export/",
            wrap(members_export_view),
            name=f"{info}_members_export",
        ),
        path("<path:object_id>/items/", wrap(items_view), name=f"{info}_items"),
        path(
            "<path:object_id>/items/remove/", wrap(items_remove_view), name=f"{info}_items_remove"
        ),
        path(
            "<path:object_id>/items/export/", wrap(items_export_view), name=f"{info}_items_export"
        ),
        path("<path:object_id>/import/", wrap(import_view), name=f"{info}_import"),
        path(
            "<path:object_id>/import/<str:token>/", wrap(import_job_view), name=f"{info}_import_job"
        ),
        path(
            "<path:object_id>/import/<str:token>/step/",
            wrap(import_step_view),
            name=f"{info}_import_step",
        ),
        path(
            "<path:object_id>/import/<str:token>/apply/",
            wrap(import_apply_view),
            name=f"{info}_import_apply",
        ),
        path(
            "<path:object_id>/import/<str:token>/cancel/",
            wrap(import_cancel_view),
            name=f"{info}_import_cancel",
        ),
        path(
            "<path:object_id>/import/<str:token>/rejections/",
            wrap(import_rejections_view),
            name=f"{info}_import_rejections",
        ),
    ]


def _post_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Lets only POST through (405 otherwise) for views taking the model admin first."""

    def checked(model_admin: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(model_admin, request, *args, **kwargs)

    return update_wrapper(checked, view)


def _posted(request: HttpRequest) -> Any:
    """The POST data when the request is a POST (an empty form still binds), else None."""
    return request.POST if request.method == "POST" else None


def _chosen(request: HttpRequest) -> list[int]:
    """The rows a remove form names: the row of the pressed button, else the ticked ones."""
    if "remove" in request.POST:
        wanted = [request.POST["remove"]]
    else:
        wanted = request.POST.getlist("selected")
    return [int(value) for value in wanted if value.isdigit()]


def _segment(model_admin: Any, request: HttpRequest, object_id: str, *, write: bool) -> Segment:
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


def _url(name: str, segment: Segment, *args: Any) -> str:
    return reverse(f"admin:segments_segment_{name}", args=[segment.pk, *args])


def _context(
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
    }
    context.update(extra)
    return context


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the list the form was posted from (same page and search), if it is ours."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


def _page(request: HttpRequest, rows: QuerySet) -> Any:
    """The requested page of the rows, with `links` to the pages around it."""
    paginator = Paginator(rows, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("p"))
    page.links = [
        {
            "number": number,
            "gap": number == paginator.ELLIPSIS,
            "current": number == page.number,
            "query": _query_string(request, p=number),
        }
        for number in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    return page


def _query_string(request: HttpRequest, **changes: Any) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else ""


# --- members ------------------------------------------------------------------------------------

_MEMBER_ERROR_FIELDS = {"customerId": "customer", "legalEntityId": "legal_entity"}


def members_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """The segment's members, paged and searchable, with an add form."""
    segment = _segment(model_admin, request, object_id, write=request.method == "POST")
    site = model_admin.admin_site
    form = MemberAddForm(_posted(request), segment=segment, admin_site=site)
    if request.method == "POST" and form.is_valid():
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
            add_api_error(form, exc, _MEMBER_ERROR_FIELDS)
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
        rows = rows.filter(
            Q(customer__public_id__icontains=query)
            | Q(customer__email__icontains=query)
            | Q(customer__first_name__icontains=query)
            | Q(customer__last_name__icontains=query)
            | Q(legal_entity__public_id__icontains=query)
            | Q(legal_entity__name__icontains=query)
        )
    page = _page(request, rows.order_by("-pk"))
    context = _context(
        model_admin,
        request,
        segment,
        f"Members of {segment.public_id}",
        form=form,
        media=model_admin.media + form.media,
        page=page,
        query=query,
        total=page.paginator.count,
        remove_url=_url("members_remove", segment),
        export_url=_url("members_export", segment),
    )
    return TemplateResponse(request, "admin/segments/segment_members.html", context)


@_post_only
def members_remove_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Removes the chosen member (`remove`) or the ticked ones (`selected`)."""
    segment = _segment(model_admin, request, object_id, write=True)
    rows = customer_assignments(tenant=segment.tenant_id, segment=segment).filter(
        pk__in=_chosen(request)
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
        member_services.customer_assignments_delete_bulk(
            tenant=segment.tenant_id, segment_id=segment.public_id, documents=documents
        )
        names = ", ".join(
            doc["customerId"] + (f" for {doc['legalEntityId']}" if "legalEntityId" in doc else "")
            for doc in documents
        )
        model_admin.log_change(request, segment, f"Removed the members {names}.")
        messages.success(request, f"Removed {len(documents)} member(s): {names}.")
    else:
        messages.warning(request, "No member was chosen.")
    return _back(request, _url("members", segment))


def members_export_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    segment = _segment(model_admin, request, object_id, write=False)
    return assignments_csv_response("segment-customers", [segment])


# --- items --------------------------------------------------------------------------------------


def items_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """The segment's products and categories, paged and searchable, with an add form."""
    segment = _segment(model_admin, request, object_id, write=request.method == "POST")
    form = ItemAddForm(_posted(request), segment=segment, admin_site=model_admin.admin_site)
    if request.method == "POST" and form.is_valid():
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
            add_api_error(form, exc, {"id": field, "itemId": field})
        else:
            if created:
                model_admin.log_change(request, segment, f"Added the {label}.")
                messages.success(request, f"The {label} is now in {segment.public_id}.")
            else:
                messages.info(request, f"The {label} already was in {segment.public_id}.")
            return HttpResponseRedirect(request.get_full_path())
    query = request.GET.get("q", "").strip()
    item_type = request.GET.get("type", "").upper()
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
    page = _page(request, rows.order_by("item_type", "-pk"))
    for row in page.object_list:
        item = row.product if row.item_type == ItemType.PRODUCT else row.category
        row.item = item
        row.item_name = localized_display(getattr(row, ITEM_NAME, None) or item.name)
    context = _context(
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
        type_links=[
            {
                "label": label,
                "query": _query_string(request, type=value, p=None),
                "current": item_type == value,
            }
            for value, label in (("", "All"), ("PRODUCT", "Products"), ("CATEGORY", "Categories"))
        ],
        remove_url=_url("items_remove", segment),
        export_url=_url("items_export", segment),
    )
    return TemplateResponse(request, "admin/segments/segment_items.html", context)


@_post_only
def items_remove_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """Takes the chosen item (`remove`) or the ticked ones (`selected`) out of the segment."""
    segment = _segment(model_admin, request, object_id, write=True)
    rows = item_assignments_of(segment=segment).filter(pk__in=_chosen(request))
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
    return _back(request, _url("items", segment))


def items_export_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    segment = _segment(model_admin, request, object_id, write=False)
    return assignments_csv_response("segment-items", [segment])


# --- CSV exports --------------------------------------------------------------------------------


def _csv_chunks(kind: str, segments: list[Segment]) -> Iterator[str]:
    """The rows of the segments' assignments in the import's CSV layout, a chunk at a time.

    The columns are the command-line export's (`segments_project.imports.exporters`), so a
    downloaded file imports back unchanged.
    """
    from segments_project.imports.exporters import EXPORTERS

    exporter = EXPORTERS[kind]
    buffer = io.StringIO()
    sink = Sink(buffer, Format.CSV, exporter.layout, languages={})
    by_tenant: dict[str, list[int]] = {}
    for segment in segments:
        by_tenant.setdefault(segment.tenant_id, []).append(segment.pk)
    for tenant, pks in sorted(by_tenant.items()):
        rows = exporter.rows(tenant).filter(segment_id__in=pks)
        for row in rows.iterator(chunk_size=2000):
            sink.write(exporter.render(row))
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


def assignments_csv_response(kind: str, segments: list[Segment]) -> StreamingHttpResponse:
    """A streamed CSV download of the segments' members (`segment-customers`) or items."""
    what = "members" if kind == "segment-customers" else "items"
    stem = segments[0].public_id if len(segments) == 1 else "segments"
    safe_stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem)
    response = StreamingHttpResponse(_csv_chunks(kind, segments), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{safe_stem}-{what}.csv"'
    return response


# --- imports ------------------------------------------------------------------------------------


def import_root() -> Path:
    configured = getattr(settings, "SEGMENTS_ADMIN_IMPORT_DIR", "")
    return Path(configured or tempfile.gettempdir()) / "segments-admin-imports"


_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_COUNTS = ("read", "inserted", "updated", "unchanged", "rejected")


def _empty_counts() -> dict[str, int]:
    return dict.fromkeys(_COUNTS, 0)


def _for_segment(rows: Iterable[SourceRow], segment_id: str) -> Iterator[SourceRow]:
    """The rows with the segment filled in; a row naming another segment is refused."""
    for row in rows:
        document = row.document
        if row.problem is None and isinstance(document, dict):
            named = document.get("segmentId")
            if named in (None, ""):
                document["segmentId"] = segment_id
            elif named != segment_id:
                problem = RowProblem(
                    "segmentId",
                    f"The row is for the segment {named}; this file is imported into {segment_id}.",
                )
                row = SourceRow(line=row.line, problem=problem)
        yield row


class _CollectedRejections(RejectionLog):
    """Counts rejections (as the import's log does) and hands each to `collect`."""

    def __init__(self, summary: Summary, collect: Callable[[Rejection], None]) -> None:
        super().__init__(summary)
        self._collect = collect

    def add(self, rejection: Rejection) -> None:
        super().add(rejection)
        self._collect(rejection)


class ImportJob:
    """An uploaded file being checked (dry run) and then applied, one part per request.

    The upload is read once, checked for its format and split into parts of
    `IMPORT_CHUNK_ROWS` rows (JSON lines of `[line, document, problem]`) in a private
    folder; `state.json` records the progress. Each step runs the command-line import's
    importer (`segments_project.imports`) over one part, so a large file never holds a
    request for long. Steps of one job are serialized with a file lock.
    """

    def __init__(self, directory: Path, state: dict[str, Any]) -> None:
        self.directory = directory
        self.state = state

    # -- creation and lookup --

    @classmethod
    def create(cls, *, user_id: int, segment: Segment, kind: str, upload: Any) -> ImportJob:
        """Stores and splits the upload; FormatError when the file cannot be read."""
        _forget_old_jobs()
        token = secrets.token_urlsafe(24)
        directory = import_root() / token
        directory.mkdir(parents=True, mode=0o700)
        try:
            name = Path(upload.name).name
            raw = directory / ("upload-" + re.sub(r"[^A-Za-z0-9._-]", "_", name))
            with open(raw, "wb") as target:
                for chunk in upload.chunks():
                    target.write(chunk)
            fmt = detect_format(name)
            rows, parts = cls._split(raw, directory, fmt, kind, segment.public_id)
            raw.unlink()
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        state = {
            "token": token,
            "user": user_id,
            "segment": segment.pk,
            "tenant": segment.tenant_id,
            "segment_id": segment.public_id,
            "kind": kind,
            "file_name": name,
            "format": str(fmt),
            "rows": rows,
            "parts": parts,
            "phase": "checking" if parts else "checked",
            "next_part": 0,
            "check": _empty_counts(),
            "apply": _empty_counts(),
            "rejections": [],
            "created": timezone.now().isoformat(),
        }
        job = cls(directory, state)
        job.save()
        return job

    @staticmethod
    def _split(raw: Path, directory: Path, fmt: Format, kind: str, segment_id: str) -> tuple:
        layout = IMPORTERS[kind].layout
        rows = parts = 0
        target = None
        try:
            with open_source(str(raw), fmt, layout) as source:
                for row in _for_segment(source, segment_id):
                    if rows >= IMPORT_MAX_ROWS:
                        raise FormatError(
                            f"The file has more than {IMPORT_MAX_ROWS:,} rows; split it, or "
                            "use the import_data command."
                        )
                    if rows % IMPORT_CHUNK_ROWS == 0:
                        if target is not None:
                            target.close()
                        target = open(directory / f"part-{parts:05d}.jsonl", "w")  # noqa: SIM115
                        parts += 1
                    problem = [row.problem.field, row.problem.message] if row.problem else None
                    target.write(json.dumps([row.line, row.document, problem]) + "\n")
                    rows += 1
        finally:
            if target is not None:
                target.close()
        return rows, parts

    @classmethod
    def load(cls, token: str, *, request: HttpRequest, segment: Segment) -> ImportJob:
        """The user's job for this segment, or 404."""
        if not _TOKEN.match(token):
            raise Http404("No such import.")
        directory = import_root() / token
        try:
            state = json.loads((directory / "state.json").read_text())
        except (OSError, ValueError) as exc:
            raise Http404("No such import (it may have expired).") from exc
        if state.get("user") != request.user.pk or state.get("segment") != segment.pk:
            raise Http404("No such import.")
        return cls(directory, state)

    # -- state --

    def save(self) -> None:
        temporary = self.directory / "state.json.tmp"
        temporary.write_text(json.dumps(self.state))
        os.replace(temporary, self.directory / "state.json")

    @contextmanager
    def locked(self) -> Iterator[None]:
        with open(self.directory / "lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                # Another request may have moved the job on while this one waited.
                self.state = json.loads((self.directory / "state.json").read_text())
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @property
    def token(self) -> str:
        return self.state["token"]

    @property
    def running(self) -> bool:
        return self.state["phase"] in ("checking", "applying")

    @property
    def done_rows(self) -> int:
        return min(self.state["next_part"] * IMPORT_CHUNK_ROWS, self.state["rows"])

    def progress(self) -> dict[str, Any]:
        rows = self.state["rows"]
        return {
            "phase": self.state["phase"],
            "rows": rows,
            "done_rows": self.done_rows if self.running else rows,
            "percent": round(100 * self.done_rows / rows) if rows and self.running else 100,
            "finished": not self.running,
            "check": self.state["check"],
            "apply": self.state["apply"],
        }

    # -- work --

    def _part_rows(self, number: int) -> Iterator[SourceRow]:
        with open(self.directory / f"part-{number:05d}.jsonl") as part:
            for text in part:
                line, document, problem = json.loads(text)
                yield SourceRow(
                    line=line,
                    document=document,
                    problem=RowProblem(*problem) if problem else None,
                )

    def step(self) -> bool:
        """Checks or applies the next part; returns whether the phase just finished."""
        applying = self.state["phase"] == "applying"
        number = self.state["next_part"]
        summary = Summary()
        rejections_file = self.directory / ("rejections.csv" if applying else "check.csv")
        shown: list[dict[str, Any]] = self.state["rejections"]
        with open(rejections_file, "a", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            if number == 0:
                writer.writerow(["line", "field", "type", "message", "id"])

            def collect(rejection: Rejection) -> None:
                fields = asdict(rejection)
                writer.writerow(["" if value is None else value for value in fields.values()])
                if len(shown) < IMPORT_SHOWN_REJECTIONS:
                    shown.append(fields)

            importer = IMPORTERS[self.state["kind"]](
                tenant=self.state["tenant"],
                chunk_size=IMPORT_CHUNK_ROWS,
                dry_run=not applying,
                summary=summary,
                rejections=_CollectedRejections(summary, collect),
            )
            importer.run(self._part_rows(number))
        counts = self.state["apply" if applying else "check"]
        for name in _COUNTS:
            counts[name] += getattr(summary, name)
        self.state["next_part"] = number + 1
        finished = self.state["next_part"] >= self.state["parts"]
        if finished:
            self.state["phase"] = "done" if applying else "checked"
        self.save()
        return finished

    def start_applying(self) -> None:
        if self.state["phase"] != "checked":
            return
        self.state.update(phase="applying" if self.state["parts"] else "done", next_part=0)
        self.state["rejections"] = []
        self.save()

    def delete(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _forget_old_jobs() -> None:
    root = import_root()
    if not root.exists():
        return
    limit = time.time() - IMPORT_JOB_MAX_AGE_SECONDS
    for directory in root.iterdir():
        try:
            if directory.is_dir() and directory.stat().st_mtime < limit:
                shutil.rmtree(directory, ignore_errors=True)
        except OSError:
            continue


def import_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """The upload form; a valid upload starts the dry run."""
    segment = _segment(model_admin, request, object_id, write=True)
    form = ImportUploadForm(_posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            job = ImportJob.create(
                user_id=request.user.pk,
                segment=segment,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except FormatError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect(_url("import_job", segment, job.token))
    context = _context(
        model_admin,
        request,
        segment,
        f"Import into {segment.public_id}",
        form=form,
        max_rows=IMPORT_MAX_ROWS,
        chunk_rows=IMPORT_CHUNK_ROWS,
        item_columns=", ".join(field.path for field in IMPORTERS["segment-items"].layout.fields),
        member_columns=", ".join(
            field.path for field in IMPORTERS["segment-customers"].layout.fields
        ),
    )
    return TemplateResponse(request, "admin/segments/segment_import.html", context)


def import_job_view(model_admin: Any, request: HttpRequest, object_id: str, token: str) -> Any:
    """The job's progress while it runs; its report when the dry run or the import is done."""
    segment = _segment(model_admin, request, object_id, write=True)
    job = ImportJob.load(token, request=request, segment=segment)
    state = job.state
    context = _context(
        model_admin,
        request,
        segment,
        f"Import into {segment.public_id}: {state['file_name']}",
        job=state,
        kind_label=IMPORT_KINDS[state["kind"]],
        progress=job.progress(),
        step_url=_url("import_step", segment, token),
        apply_url=_url("import_apply", segment, token),
        cancel_url=_url("import_cancel", segment, token),
        rejections_url=_url("import_rejections", segment, token),
        list_url=_url("items" if state["kind"] == "segment-items" else "members", segment),
        ok_rows=sum(state["check"][name] for name in ("inserted", "updated", "unchanged")),
        chunk_rows=IMPORT_CHUNK_ROWS,
    )
    return TemplateResponse(request, "admin/segments/segment_import_job.html", context)


@_post_only
def import_step_view(model_admin: Any, request: HttpRequest, object_id: str, token: str) -> Any:
    """Runs the next part of the job: JSON progress for the page's script, else a redirect."""
    segment = _segment(model_admin, request, object_id, write=True)
    job = ImportJob.load(token, request=request, segment=segment)
    with job.locked():
        if job.running and job.step() and job.state["phase"] == "done":
            counts = job.state["apply"]
            model_admin.log_change(
                request,
                segment,
                f"Imported {IMPORT_KINDS[job.state['kind']].lower()} from "
                f"{job.state['file_name']}: {counts['inserted']} added, {counts['updated']} "
                f"updated, {counts['unchanged']} unchanged, {counts['rejected']} rejected.",
            )
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(job.progress())
    return redirect(_url("import_job", segment, token))


@_post_only
def import_apply_view(model_admin: Any, request: HttpRequest, object_id: str, token: str) -> Any:
    """Starts writing a checked file (the page then drives the steps)."""
    segment = _segment(model_admin, request, object_id, write=True)
    job = ImportJob.load(token, request=request, segment=segment)
    with job.locked():
        job.start_applying()
    return redirect(_url("import_job", segment, token))


@_post_only
def import_cancel_view(model_admin: Any, request: HttpRequest, object_id: str, token: str) -> Any:
    segment = _segment(model_admin, request, object_id, write=True)
    job = ImportJob.load(token, request=request, segment=segment)
    with job.locked():
        running = job.state["phase"] == "applying"
        job.delete()
    if running:
        counts = job.state["apply"]
        model_admin.log_change(
            request,
            segment,
            f"Stopped the import of {job.state['file_name']} after {counts['read']} rows: "
            f"{counts['inserted']} added, {counts['updated']} updated.",
        )
        messages.warning(request, "Import stopped; the parts written so far stay.")
    else:
        messages.info(request, f"Import of {job.state['file_name']} discarded.")
    return redirect(_url("import", segment))


def import_rejections_view(
    model_admin: Any, request: HttpRequest, object_id: str, token: str
) -> Any:
    """Every rejected row of the last phase, as CSV (line, field, type, message, id)."""
    segment = _segment(model_admin, request, object_id, write=True)
    job = ImportJob.load(token, request=request, segment=segment)
    name = "rejections.csv" if job.state["phase"] in ("applying", "done") else "check.csv"
    path_ = job.directory / name
    if not path_.exists():
        raise Http404("No rejections yet.")
    return FileResponse(
        open(path_, "rb"),  # closed by the response
        as_attachment=True,
        filename=f"{job.state['segment_id']}-rejected-rows.csv",
        content_type="text/csv",
    )


# --- storefront preview -------------------------------------------------------------------------


def _name(names: dict[str, str] | None, language: str | None) -> str:
    """The text in the preview's language, else in the admin's (see `localized_display`)."""
    names = names or {}
    if language and names.get(language):
        return names[language]
    return localized_display(names)


def _display_forest(nodes: list[dict[str, Any]], language: str | None) -> list[dict[str, Any]]:
    """The storefront's category forest with one display name per node."""
    shown = []
    for node in nodes:
        shown.append(
            {
                "id": node["id"],
                "name": _name(node.get("name"), language) or node["id"],
                "assigned": node.get("isSegmentAssigned", False),
                "segment_ids": node.get("segmentIds", []),
                "children": _display_forest(node.get("subcategories", []), language),
            }
        )
    return shown


def _visible_products(
    scope: StorefrontScope, language: str | None
) -> tuple[list[dict[str, Any]], int]:
    """The products the scope's segments give (directly, or in an assigned category's
    subtree), the first PREVIEW_PRODUCTS of them confirmed by the storefront's matcher."""
    segments = scope.segments()
    assigned = SegmentItemAssignment.objects.filter(tenant_id=scope.tenant, segment__in=segments)
    direct = assigned.filter(item_type=ItemType.PRODUCT).values("product_id")
    paths = set(
        assigned.filter(item_type=ItemType.CATEGORY).values_list("category__path", flat=True)
    )
    condition = Q(pk__in=direct)
    if paths:
        placed = CategoryAssignment.objects.filter(
            reduce(or_, (Q(category__path__startswith=path) for path in paths)),
            tenant_id=scope.tenant,
        ).values("product_id")
        condition |= Q(pk__in=placed)
    products = Product.objects.filter(condition, tenant_id=scope.tenant).order_by("public_id")
    total = products.count()
    page = list(products[:PREVIEW_PRODUCTS])
    matches = match_products(
        tenant=scope.tenant, product_ids=[product.public_id for product in page], segments=segments
    )
    return [
        {
            "product": product,
            "name": _name(product.name, language),
            "segment_ids": matches.get(product.public_id, []),
        }
        for product in page
        if product.public_id in matches
    ], total


def _coupons(scope: StorefrontScope) -> dict[str, list[Any]] | None:
    """The live coupons the customer could redeem, and those refused with the reasons, as
    the coupons app's own validation (`coupon_validate`) answers; None without the app.

    Cart-dependent conditions (currency, minimum order value) are met on purpose: the
    preview asks whether the customer may use the coupon at all.
    """
    if not apps.is_installed("coupons"):
        return None
    # Imported here: coupons sit above segments, and the preview only borrows their rules.
    from coupons.currencies import DEFAULT_CURRENCY, Money
    from coupons.documents import RedemptionRequest
    from coupons.selectors import coupons_of_tenant
    from coupons.services import CouponRefused, Redeemer, coupon_validate

    redeemer = Redeemer(customer_id=scope.customer_id, legal_entity_id=scope.legal_entity_id)
    redeemable: list[Any] = []
    refused: list[Any] = []
    live = coupons_of_tenant(tenant=scope.tenant, at=scope.at).filter(status="VALID")
    for coupon in live.order_by("public_id")[:PREVIEW_COUPONS]:
        currency = coupon.min_order_currency or coupon.discount_currency or DEFAULT_CURRENCY
        request = RedemptionRequest(
            order_total=Money(coupon.min_order_amount or Decimal("0.00"), currency),
            site_code=scope.site_code,
        )
        try:
            coupon_validate(
                tenant=scope.tenant,
                code=coupon.public_id,
                request=request,
                redeemer=redeemer,
                at=scope.at,
            )
        except CouponRefused as exc:
            refused.append((coupon, [detail.message for detail in exc.details]))
        except ApplicationError as exc:
            refused.append((coupon, [exc.message]))
        else:
            redeemable.append(coupon)
    return {"redeemable": redeemable, "refused": refused}


def preview_view(model_admin: Any, request: HttpRequest) -> HttpResponse:
    """What a storefront shows a customer on a site at a moment: their segments, the
    segment-filtered category tree, the products and the coupons, computed by the
    storefront's own code (`segments.storefront`, `active_member_segments`)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    from_segment = None
    tenant = None
    data = request.GET.copy()
    if data.get("segment"):
        from_segment = model_admin.get_queryset(request).filter(pk=data["segment"]).first()
        if from_segment is None:
            raise Http404("No such segment.")
        tenant = from_segment.tenant_id
        data.setdefault("site", from_segment.site_code)
    customer_pk = data.get("customer")
    customer = None
    if customer_pk:
        customer = (
            model_admin.admin_site.get_model_admin(Customer)
            .get_queryset(request)
            .filter(pk=customer_pk)
            .first()
            if str(customer_pk).isdigit()
            else None
        )
        if customer is not None:
            tenant = tenant or customer.tenant_id
    sites = (
        sorted(
            set(
                Segment.objects.filter(tenant_id=tenant)
                .values_list("site_code", flat=True)
                .distinct()
            )
        )
        if tenant
        else []
    )
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
    result = None
    if bound and form.is_valid():
        result = _preview(form)
    # From a segment: a few of its members to preview as, one click each.
    members = []
    if from_segment is not None and result is None:
        rows = customer_assignments(tenant=from_segment.tenant_id, segment=from_segment)
        for row in rows.order_by("pk")[:10]:
            params = {"segment": from_segment.pk, "customer": row.customer_id}
            if row.legal_entity_id:
                params["legal_entity"] = row.legal_entity_id
            members.append((row, "?" + urlencode(params)))
    context = _context(
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
    forest = segment_category_forest(scope, ALL_LANGUAGES)
    products, product_total = _visible_products(scope, language)
    return {
        "scope": scope,
        "customer": customer,
        "legal_entity": legal_entity,
        "segments": [
            {"segment": segment, "name": _name(segment.name, language)} for segment in segments
        ],
        "forest": _display_forest(forest, language),
        "products": products,
        "product_total": product_total,
        "products_cut": product_total > len(products),
        "coupons": _coupons(scope),
    }
