"""The deal page's objections section (docs/deals.md, "Objections"): loaded into a frame of the deal
page by htmx, a page of its own without JavaScript. A change answers htmx with the re-rendered
section and its message; without htmx it redirects to the deal page with a flash message. Bad input
re-renders the form with its errors (400); a deal the user may not change answers 403, a closed deal
400, a deal outside the scope 404."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import scoping
from deals import forms, objections, selectors, services
from deals.models import Deal

PAGE = "deals/objections.html"


def _context(request, deal, *, form=None, edit_forms=None, message="", level="success"):
    items = objections.objections_for_deal(deal=deal)
    can_change = deal.status == Deal.Status.OPEN and scoping.can_change_owned(request.user, deal.owner)
    if can_change:
        edit_forms = edit_forms or {}
        for item in items:
            item.form = edit_forms.get(item.pk) or forms.ObjectionForm(instance=item, prefix=f"objection-{item.pk}")
    return {
        "deal": deal,
        "objections": items,
        "can_change": can_change,
        "expanded": deal.status == Deal.Status.OPEN and objections.is_close_stage(deal.stage),
        "form": form or (forms.ObjectionForm(prefix="new_objection") if can_change else None),
        "message": message,
        "level": level,
        # After a change the section stays open wherever the deal is.
        "keep_open": request.method == "POST",
    }


def _render(request, deal, *, status=200, **kwargs):
    template = f"{PAGE}#panel-response" if request.htmx else PAGE
    return render(request, template, _context(request, deal, **kwargs), status=status)


@require_GET
def objections_panel(request, deal_id):
    """The objections of a deal and, for a user who may change it while it is open, the forms.
    Queries: user, the deal, its objections, the pipeline's last stage order (and a manager's teams)."""
    deal = selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    return _render(request, deal)


def _done(request, deal, message):
    if not request.htmx:
        messages.success(request, message)
        return redirect("deals:detail", deal.pk)
    return _render(request, deal, message=message)


def _refused(request, deal, error, **kwargs):
    if not request.htmx:
        messages.error(request, error.message)
    return _render(request, deal, status=error.status, message=error.message, level="error", **kwargs)


def _invalid(request, deal, form, *, objection_id=None):
    message = _("The objection was not saved. Please correct the marked fields.")
    if not request.htmx:
        messages.error(request, message)
    kwargs = {"edit_forms": {objection_id: form}} if objection_id else {"form": form}
    return _render(request, deal, status=400, message=message, level="error", **kwargs)


@require_POST
def objection_add(request, deal_id):
    deal = selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    form = forms.ObjectionForm(request.POST, prefix="new_objection")
    try:
        if not form.is_valid():
            # Refusals first: a user who may not change the deal learns that, not a field error.
            objections.deal_for_objection_change(actor=request.user, deal_id=deal.pk)
            return _invalid(request, deal, form)
        objection = objections.objection_record(deal_id=deal.pk, actor=request.user, **form.service_fields())
    except services.DealError as error:
        return _refused(request, deal, error, form=form if error.status == 400 else None)
    return _done(request, deal, _("Objection “%(kind)s” recorded.") % {"kind": objection.get_kind_display()})


def _objection_id(deal, objection_id):
    if not deal.objections.filter(pk=objection_id).exists():
        raise Http404("No such objection.")
    return objection_id


@require_POST
def objection_edit(request, deal_id, objection_id):
    deal = selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    objection_id = _objection_id(deal, objection_id)
    form = forms.ObjectionForm(request.POST, prefix=f"objection-{objection_id}")
    try:
        if not form.is_valid():
            objections.deal_for_objection_change(actor=request.user, deal_id=deal.pk)
            return _invalid(request, deal, form, objection_id=objection_id)
        objection = objections.objection_update(
            deal_id=deal.pk, objection_id=objection_id, actor=request.user, **form.service_fields()
        )
    except services.DealError as error:
        return _refused(request, deal, error)
    return _done(request, deal, _("Objection “%(kind)s” saved.") % {"kind": objection.get_kind_display()})


@require_POST
def objection_delete(request, deal_id, objection_id):
    deal = selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    objection_id = _objection_id(deal, objection_id)
    try:
        objection = objections.objection_delete(deal_id=deal.pk, objection_id=objection_id, actor=request.user)
    except services.DealError as error:
        return _refused(request, deal, error)
    return _done(request, deal, _("Objection “%(kind)s” removed.") % {"kind": objection.get_kind_display()})
