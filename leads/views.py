from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import network
from leads import forms, import_encoding, import_mapping, import_selectors, importing, scoring, selectors, services
from leads.models import LeadImport
from pipeline_crm import csvexport, listcolumns

PAGE_SIZE = 50
# The columns a saved view may hide (the name column always shows).
LIST_COLUMNS = [
    ("company", gettext_lazy("Company")),
    ("source", gettext_lazy("Source")),
    ("segment", gettext_lazy("Segment")),
    ("status", gettext_lazy("Status")),
    ("score", gettext_lazy("Score")),
    ("owner", gettext_lazy("Owner")),
    ("created", gettext_lazy("Created")),
]


@require_GET
def lead_list(request):
    """The filtered, sorted, paginated list; htmx requests get only the table."""
    lead_filter = selectors.lead_filter_for_user(user=request.user, params=request.GET)
    queryset = lead_filter.qs if lead_filter.is_valid() else selectors.lead_list_for_user(user=request.user).none()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("o", None)
    context = {
        "page": page,
        "filter": lead_filter,
        "querystring": params.urlencode(),
        "sort_querystring": sort_params.urlencode(),
        "current_sort": request.GET.get("o", ""),
        "config": selectors.scoring_settings(),
        **listcolumns.context(request.GET, LIST_COLUMNS),
    }
    template = "leads/lead_list.html#lead-table" if request.htmx else "leads/lead_list.html"
    return render(request, template, context)


# The export's columns: the import's names, each with the kind that decides how a cell is
# written (pipeline_crm.csvexport: formulas defused, numbers as typed, phone numbers in the international format).
_EXPORT_KIND = {
    "phone": csvexport.PHONE,
    "need": csvexport.NUMBER,
    "budget": csvexport.NUMBER,
    "authority": csvexport.NUMBER,
    "timing": csvexport.NUMBER,
    "score": csvexport.NUMBER,
    "created_at": csvexport.DATE,
}
EXPORT_KINDS = [_EXPORT_KIND.get(name, csvexport.TEXT) for name in importing.EXPORT_HEADER]


@require_GET
def lead_export(request):
    """The filtered list as CSV, streamed; the columns match the import's."""
    lead_filter = selectors.lead_filter_for_user(user=request.user, params=request.GET)
    if not lead_filter.is_valid():
        return HttpResponse(_("Invalid filter."), status=400, content_type="text/plain; charset=utf-8")
    rows = (
        (
            lead.first_name,
            lead.last_name,
            lead.email,
            lead.phone,
            lead.job_title,
            lead.company_name,
            lead.source,
            lead.campaign,
            lead.industry,
            lead.size_band,
            lead.region,
            lead.decision_role,
            lead.persona.name if lead.persona else "",
            lead.owner.username if lead.owner else "",
            lead.status,
            lead.need,
            lead.budget,
            lead.authority,
            lead.timing,
            lead.score,
            lead.created_at,
        )
        for lead in selectors.lead_export_rows(queryset=lead_filter.qs)
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csvexport.response(
        filename=f"leads-{stamp}.csv", header=importing.EXPORT_HEADER, kinds=EXPORT_KINDS, rows=rows, streaming=True
    )


def _form_fields(form):
    return {name: form.cleaned_data[name] for name in form.cleaned_data if name != "owner"}


@require_http_methods(["GET", "POST"])
def lead_create(request):
    """The new-lead form. When the e-mail or phone number is already a lead's, the form comes
    back (409) with the matches the user may open and a "Create anyway" button; matches
    outside the user's scope are mentioned without any detail."""
    form = forms.LeadForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        if not request.POST.get("create_anyway"):
            duplicates = selectors.lead_duplicates_for_user(
                user=request.user, email=form.cleaned_data["email"], phone=form.cleaned_data["phone"]
            )
            if duplicates:
                context = {"form": form, "lead": None, "duplicates": duplicates}
                return render(request, "leads/lead_form.html", context, status=409)
        try:
            lead = services.lead_create(actor=request.user, owner=form.cleaned_data["owner"], **_form_fields(form))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Lead created."))
            return redirect("leads:detail", lead_id=lead.pk)
    return render(request, "leads/lead_form.html", {"form": form, "lead": None}, status=400 if form.errors else 200)


def _detail_context(request, lead, *, qualification_form=None, status_form=None, consent_form=None):
    config = selectors.scoring_settings()
    may_change = services.can_change(request.user, lead)
    deal = getattr(lead, "deal", None)
    return {
        "lead": lead,
        "deal": deal,
        "config": config,
        "band": scoring.band(lead.score, config=config),
        "explanation": scoring.explain(lead, config=config),
        "history": selectors.lead_history(lead=lead),
        "touches": selectors.lead_touches(lead=lead),
        "may_change": may_change,
        "may_convert": may_change and services.may_convert(lead) and deal is None,
        "qualification_form": qualification_form
        or forms.QualificationForm(initial={c: getattr(lead, c) for c in scoring.CRITERIA}),
        "status_form": status_form or forms.StatusForm(choices=services.allowed_transitions(lead)),
        "consent_changes": selectors.lead_consent_history(lead=lead),
        "consent_form": consent_form or forms.ConsentForm(initial={"status": lead.email_consent}),
    }


@require_GET
def lead_detail(request, lead_id):
    lead = selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    return render(request, "leads/lead_detail.html", _detail_context(request, lead))


def _changeable_lead(request, lead_id):
    """The lead (404 outside the scope) if the user may change it (else 403)."""
    lead = selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    if not services.can_change(request.user, lead):
        raise PermissionDenied(_("You may not change this lead."))
    return lead


@require_http_methods(["GET", "POST"])
def lead_edit(request, lead_id):
    lead = _changeable_lead(request, lead_id)
    form = forms.LeadForm(request.POST if request.method == "POST" else None, instance=lead, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_update(
                lead_id=lead.pk, actor=request.user, owner=form.cleaned_data["owner"], **_form_fields(form)
            )
        except (services.LeadError, ValidationError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, _("Lead saved."))
            return redirect("leads:detail", lead_id=lead.pk)
    # The form mutated the instance while validating; show the page from a fresh copy.
    lead = selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
    return render(request, "leads/lead_form.html", {"form": form, "lead": lead}, status=400 if form.errors else 200)


@require_POST
def lead_qualify(request, lead_id):
    """Set the four criteria; htmx gets the re-rendered qualification card."""
    lead = _changeable_lead(request, lead_id)
    form = forms.QualificationForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            lead = services.lead_qualify(lead_id=lead.pk, actor=request.user, **form.cleaned_data)
        except services.LeadError as exc:
            form.add_error(None, str(exc))
            status = 400
        else:
            if not request.htmx:
                messages.success(request, _("Qualification saved: score %(score)s.") % {"score": lead.score})
                return redirect("leads:detail", lead_id=lead.pk)
            lead = selectors.lead_get_for_user(user=request.user, lead_id=lead_id)
            form = None
    else:
        status = 400
    if not request.htmx:
        messages.error(request, _("The qualification was not saved: %(errors)s") % {"errors": _errors_text(form)})
        return redirect("leads:detail", lead_id=lead.pk)
    return render(
        request,
        "leads/lead_detail.html#qualification",
        _detail_context(request, lead, qualification_form=form),
        status=status,
    )


def _errors_text(form):
    return "; ".join(str(e) for errors in form.errors.values() for e in errors)


@require_POST
def lead_status(request, lead_id):
    """Move the lead to another status; a refused transition re-renders the page (400)
    with the reason, a successful one redirects to the detail."""
    lead = _changeable_lead(request, lead_id)
    form = forms.StatusForm(request.POST, choices=list(lead.Status))
    if form.is_valid():
        try:
            services.lead_change_status(
                lead_id=lead.pk,
                actor=request.user,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
            )
        except services.LeadError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Status changed."))
            return redirect("leads:detail", lead_id=lead.pk)
    form.fields["to_status"].choices = [(s.value, s.label) for s in services.allowed_transitions(lead)]
    return render(request, "leads/lead_detail.html", _detail_context(request, lead, status_form=form), status=400)


@require_POST
def lead_consent(request, lead_id):
    """Record the lead's e-mail consent with source and proof; refused input re-renders the
    page (400) saying why."""
    lead = _changeable_lead(request, lead_id)
    form = forms.ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.lead_consent_set(actor=request.user, lead=lead, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("leads:detail", lead_id=lead.pk)
    return render(request, "leads/lead_detail.html", _detail_context(request, lead, consent_form=form), status=400)


# Public web form ----------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def webform(request):
    """The public web-to-lead form: CSRF, a honeypot and a per-IP rate limit."""
    campaign = (request.GET.get("campaign") or request.GET.get("utm_campaign") or "")[:200]
    if request.method == "POST":
        if services.webform_rate_limited(client_ip=network.client_ip(request) or "unknown"):
            return render(request, "leads/webform.html", {"rate_limited": True}, status=429)
        form = forms.WebLeadForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if data["website"]:
                # A bot filled the honeypot: thank it as usual and store nothing.
                return redirect("leads:webform_thanks")
            services.lead_submit_webform(
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                company_name=data["company_name"],
                phone=data["phone"],
                message=data["message"],
                campaign=data["campaign"],
                marketing_consent=data["newsletter"],
                consent_wording=str(form.fields["newsletter"].label),
            )
            return redirect("leads:webform_thanks")
        return render(request, "leads/webform.html", {"form": form}, status=400)
    form = forms.WebLeadForm(initial={"campaign": campaign})
    return render(request, "leads/webform.html", {"form": form})


@login_not_required
@require_GET
def webform_thanks(request):
    return render(request, "leads/webform_thanks.html")


# CSV import -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def import_upload(request):
    form = forms.ImportUploadForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            lead_import = services.lead_import_create(
                actor=request.user,
                raw=upload.read(settings.LEADS_IMPORT_MAX_BYTES + 1),
                file_name=upload.name,
                encoding=form.cleaned_data["encoding"],
            )
        except importing.ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("leads:import_detail", import_id=lead_import.pk)
    return render(request, "leads/import_upload.html", {"form": form}, status=400 if form.errors else 200)


def _import_context(lead_import, *, encoding_form=None, columns_form=None):
    report = lead_import.report
    preview = lead_import.status == LeadImport.Status.PREVIEW
    columns_form = columns_form or (forms.ImportColumnsForm(lead_import=lead_import) if preview else None)
    problems = [r for r in report if not r["ok"]]
    noted = [r for r in report if r["ok"] and r.get("notes")]
    progress = import_selectors.lead_import_progress(lead_import=lead_import)
    return {
        "lead_import": lead_import,
        "encoding_label": import_encoding.label(lead_import.encoding),
        "detected_label": import_encoding.label(lead_import.encoding_detected),
        "encoding_form": encoding_form or forms.ImportEncodingForm(initial={"encoding": lead_import.encoding}),
        "noted": noted[:500],
        "problems": problems[:500],
        "more_problems": max(0, len(problems) - 500),
        "invalid_rows": len(problems),
        "sample": [r for r in report if r["ok"]][:20],
        "progress": progress,
        "remaining": lead_import.valid_rows - progress,
        "percent": int(100 * progress / max(lead_import.valid_rows, 1)),
        "polling": lead_import.status in (LeadImport.Status.QUEUED, LeadImport.Status.RUNNING),
        "stale_minutes": settings.LEADS_IMPORT_STALE_MINUTES,
        "columns": _columns(lead_import, columns_form) if columns_form is not None else [],
        "columns_form": columns_form,
        "mapping_problems": import_mapping.problems(lead_import.mapping) if preview else [],
    }


def _columns(lead_import, form):
    """(header, the first rows' values, the choice) per column of the previewed file."""
    samples = import_selectors.lead_import_samples(lead_import=lead_import, rows=3)
    return [
        (header, [row[index] for row in samples if index < len(row)], form[f"col_{index}"])
        for index, header in enumerate(lead_import.headers)
    ]


@require_GET
def import_detail(request, import_id):
    """The preview (rows and their problems) and, once confirmed, the progress. An import
    without progress for LEADS_IMPORT_STALE_MINUTES is marked failed when the user looks."""
    lead_import = selectors.lead_import_get_for_user(user=request.user, import_id=import_id)
    if services.lead_import_is_stale(lead_import=lead_import):
        services.lead_import_fail_stale(import_id=lead_import.pk)
        lead_import.refresh_from_db()
    template = "leads/import_detail.html#import-status" if request.htmx else "leads/import_detail.html"
    return render(request, template, _import_context(lead_import))


@require_POST
def import_reread(request, import_id):
    """Read the previewed file again with the chosen encoding (no new upload). A file that
    cannot be read so leaves the preview as it was and says why (400)."""
    lead_import = selectors.lead_import_get_for_user(user=request.user, import_id=import_id)
    form = forms.ImportEncodingForm(request.POST)
    if form.is_valid():
        try:
            services.lead_import_reread(
                import_id=lead_import.pk, actor=request.user, encoding=form.cleaned_data["encoding"]
            )
        except importing.ImportFileError as exc:
            form.add_error("encoding", str(exc))
        except services.LeadError as exc:
            messages.error(request, str(exc))
            return redirect("leads:import_detail", import_id=lead_import.pk)
        else:
            messages.success(request, _("The file was read again."))
            return redirect("leads:import_detail", import_id=lead_import.pk)
    return render(request, "leads/import_detail.html", _import_context(lead_import, encoding_form=form), status=400)


@require_POST
def import_columns(request, import_id):
    """Read the previewed file again with the columns the user chose."""
    lead_import = selectors.lead_import_get_for_user(user=request.user, import_id=import_id)
    form = forms.ImportColumnsForm(request.POST, lead_import=lead_import)
    if form.is_valid():
        try:
            lead_import = services.lead_import_remap(
                import_id=lead_import.pk, actor=request.user, mapping=form.mapping()
            )
        except services.LeadError as exc:
            messages.error(request, str(exc))
        else:
            if import_mapping.problems(lead_import.mapping):
                return render(request, "leads/import_detail.html", _import_context(lead_import), status=400)
            messages.success(request, _("The file was read again with the columns you chose."))
        return redirect("leads:import_detail", import_id=lead_import.pk)
    return render(request, "leads/import_detail.html", _import_context(lead_import, columns_form=form), status=400)


@require_POST
def import_confirm(request, import_id):
    lead_import = selectors.lead_import_get_for_user(user=request.user, import_id=import_id)
    try:
        lead_import = services.lead_import_confirm(import_id=lead_import.pk, actor=request.user)
    except services.LeadError as exc:
        messages.error(request, str(exc))
    else:
        if lead_import.status == LeadImport.Status.DONE:
            messages.success(request, _("%(count)s leads imported.") % {"count": lead_import.imported_rows})
    return redirect("leads:import_detail", import_id=lead_import.pk)


@require_POST
def import_retry(request, import_id):
    """Run a failed import again; the rows already imported are skipped."""
    lead_import = selectors.lead_import_get_for_user(user=request.user, import_id=import_id)
    lead_import = services.lead_import_retry(import_id=lead_import.pk, actor=request.user)
    if lead_import.status == LeadImport.Status.DONE:
        messages.success(request, _("%(count)s leads imported.") % {"count": lead_import.imported_rows})
    return redirect("leads:import_detail", import_id=lead_import.pk)


@require_POST
def import_discard(request, import_id):
    lead_import = selectors.lead_import_get_for_user(user=request.user, import_id=import_id)
    services.lead_import_discard(import_id=lead_import.pk, actor=request.user)
    messages.info(request, _("Nothing was imported."))
    return redirect("leads:import_detail", import_id=lead_import.pk)
