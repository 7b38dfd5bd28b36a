"""The import pages: upload, progress and report, steps, apply, cancel, rejected rows."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from segments_project.imports.formats import FormatError
from segments_project.imports.kinds import IMPORTERS

from ..forms import IMPORT_KINDS, ImportUploadForm
from .import_jobs import IMPORT_CHUNK_ROWS, IMPORT_MAX_ROWS, ImportJob
from .pages import page_context, post_only, posted, segment_for, segment_url


def import_view(model_admin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """The upload form; a valid upload starts the dry run."""
    segment = segment_for(model_admin, request, object_id, write=True)
    form = ImportUploadForm(posted(request), request.FILES if request.method == "POST" else None)
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
            return redirect(segment_url("import_job", segment, job.token))
    context = page_context(
        model_admin,
        request,
        segment,
        f"Import into {segment.public_id}",
        form=form,
        max_rows=IMPORT_MAX_ROWS,
        chunk_rows=IMPORT_CHUNK_ROWS,
        item_columns=", ".join(
            field.path for field in IMPORTERS.get("segment-items").layout.fields
        ),
        member_columns=", ".join(
            field.path for field in IMPORTERS.get("segment-customers").layout.fields
        ),
    )
    return TemplateResponse(request, "admin/segments/segment_import.html", context)


def import_job_view(model_admin: Any, request: HttpRequest, object_id: str, token: str) -> Any:
    """The job's progress while it runs; its report when the dry run or the import is done."""
    segment = segment_for(model_admin, request, object_id, write=True)
    job = ImportJob.load(token, request=request, segment=segment)
    state = job.state
    context = page_context(
        model_admin,
        request,
        segment,
        f"Import into {segment.public_id}: {state['file_name']}",
        job=state,
        # The importer rejects rows in several passes (format, then lookups): by line here.
        rejections=sorted(state["rejections"], key=lambda rejection: rejection["line"] or 0),
        kind_label=IMPORT_KINDS[state["kind"]],
        progress=job.progress(),
        step_url=segment_url("import_step", segment, token),
        apply_url=segment_url("import_apply", segment, token),
        cancel_url=segment_url("import_cancel", segment, token),
        rejections_url=segment_url("import_rejections", segment, token),
        list_url=segment_url("items" if state["kind"] == "segment-items" else "members", segment),
        ok_rows=sum(state["check"][name] for name in ("inserted", "updated", "unchanged")),
        chunk_rows=IMPORT_CHUNK_ROWS,
    )
    return TemplateResponse(request, "admin/segments/segment_import_job.html", context)


@post_only
def import_step_view(model_admin: Any, request: HttpRequest, object_id: str, token: str) -> Any:
    """Runs the next part of the job: JSON progress for the page's script, else a redirect."""
    segment = segment_for(model_admin, request, object_id, write=True)
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
    return redirect(segment_url("import_job", segment, token))


@post_only
def import_apply_view(model_admin: Any, request: HttpRequest, object_id: str, token: str) -> Any:
    """Starts writing a checked file (the page then drives the steps)."""
    segment = segment_for(model_admin, request, object_id, write=True)
    job = ImportJob.load(token, request=request, segment=segment)
    with job.locked():
        job.start_applying()
    return redirect(segment_url("import_job", segment, token))


@post_only
def import_cancel_view(model_admin: Any, request: HttpRequest, object_id: str, token: str) -> Any:
    segment = segment_for(model_admin, request, object_id, write=True)
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
    return redirect(segment_url("import", segment))


def import_rejections_view(
    model_admin: Any, request: HttpRequest, object_id: str, token: str
) -> Any:
    """The rejected rows of the last phase as a file in the upload's format (CSV with its
    delimiter and header, or JSON Lines) with an `error` column, streamed from disk: fix
    them and upload the file again."""
    segment = segment_for(model_admin, request, object_id, write=True)
    job = ImportJob.load(token, request=request, segment=segment)
    path_ = job.rejected_rows_path()
    if not path_.exists():
        raise Http404("No rejections yet.")
    csv_file = path_.suffix == ".csv"
    return FileResponse(
        open(path_, "rb"),  # closed by the response
        as_attachment=True,
        filename=f"{job.state['segment_id']}-rejected-rows{path_.suffix}",
        content_type="text/csv" if csv_file else "application/x-ndjson",
    )
