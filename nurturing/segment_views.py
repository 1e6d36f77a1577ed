"""The segment pages (docs/nurturing.md, "Segments"): the list with live counts, create and edit
with the contact or lead list's own filter form, and a segment's members paged."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nurturing import authoring, enrolment, page_selectors, segments, sequence_forms
from nurturing.models import Enrolment, Segment

PAGE_SIZE = 50


def _require_author(request):
    if not authoring.can_author(request.user):
        raise PermissionDenied(_("Only managers and admins write segments."))


def _kind(value):
    if value not in Segment.Kind.values:
        raise Http404("No such list.")
    return value


def _query_from(data, *, kind, user):
    """The list's filter parameters of a form post (or a list's query string), empty ones dropped."""
    names = [n for n in segments.filterset(kind=kind, query="", user=user).form.fields if n not in segments.IGNORED]
    params = QueryDict(mutable=True)
    for name in names:
        values = [value for value in data.getlist(name) if value.strip()]
        if values:
            params.setlist(name, values)
    return params.urlencode()


@require_GET
def segment_list(request):
    context = {
        "segments": page_selectors.segment_list_for_user(user=request.user),
        "can_author": authoring.can_author(request.user),
    }
    return render(request, "nurturing/segment_list.html", context)


def _form_page(request, *, kind, segment=None):
    data = request.POST if request.method == "POST" else None
    initial = {"name": segment.name, "description": segment.description} if segment else {}
    form = sequence_forms.SegmentForm(data, initial=initial)
    source = request.POST if data is not None else (QueryDict(segment.query) if segment else request.GET)
    query = _query_from(source, kind=kind, user=request.user)
    if data is not None and form.is_valid():
        try:
            if segment is None:
                segment = authoring.segment_create(actor=request.user, kind=kind, query=query, **form.cleaned_data)
            else:
                authoring.segment_update(actor=request.user, segment=segment, query=query, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Segment %(name)s saved.") % {"name": segment.name})
            return redirect("nurturing:segment_detail", segment.pk)
    filters = segments.filterset(kind=kind, query=query, user=request.user)
    context = {"form": form, "filters": filters, "kind": kind, "segment": segment}
    return render(request, "nurturing/segment_form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def segment_create(request):
    """`?kind=contacts|leads` and the list's filters (the lists' "Save as segment" link)."""
    _require_author(request)
    return _form_page(request, kind=_kind(request.GET.get("kind", Segment.Kind.CONTACTS)))


@require_http_methods(["GET", "POST"])
def segment_edit(request, segment_id):
    _require_author(request)
    segment = page_selectors.segment_get_for_user(user=request.user, segment_id=segment_id)
    return _form_page(request, kind=segment.kind, segment=segment)


@require_GET
def segment_detail(request, segment_id):
    segment = page_selectors.segment_get_for_user(user=request.user, segment_id=segment_id)
    try:
        members = page_selectors.segment_members_for_user(user=request.user, segment=segment)
        page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
        error = ""
    except ValidationError as broken:
        page, error = None, " ".join(broken.messages)
    can_author = authoring.can_author(request.user)
    context = {
        "segment": segment,
        "page": page,
        "error": error,
        "can_author": can_author,
        "sequences": page_selectors.active_sequences() if can_author else [],
        "list_url": "contacts:list" if segment.kind == Segment.Kind.CONTACTS else "leads:list",
    }
    if request.htmx:
        return render(request, "nurturing/segment_detail.html#members", context)
    return render(request, "nurturing/segment_detail.html", context)


@require_POST
def segment_enrol(request, segment_id):
    """Enrol every member (in the segment owner's scope) in an active sequence."""
    _require_author(request)
    segment = page_selectors.segment_get_for_user(user=request.user, segment_id=segment_id)
    sequence = page_selectors.sequence_get_for_user(user=request.user, sequence_id=request.POST.get("sequence"))
    try:
        members = list(segments.members(segment))
    except ValidationError as broken:
        messages.error(request, " ".join(broken.messages))
        return redirect("nurturing:segment_detail", segment.pk)
    records = {"contacts" if segment.kind == Segment.Kind.CONTACTS else "leads": members}
    result = enrolment.enrol(sequence=sequence, via=Enrolment.Via.SEGMENT, actor=request.user, **records)
    messages.success(
        request,
        _("%(enrolled)d enrolled in %(sequence)s, %(skipped)d skipped.")
        % {"enrolled": result.enrolled, "sequence": sequence.name, "skipped": len(result.skipped)},
    )
    return redirect("nurturing:segment_detail", segment.pk)
