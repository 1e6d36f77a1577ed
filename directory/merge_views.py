"""Thin views of duplicates and merges: the admins' "possible duplicates" lists, the merge screen
for two or more organizations or contacts, the page of a merge with its undo. Scoped reads come
from directory.duplicates, the writes from customers.merging."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import scoping
from customers import merging
from customers.models import RESTORE_DAYS, Contact, Organization
from directory import duplicates, forms, views

GROUPS_PER_PAGE = 25
KINDS = {
    Organization: {
        "namespace": "organizations",
        "title": gettext_lazy("Possible duplicate organizations"),
        "merge_title": gettext_lazy("Merge organizations"),
        "by": {
            "name": gettext_lazy("Same name"),
            "domain": gettext_lazy("Same domain"),
            "vat": gettext_lazy("Same VAT ID"),
        },
    },
    Contact: {
        "namespace": "contacts",
        "title": gettext_lazy("Possible duplicate contacts"),
        "merge_title": gettext_lazy("Merge contacts"),
        "by": {"email": gettext_lazy("Same e-mail"), "phone": gettext_lazy("Same phone number")},
    },
}


def _duplicate_list(request, model):
    """Groups of records that share a key, for admins: a GROUP BY over the key, then the records
    of the page's groups. Four queries whatever the number of records (the user, the groups'
    COUNT, the page of groups, their records)."""
    if not scoping.is_admin(request.user):
        raise PermissionDenied(_("Only admins see the list of possible duplicates."))
    kind = KINDS[model]
    by = request.GET.get("by") or next(iter(kind["by"]))
    if by not in kind["by"]:
        by = next(iter(kind["by"]))
    page = Paginator(duplicates.duplicate_groups(model, by=by), GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    keys = [row["dup_key"] for row in page.object_list]
    context = {
        "kind": kind,
        "by": by,
        "page": page,
        "groups": duplicates.duplicate_group_members(model, by=by, keys=keys),
        "querystring": f"by={by}",
        "is_organization": model is Organization,
    }
    return render(request, "directory/duplicates.html", context)


@require_GET
def organization_duplicates(request):
    return _duplicate_list(request, Organization)


@require_GET
def contact_duplicates(request):
    return _duplicate_list(request, Contact)


def _ids(values):
    """The record ids of the request in their order, each once; junk is left out."""
    ids = []
    for value in values:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            continue
        if pk > 0 and pk not in ids:
            ids.append(pk)
    return ids


def _merge(request, model):
    """GET: the merge screen for `?ids=…&ids=…` (each record one the user sees, else 404, and may
    change, else 403); POST: merge, then the merge's page. A bad pick answers 400 with the screen."""
    source = request.POST if request.method == "POST" else request.GET
    ids = _ids(source.getlist("ids"))[: merging.MAX_RECORDS + 1]
    kind = KINDS[model]
    context = {"kind": kind, "is_organization": model is Organization}
    if len(ids) < 2:
        context["error"] = _("Pick at least two records to merge.")
        return render(request, "directory/merge.html", context, status=400)
    records = duplicates.merge_records_for_user(model, user=request.user, ids=ids)
    for record in records:
        if not merging.may_merge(request.user, record):
            raise PermissionDenied(_("You may not merge %(name)s.") % {"name": record})
    form = forms.MergeForm(
        request.POST if request.method == "POST" else None, records=records, fields=merging.MERGE_FIELDS[model]
    )
    if request.method == "POST" and form.is_valid():
        by_id = {r.pk: r for r in records}
        survivor = by_id[form.cleaned_data["survivor"]]
        try:
            merge = merging.records_merge(
                actor=request.user,
                survivor=survivor,
                others=[r for r in records if r.pk != survivor.pk],
                picks=form.picks(),
            )
        except ValidationError as error:
            form.add_error(None, views.form_errors(error))
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Merged into %(name)s. You can undo the merge for %(days)s days.")
                % {"name": survivor, "days": RESTORE_DAYS},
            )
            return redirect("merges:detail", merge.pk)
    context |= {
        "form": form,
        "records": records,
        "preview": merging.merge_preview(records=records),
        "ids": ids,
    }
    return render(request, "directory/merge.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def organization_merge(request):
    return _merge(request, Organization)


@require_http_methods(["GET", "POST"])
def contact_merge(request):
    return _merge(request, Contact)


def _merge_detail(request, merge, *, error=None):
    survivor, others = duplicates.merge_records(merge)
    model = merge.model
    labels = {field.model._meta.label: field.model._meta.verbose_name_plural for field in merging.relations(model)}
    context = {
        "merge": merge,
        "kind": KINDS[model],
        "is_organization": model is Organization,
        "survivor": survivor,
        "others": others,
        "moved": [(labels.get(label, label), count) for label, count in sorted(merge.summary.items())],
        "changed": merging.changed_fields(merge),
        "can_undo": merging.can_undo(merge),
        "error": error,
    }
    return render(request, "directory/merge_detail.html", context, status=400 if error else 200)


@require_GET
def merge_detail(request, merge_id):
    return _merge_detail(request, duplicates.merge_get_for_user(user=request.user, merge_id=merge_id))


@require_POST
def merge_undo(request, merge_id):
    merge = duplicates.merge_get_for_user(user=request.user, merge_id=merge_id)
    try:
        merging.merge_undo(actor=request.user, merge=merge)
    except ValidationError as error:
        merge.refresh_from_db()
        return _merge_detail(request, merge, error=views.form_errors(error))
    messages.success(request, _("The merge is undone: the records are back as they were."))
    survivor, _others = duplicates.merge_records(merge)
    namespace = KINDS[merge.model]["namespace"]
    if survivor is None:
        raise Http404("No such record.")
    return redirect(f"{namespace}:detail", survivor.pk)
