"""Thin views of the import (upload, mapping and dry run, import, discard) and the exports.

An import belongs to the user who uploaded it: anybody else gets 404. The job page polls its
status partial with htmx while a dry run or an import runs in the worker.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leads import import_encoding
from leads.importing import ImportFileError
from pipeline_crm import csvexport
from transfer import formats, forms, records, selectors, services
from transfer.models import ImportJob, RecordType

# Where each record type's import and export are offered (the "back" link).
LIST_URLS = {
    "organizations": "organizations:list",
    "contacts": "contacts:list",
    "deals": "deals:board",
    "activities": "activities:list",
}


def _record_type(value):
    if value not in RecordType.values:
        raise Http404("No such record type.")
    return value


@require_http_methods(["GET", "POST"])
def import_upload(request, record_type):
    record_type = _record_type(record_type)
    form = forms.UploadForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_create(
                actor=request.user,
                record_type=record_type,
                file_name=upload.name,
                raw=upload.read(settings.TRANSFER_IMPORT_MAX_BYTES + 1),
                encoding=form.cleaned_data["encoding"],
            )
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("transfer:detail", job_id=job.pk)
    context = {
        "form": form,
        "record_type": record_type,
        "record_label": RecordType(record_type).label,
        "fields": records.get(record_type).fields,
        "list_url": LIST_URLS[record_type],
    }
    return render(request, "transfer/upload.html", context, status=400 if form.errors else 200)


# What a duplicate warning says matched, by the key kind transfer.duplicates stores.
MATCHED_ON = {
    "name": gettext_lazy("name"),
    "domain": gettext_lazy("domain"),
    "vat": gettext_lazy("VAT ID"),
    "email": gettext_lazy("e-mail"),
    "phone": gettext_lazy("phone"),
}
DETAIL_URLS = {"organizations": "organizations:detail", "contacts": "contacts:detail"}


def _on(kinds):
    return ", ".join(str(MATCHED_ON.get(kind, kind)) for kind in kinds)


def _duplicate_rows(job):
    """The dry run's duplicate warnings as the page shows them: what matched, translated, and
    the link of each existing record the importer sees."""
    detail = DETAIL_URLS.get(job.record_type)
    return [
        {
            "row": entry["row"],
            "records": [
                {"label": r["label"], "url": reverse(detail, args=[r["id"]]), "on": _on(r["on"])}
                for r in entry.get("records", [])
            ],
            "more": entry.get("more", 0),
            "hidden": entry.get("hidden", False),
            "in_file": [{"row": other["row"], "on": _on(other["on"])} for other in entry.get("in_file", [])],
        }
        for entry in job.duplicates
        if detail
    ]


def _detail_context(job, *, form=None, error=None):
    progress = services.import_progress(job=job)
    waiting = job.status in (ImportJob.Status.MAPPING, ImportJob.Status.CHECKED, ImportJob.Status.FAILED)
    preview = []
    if waiting and job.source:
        try:
            preview = services.import_preview(job=job)
        except ImportFileError:
            preview = []
    return {
        "job": job,
        "record_label": RecordType(job.record_type).label,
        "list_url": LIST_URLS[job.record_type],
        "form": form or (forms.MappingForm(job=job) if waiting else None),
        "preview": preview,
        "duplicate_rows": _duplicate_rows(job) if job.status == ImportJob.Status.CHECKED else [],
        "error": error,
        "progress": progress,
        "percent": int(100 * progress / max(job.total_rows, 1)),
        "polling": job.is_running,
        "encoding_label": import_encoding.label(job.encoding) if job.encoding else "",
        "stale_minutes": settings.TRANSFER_IMPORT_STALE_MINUTES,
    }


@require_GET
def import_detail(request, job_id):
    """The mapping with the first rows, the dry run's errors row by row, the progress."""
    job = selectors.job_get_for_user(user=request.user, job_id=job_id)
    template = "transfer/detail.html#import-status" if request.htmx else "transfer/detail.html"
    return render(request, template, _detail_context(job))


@require_POST
def import_check(request, job_id):
    """Keep the mapping and run the dry run (now, or in the worker for a large file)."""
    job = selectors.job_get_for_user(user=request.user, job_id=job_id)
    form = forms.MappingForm(request.POST, job=job)
    if form.is_valid():
        try:
            services.import_check(job_id=job.pk, actor=request.user, targets=form.targets())
        except services.TransferError as refused:
            form.add_error(None, str(refused))
        else:
            return redirect("transfer:detail", job_id=job.pk)
    job.refresh_from_db()
    return render(request, "transfer/detail.html", _detail_context(job, form=form), status=400)


@require_POST
def import_confirm(request, job_id):
    job = selectors.job_get_for_user(user=request.user, job_id=job_id)
    try:
        job = services.import_confirm(
            job_id=job.pk, actor=request.user, duplicates_confirmed=request.POST.get("duplicates_confirmed") == "on"
        )
    except services.TransferError as refused:
        messages.error(request, str(refused))
    else:
        if job.status == ImportJob.Status.DONE:
            messages.success(request, _("%(count)s records imported.") % {"count": job.created_rows})
    return redirect("transfer:detail", job_id=job.pk)


@require_POST
def import_discard(request, job_id):
    job = selectors.job_get_for_user(user=request.user, job_id=job_id)
    services.import_discard(job_id=job.pk, actor=request.user)
    messages.success(request, _("Nothing was imported."))
    return redirect(LIST_URLS[job.record_type])


@require_GET
def export(request, record_type, file_format):
    """What the list shows with the same filters (and the user's scope), as CSV or Excel."""
    record_type = _record_type(record_type)
    if file_format not in ("csv", "xlsx"):
        raise Http404("No such format.")
    params = request.GET.copy()
    try:
        queryset = selectors.export_queryset(user=request.user, record_type=record_type, params=params)
    except selectors.InvalidFilter:
        return HttpResponse(_("Invalid filter."), status=400, content_type="text/plain; charset=utf-8")
    kind = records.get(record_type)
    rows = (kind.export_values(record) for record in queryset.iterator(chunk_size=2000))
    kinds = records.export_kinds(kind)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{record_type}-{stamp}.{file_format}"
    if file_format == "xlsx":
        return formats.xlsx_response(
            filename=filename, header=kind.header, kinds=kinds, rows=rows, title=str(RecordType(record_type).label)
        )
    return csvexport.response(filename=filename, header=kind.header, kinds=kinds, rows=rows, streaming=True)
