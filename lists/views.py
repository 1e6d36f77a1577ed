"""Thin views of what the four lists share: the toolbar (saved views, bulk actions, undo), the
saved views, the bulk actions, the tags page and the tags of one record.

The toolbar is loaded by htmx after the list (like the timeline frame), so a list page costs
no query for it. Its forms are plain POSTs that redirect back to the list (a refusal answers
400 with the reason).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import saved_views, scoping
from customers import services as customer_services
from customers.models import Tag
from deals.models import Stage
from lists import forms, kinds, services
from lists.models import BulkAction


def _kind(list_key):
    try:
        return kinds.KINDS[list_key]
    except KeyError:
        raise Http404("No such list.") from None


def _list_url(kind, query=""):
    url = reverse(kind.list_url)
    return f"{url}?{query}" if query else url


def _clean_query(kind, raw):
    """The list's own parameters of a query string, empty ones and paging dropped."""
    params = QueryDict(raw or "", mutable=False)
    keys = kind.param_keys()
    clean = QueryDict(mutable=True)
    for key in params:
        if key in keys:
            values = [v for v in params.getlist(key) if v.strip()]
            if values:
                clean.setlist(key, values)
    return clean


def _refused(request, kind, message, query=""):
    context = {"message": message, "back_url": _list_url(kind, query)}
    return render(request, "lists/refused.html", context, status=400)


@require_GET
def toolbar(request, list_key):
    """The saved views menu, the bulk action form and the undo of the last bulk action."""
    kind = _kind(list_key)
    context = {
        "kind": kind,
        "list_key": list_key,
        "views": list(saved_views.saved_views_for_user(user=request.user, list_key=list_key)),
        "owners": list(scoping.assignable_users(request.user).order_by("first_name", "username")),
        "tags": list(Tag.objects.all()),
        "stages": (
            list(
                Stage.objects.filter(pipeline__is_active=True)
                .select_related("pipeline")
                .order_by("pipeline__order", "pipeline_id", "order")
            )
            if kinds.STAGE in kind.actions
            else []
        ),
        "last_action": services.bulk_last_for_user(user=request.user, list_key=list_key),
        "actions": [(key, BulkAction.Kind(key).label) for key in kind.actions],
    }
    return render(request, "lists/toolbar.html", context)


# --- saved views --------------------------------------------------------------------------------


@require_POST
def view_save(request, list_key):
    kind = _kind(list_key)
    params = _clean_query(kind, request.POST.get("query", ""))
    columns = params.getlist("cols")
    try:
        view = saved_views.saved_view_create(
            owner=request.user,
            list_key=list_key,
            name=request.POST.get("name", ""),
            query=params.urlencode(),
            columns=columns,
            shared=request.POST.get("shared") == "on",
        )
    except ValidationError as error:
        return _refused(request, kind, " ".join(error.messages), params.urlencode())
    messages.success(request, _("View %(name)s saved.") % {"name": view.name})
    return redirect(_list_url(kind, view.query))


@require_GET
def view_open(request, view_id):
    """The list with the view's filters and columns."""
    view = saved_views.saved_view_get_for_user(user=request.user, view_id=view_id)
    return redirect(_list_url(_kind(view.list_key), view.query))


def _own_view(request, view_id):
    view = saved_views.saved_view_get_for_user(user=request.user, view_id=view_id)
    if view.owner_id != request.user.pk:
        raise PermissionDenied(_("Only the owner of a view may change it."))
    return view


@require_POST
def view_update(request, view_id):
    """Rename a view and share it or not (its owner only)."""
    view = _own_view(request, view_id)
    kind = _kind(view.list_key)
    try:
        saved_views.saved_view_update(
            actor=request.user, view=view, name=request.POST.get("name", ""), shared=request.POST.get("shared") == "on"
        )
    except ValidationError as error:
        return _refused(request, kind, " ".join(error.messages), view.query)
    messages.success(request, _("View %(name)s saved.") % {"name": view.name})
    return redirect(_list_url(kind, view.query))


@require_POST
def view_delete(request, view_id):
    view = _own_view(request, view_id)
    kind = _kind(view.list_key)
    saved_views.saved_view_delete(actor=request.user, view=view)
    messages.success(request, _("View %(name)s deleted.") % {"name": view.name})
    return redirect(_list_url(kind))


# --- bulk actions -------------------------------------------------------------------------------


def _done_message(kind, action):
    count = kind.count_text(action.count)
    texts = {
        kinds.OWNER: _("%(rows)s handed to %(target)s."),
        kinds.STAGE: _("%(rows)s moved to %(target)s."),
        kinds.TAG: _("Tag %(target)s added to %(rows)s."),
        kinds.DELETE: _("%(rows)s moved to the trash."),
    }
    return texts[action.kind] % {"rows": count, "target": action.target}


@require_POST
def bulk(request, list_key):
    """Apply one action to the selected rows (or all rows matching the list's filters)."""
    kind = _kind(list_key)
    query = _clean_query(kind, request.POST.get("query", ""))
    query.pop("cols", None)
    action = request.POST.get("action", "")
    if request.POST.get("all") == "1":
        rows = services.bulk_rows(actor=request.user, kind=kind, params=query)
    else:
        rows = services.bulk_rows(actor=request.user, kind=kind, ids=request.POST.getlist("ids"))
    try:
        done = services.bulk_apply(
            actor=request.user, list_key=list_key, action=action, rows=rows, target_id=request.POST.get(action)
        )
    except services.BulkError as error:
        return _refused(request, kind, error.message, query.urlencode())
    messages.success(request, _done_message(kind, done))
    return redirect(_list_url(kind, query.urlencode()))


@require_POST
def bulk_undo(request, action_id):
    action = get_object_or_404(BulkAction, pk=action_id, actor=request.user)
    kind = _kind(action.list_key)
    try:
        restored, skipped = services.bulk_undo(actor=request.user, action_id=action.pk)
    except services.BulkError as error:
        return _refused(request, kind, error.message)
    messages.success(request, _("Undone: %(rows)s restored.") % {"rows": kind.count_text(restored)})
    if skipped:
        names = "; ".join(f"{s['name']} ({s['reason']})" for s in skipped[:20])
        messages.warning(request, _("Not restored: %(names)s") % {"names": names})
    return redirect(_list_url(kind, request.POST.get("query", "")))


# --- tags ---------------------------------------------------------------------------------------


def _require_admin(request):
    if not scoping.is_admin(request.user):
        raise PermissionDenied(_("Only admins manage tags."))


@require_http_methods(["GET", "POST"])
def tag_list(request):
    """Admins: every tag with its colour, and a form for a new one."""
    _require_admin(request)
    form = forms.TagForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            tag = customer_services.tag_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Tag %(name)s created.") % {"name": tag.name})
            return redirect("lists:tags")
    context = {"form": form, "tags": Tag.objects.all(), "colours": Tag.Colour.choices}
    return render(request, "lists/tags.html", context, status=400 if form.errors else 200)


@require_POST
def tag_edit(request, tag_id):
    _require_admin(request)
    tag = get_object_or_404(Tag, pk=tag_id)
    form = forms.TagForm(request.POST)
    if form.is_valid():
        try:
            customer_services.tag_update(actor=request.user, tag=tag, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("lists:tags")
    context = {"form": form, "tags": Tag.objects.all(), "colours": Tag.Colour.choices, "editing": tag}
    return render(request, "lists/tags.html", context, status=400)


@require_POST
def tag_delete(request, tag_id):
    _require_admin(request)
    tag = get_object_or_404(Tag, pk=tag_id)
    customer_services.tag_delete(actor=request.user, tag=tag)
    messages.success(request, _("Tag %(name)s deleted.") % {"name": tag.name})
    return redirect("lists:tags")


def _record(request, list_key, record_id):
    kind = _kind(list_key)
    try:
        record = kind.visible(request.user).get(pk=record_id)
    except kind.model.DoesNotExist:
        raise Http404("No such record.") from None
    return kind, record


@require_http_methods(["GET", "POST"])
def record_tags(request, list_key, record_id):
    """The chips of one record; POST `add` or `remove` (a tag id) changes them (whoever may
    change the record), audited. htmx gets the chips back; without it the record's page."""
    kind, record = _record(request, list_key, record_id)
    can_change = kind.can_change(request.user, record)
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied(_("You may not change this record."))
        add = Tag.objects.filter(pk=_int(request.POST.get("add"))).first()
        remove = Tag.objects.filter(pk=_int(request.POST.get("remove"))).first()
        if add is None and remove is None:
            back = reverse(kind.detail_url, args=[record.pk])
            return render(request, "lists/refused.html", {"message": _("Choose a tag."), "back_url": back}, status=400)
        customer_services.record_tags_change(
            records=[record], add=[add] if add else [], remove=[remove] if remove else []
        )
        if not request.htmx:
            return redirect(kind.detail_url, record.pk)
    tags = list(record.tags.all())
    context = {
        "kind": kind,
        "record": record,
        "tags": tags,
        "can_change": can_change,
        "other_tags": [t for t in Tag.objects.all() if t not in tags] if can_change else [],
    }
    return render(request, "lists/record_tags.html", context)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
