"""The sequence pages (docs/nurturing.md, "Sequence pages"): the list, create and edit, the
step builder (htmx partials of the detail page), activate/pause/resume, the enrolments, and
the enrolment frame of the contact and lead pages."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from directory import selectors as directory_selectors
from leads import selectors as lead_selectors
from leads import services as lead_services
from nurturing import authoring, enrolment, page_selectors, sequence_forms
from nurturing.models import Enrolment, Sequence, Step

PAGE_SIZE = 50


def reason_text(reason):
    """Why `enrol` turned someone away, in words (the engine's reason keys)."""
    return enrolment.SKIP_REASONS.get(reason) or enrolment.EXIT_REASONS.get(reason, reason)


def _require_author(request):
    if not authoring.can_author(request.user):
        raise PermissionDenied(_("Only managers and admins write sequences."))


# --- list, create, edit ---------------------------------------------------------------------------


@require_GET
def sequence_list(request):
    context = {
        "sequences": page_selectors.sequence_list_for_user(user=request.user),
        "can_author": authoring.can_author(request.user),
    }
    return render(request, "nurturing/sequence_list.html", context)


@require_http_methods(["GET", "POST"])
def sequence_create(request):
    _require_author(request)
    initial = {"segment": request.GET.get("segment")} if request.GET.get("segment") else None
    form = sequence_forms.SequenceForm(
        request.POST if request.method == "POST" else None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            sequence = authoring.sequence_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Sequence %(name)s created. Add its steps.") % {"name": sequence.name})
            return redirect("nurturing:sequence_detail", sequence.pk)
    return render(request, "nurturing/sequence_form.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def sequence_edit(request, sequence_id):
    _require_author(request)
    sequence = page_selectors.sequence_get_for_user(user=request.user, sequence_id=sequence_id)
    form = sequence_forms.SequenceForm(
        request.POST if request.method == "POST" else None, user=request.user, instance=sequence
    )
    if request.method == "POST" and form.is_valid():
        try:
            authoring.sequence_update(actor=request.user, sequence=sequence, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("nurturing:sequence_detail", sequence.pk)
    context = {"form": form, "sequence": sequence}
    return render(request, "nurturing/sequence_form.html", context, status=400 if form.errors else 200)


# --- the detail page and its partials --------------------------------------------------------------


def _detail_context(request, sequence, *, step_form=None, editing=None):
    enrolments = page_selectors.sequence_enrolments_for_user(user=request.user, sequence=sequence)
    steps = page_selectors.sequence_steps(sequence=sequence)
    by_position = {step.position: step for step in steps}
    weekdays = dict(sequence_forms.WEEKDAYS)
    for step in steps:
        step.weekday_label = weekdays.get(step.wait_weekday, "")
    page = Paginator(enrolments, PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page:
        row.next_step = by_position.get(row.next_position)
    return {
        "sequence": sequence,
        "steps": steps,
        "page": page,
        "can_author": authoring.can_author(request.user),
        "step_form": step_form,
        "editing": editing,
    }


@require_GET
def sequence_detail(request, sequence_id):
    sequence = page_selectors.sequence_get_for_user(user=request.user, sequence_id=sequence_id)
    context = _detail_context(request, sequence)
    if request.htmx and request.GET.get("page"):
        return render(request, "nurturing/sequence_detail.html#enrolments", context)
    return render(request, "nurturing/sequence_detail.html", context)


@require_POST
def sequence_status(request, sequence_id):
    """Activate, pause or resume (the engine's services)."""
    _require_author(request)
    sequence = page_selectors.sequence_get_for_user(user=request.user, sequence_id=sequence_id)
    action = request.POST.get("action")
    allowed = {
        "activate": (Sequence.Status.DRAFT,),
        "pause": (Sequence.Status.ACTIVE,),
        "resume": (Sequence.Status.PAUSED,),
    }
    if sequence.status not in allowed.get(action, ()):
        messages.error(request, _("The sequence is %(status)s.") % {"status": sequence.get_status_display()})
        return redirect("nurturing:sequence_detail", sequence.pk)
    if action == "activate" and not sequence.steps.exists():
        messages.error(request, _("Add a step before activating the sequence."))
        return redirect("nurturing:sequence_detail", sequence.pk)
    service = {
        "activate": enrolment.sequence_activate,
        "pause": enrolment.sequence_pause,
        "resume": enrolment.sequence_resume,
    }[action]
    service(sequence=sequence, actor=request.user)
    messages.success(request, _("The sequence is %(status)s.") % {"status": sequence.get_status_display()})
    return redirect("nurturing:sequence_detail", sequence.pk)


def _steps_response(request, sequence, *, step_form=None, editing=None, status=200):
    context = _detail_context(request, sequence, step_form=step_form, editing=editing)
    if request.htmx:
        return render(request, "nurturing/sequence_detail.html#steps", context)
    if step_form is None:
        return redirect("nurturing:sequence_detail", sequence.pk)
    return render(request, "nurturing/sequence_detail.html", context, status=status)


def _step_form(request, sequence, step=None):
    count = sequence.steps.count() + (1 if step is None else 0)
    data = request.POST if request.method == "POST" else None
    return sequence_forms.StepForm(data, instance=step, user=request.user, step_count=count)


def _step_or_404(sequence, step_id):
    return get_object_or_404(Step, pk=step_id, sequence=sequence)


def _save_step(request, sequence, step=None):
    form = _step_form(request, sequence, step)
    if request.method == "POST" and form.is_valid():
        try:
            authoring.step_save(actor=request.user, sequence=sequence, step=step, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _steps_response(request, sequence)
    # htmx swaps only 2xx answers: the form with its errors comes back as 200 there.
    status = 400 if form.errors and not request.htmx else 200
    return _steps_response(request, sequence, step_form=form, editing=step, status=status)


@require_http_methods(["GET", "POST"])
def step_create(request, sequence_id):
    _require_author(request)
    sequence = page_selectors.sequence_get_for_user(user=request.user, sequence_id=sequence_id)
    return _save_step(request, sequence)


@require_http_methods(["GET", "POST"])
def step_edit(request, sequence_id, step_id):
    _require_author(request)
    sequence = page_selectors.sequence_get_for_user(user=request.user, sequence_id=sequence_id)
    return _save_step(request, sequence, _step_or_404(sequence, step_id))


@require_POST
def step_delete(request, sequence_id, step_id):
    _require_author(request)
    sequence = page_selectors.sequence_get_for_user(user=request.user, sequence_id=sequence_id)
    authoring.step_delete(actor=request.user, step=_step_or_404(sequence, step_id))
    return _steps_response(request, sequence)


@require_POST
def step_move(request, sequence_id, step_id):
    _require_author(request)
    sequence = page_selectors.sequence_get_for_user(user=request.user, sequence_id=sequence_id)
    direction = {"up": -1, "down": 1}.get(request.POST.get("direction"))
    if direction is None:
        raise Http404("No such direction.")
    authoring.step_move(actor=request.user, step=_step_or_404(sequence, step_id), direction=direction)
    return _steps_response(request, sequence)


# --- the contact and lead pages' frame ------------------------------------------------------------


def _record(request, kind, record_id):
    """The contact or lead (404 out of scope) and whether the user may enrol it."""
    if kind not in ("contact", "lead"):
        raise Http404("No such record kind.")
    if kind == "contact":
        record = directory_selectors.contact_get_for_user(user=request.user, contact_id=record_id)
        return record, True  # whoever sees a contact may change it (docs/customers.md)
    record = lead_selectors.lead_get_for_user(user=request.user, lead_id=record_id)
    return record, lead_services.can_change(request.user, record)


@require_http_methods(["GET", "POST"])
def record_enrolments(request, kind, record_id):
    """The person's enrolments and the "Enrol in …" form; POST enrols (whoever may change them)."""
    record, can_enrol = _record(request, kind, record_id)
    refused = []
    if request.method == "POST":
        if not can_enrol:
            raise PermissionDenied(_("You may not change this record."))
        sequence = page_selectors.sequence_get_for_user(user=request.user, sequence_id=request.POST.get("sequence"))
        people = {"contacts" if kind == "contact" else "leads": [record]}
        result = enrolment.enrol(sequence=sequence, via=Enrolment.Via.MANUAL, actor=request.user, **people)
        refused = [str(reason_text(reason)) for _record_, reason in result.skipped]
        if not request.htmx:
            if refused:
                messages.error(request, _("Not enrolled: %(reasons)s") % {"reasons": ", ".join(refused)})
            else:
                messages.success(request, _("Enrolled in %(sequence)s.") % {"sequence": sequence.name})
            return redirect("contacts:detail" if kind == "contact" else "leads:detail", record.pk)
    context = {
        "kind": kind,
        "record": record,
        "enrolments": page_selectors.record_enrolments(**{kind: record}),
        "sequences": page_selectors.active_sequences() if can_enrol else [],
        "refused": refused,
    }
    return render(request, "nurturing/_record_enrolments.html", context)
