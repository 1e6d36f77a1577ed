"""The rep's and the manager's pages of quotes: the panel on the deal page, the quote page (the
editor of a draft, the document of a sent quote) and its htmx parts. Thin views: scope through
quotes.selectors, parse with quotes.forms, change through quotes.services, render.

A refusal keeps the page: a QuoteError re-renders it with the message under the error's
status (400 bad input, 403 visible but not the user's to change, 409 the quote is no longer
in the state the change needs); outside the user's scope a quote answers 404. The other
actions (approval, sending, revisions, the link, the PDF) are in quotes/action_views.py."""

from decimal import Decimal

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import scoping
from deals import selectors as deal_selectors
from quotes import forms, selectors, services
from quotes.models import CompanyProfile, Quote

PAGE = "quotes/quote_detail.html"


# --- the panel on the deal page ----------------------------------------------------------------


@require_GET
def deal_panel(request, deal_id):
    """The deal's quotes (loaded into the deal page's frame by htmx; a page of its own without
    JavaScript). Queries: user, the deal, its quotes with their answers and people, their
    lines (prefetched by the selector), the managed teams of a manager."""
    deal = deal_selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    quotes = selectors.quotes_for_deal(user=request.user, deal=deal)
    for quote in quotes:
        quote.deal = deal  # one deal, read once
        quote.awaits_user = quote.state == Quote.State.PENDING_APPROVAL and services.can_approve(request.user, quote)
    context = {
        "deal": deal,
        "quotes": quotes,
        "can_create": scoping.can_change_owned(request.user, deal.owner) and deal.status == deal.Status.OPEN,
    }
    template = "quotes/panel.html#panel" if request.htmx else "quotes/panel.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def quote_new(request, deal_id):
    """GET: what the new quote will hold (the deal's line items); POST: the draft, then its page."""
    deal = deal_selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    context = {"deal": deal, "line_items": deal_selectors.deal_line_items(deal=deal)}
    if not scoping.can_change_owned(request.user, deal.owner):
        messages.error(request, _("You may look at this deal's quotes but not change them."))
        return render(request, "quotes/quote_new.html", context, status=403)
    if request.method == "GET":
        return render(request, "quotes/quote_new.html", context)
    try:
        quote = services.quote_create(deal_id=deal.pk, actor=request.user)
    except services.QuoteError as error:
        messages.error(request, error.message)
        return render(request, "quotes/quote_new.html", context, status=error.status)
    messages.success(request, _("Draft quote created from the deal's line items."))
    return redirect("quotes:detail", quote.pk)


# --- the quote page -------------------------------------------------------------------------------


def _money_rows(quote):
    """The stored VAT breakdown with Decimals, for localised formatting."""
    return [
        {"rate": Decimal(row["rate"]), "net": Decimal(row["net"]), "vat": Decimal(row["vat"])}
        for row in quote.vat_breakdown
    ]


def _work_context(request, quote, *, line_form=None, edit_forms=None, send_form=None, request_form=None):
    """What changes with the lines: the lines (with their forms in a draft the user may change),
    the totals, the approval and the send form. One read each of the lines, the catalogue, the
    company profile and the discount policy, whatever the number of lines."""
    user = request.user
    can_change = scoping.can_change_owned(user, quote.deal.owner)
    editable = can_change and quote.is_editable
    lines = selectors.quote_lines(quote=quote)
    policy = services.discount_policy_for(quote.deal.owner)
    context = {
        "quote": quote,
        "deal": quote.deal,
        "lines": lines,
        "can_change": can_change,
        "editable": editable,
        "vat_rows": _money_rows(quote),
        "discount": quote.list_total - quote.net_total,
        "policy": policy,
        "needs_approval": services.discount_needs_approval(quote, policy),
        "may_decide": quote.state == Quote.State.PENDING_APPROVAL and services.can_approve(user, quote),
    }
    if editable:
        rates = CompanyProfile.current().vat_rate_choices()
        choices = deal_selectors.product_choices(extra_ids={line.product_id for line in lines if line.product_id})
        edit_forms = edit_forms or {}
        for line in lines:
            line.form = edit_forms.get(line.pk) or forms.QuoteLineForm(
                rates=rates, line=line, product_choices=choices, prefix=f"line-{line.pk}"
            )
        context["line_form"] = line_form or forms.QuoteLineForm(rates=rates, product_choices=choices, prefix="new_line")
        context["send_form"] = send_form or forms.SendForm.for_quote(quote, sender=_name(user))
        context["request_form"] = request_form or forms.ApprovalRequestForm(prefix="approval")
    return context


def _name(user):
    return user.get_full_name() or user.get_username()


def page_context(request, quote, *, header_form=None, decision_form=None, new_link=None, link_renewed=False, **work):
    """The whole page: the work part, the header form of a draft and the history."""
    context = _work_context(request, quote, **work)
    if context["editable"]:
        context["header_form"] = header_form or forms.QuoteHeaderForm(instance=quote)
    if context["may_decide"]:
        context["decision_form"] = decision_form or forms.ApprovalDecisionForm(prefix="decision")
    if context["can_change"] and quote.is_open:
        context["cancel_form"] = forms.CancelForm(prefix="cancel")
    context["events"] = selectors.quote_events(quote=quote)
    context["new_link"], context["link_renewed"] = new_link, link_renewed
    # The revisions before and after this one, in one query (both are a quote of the same deal).
    related = Quote.objects.filter(Q(revises=quote) | Q(pk=quote.revises_id or 0)).only("pk", "number", "revision")
    context["older"] = next((other for other in related if other.pk == quote.revises_id), None)
    context["newer"] = next((other for other in related if other.pk != quote.revises_id), None)
    revisable = (Quote.State.SENT, Quote.State.DECLINED, Quote.State.EXPIRED)
    context["can_revise"] = context["can_change"] and quote.state in revisable and context["newer"] is None
    return context


def render_page(request, quote, *, status=200, **kwargs):
    return render(request, PAGE, page_context(request, quote, **kwargs), status=status)


def reload(request, quote_id):
    """The quote as it is now (after a change or a refusal)."""
    return selectors.quote_get_for_user(user=request.user, quote_id=quote_id)


def refuse(request, quote_id, message, *, status, **kwargs):
    """A refused change: htmx gets the message only (out of band; `HX-Reswap: none`), a plain
    request the page as it is now with the message, both under the real status."""
    if request.htmx:
        response = render(request, f"{PAGE}#page-message", {"message": message, "level": "error"}, status=status)
        response["HX-Reswap"] = "none"
        return response
    messages.error(request, message)
    return render_page(request, reload(request, quote_id), status=status, **kwargs)


def quote_for_change(request, quote_id, *, draft=False):
    """(quote, refusal): the quote for a change from its page; 404 outside the scope, 403 when
    visible but not the user's to change, 409 when `draft` is needed and it is no longer one."""
    quote = selectors.quote_get_for_user(user=request.user, quote_id=quote_id)
    if not scoping.can_change_owned(request.user, quote.deal.owner):
        return quote, refuse(request, quote.pk, _("You may look at this quote but not change it."), status=403)
    if draft and not quote.is_editable:
        return quote, refuse(request, quote.pk, _("Only a draft can be edited."), status=409)
    return quote, None


@require_http_methods(["GET", "POST"])
def quote_detail(request, quote_id):
    """GET: the page (queries: tests/quotes/test_deal_ui_queries.py). POST: the draft's header."""
    if request.method == "GET":
        return render_page(request, reload(request, quote_id))
    quote, refusal = quote_for_change(request, quote_id, draft=True)
    if refusal:
        return refusal
    form = forms.QuoteHeaderForm(request.POST, instance=reload(request, quote_id))
    if not form.is_valid():
        messages.error(request, _("The quote was not saved. Please correct the marked fields."))
        return render_page(request, quote, header_form=form, status=400)
    try:
        services.quote_update(quote_id=quote.pk, actor=request.user, **form.cleaned_data)
    except services.QuoteError as error:
        messages.error(request, error.message)
        return render_page(request, reload(request, quote_id), header_form=form, status=error.status)
    messages.success(request, _("Saved."))
    return redirect("quotes:detail", quote.pk)


# --- lines (htmx; without JavaScript each answer is the page) ---------------------------------------


def _work_response(request, quote_id, *, message, status=200, **work):
    """The re-rendered work part (lines, totals, approval, sending) and the message."""
    if not request.htmx:
        if status == 200:
            messages.success(request, message)
            return redirect("quotes:detail", quote_id)
        messages.error(request, message)
        return render_page(request, reload(request, quote_id), status=status, **work)
    context = _work_context(request, reload(request, quote_id), **work)
    context |= {"message": message, "level": "success" if status == 200 else "error"}
    return render(request, f"{PAGE}#work-response", context, status=status)


def _line_form(request, quote, *, prefix, line=None):
    rates = CompanyProfile.current().vat_rate_choices()
    return forms.QuoteLineForm(request.POST, rates=rates, line=line, prefix=prefix)


def _line_refused(request, quote_id, error, **work):
    """A service refused the line: bad input keeps the form (400), anything else only says why."""
    if error.status == 400:
        return _work_response(request, quote_id, message=error.message, status=400, **work)
    return refuse(request, quote_id, error.message, status=error.status)


INVALID_LINE = gettext_lazy("The line was not saved. Please correct the marked fields.")


@require_POST
def line_add(request, quote_id):
    quote, refusal = quote_for_change(request, quote_id, draft=True)
    if refusal:
        return refusal
    form = _line_form(request, quote, prefix="new_line")
    if not form.is_valid():
        return _work_response(request, quote.pk, message=str(INVALID_LINE), status=400, line_form=form)
    try:
        quote, line = services.quote_line_add(quote_id=quote.pk, actor=request.user, **form.service_fields())
    except services.QuoteError as error:
        return _line_refused(request, quote_id, error, line_form=form)
    return _work_response(request, quote.pk, message=_("“%(line)s” added.") % {"line": line.description})


def _line_of(quote, line_id):
    line = quote.lines.filter(pk=line_id).first()
    if line is None:
        raise Http404("No such line.")
    return line


@require_POST
def line_edit(request, quote_id, line_id):
    quote, refusal = quote_for_change(request, quote_id, draft=True)
    if refusal:
        return refusal
    line = _line_of(quote, line_id)
    form = _line_form(request, quote, prefix=f"line-{line.pk}", line=line)
    if not form.is_valid():
        return _work_response(request, quote.pk, message=str(INVALID_LINE), status=400, edit_forms={line.pk: form})
    try:
        quote, line = services.quote_line_update(
            quote_id=quote.pk, line_id=line.pk, actor=request.user, **form.service_fields()
        )
    except services.QuoteError as error:
        return _line_refused(request, quote_id, error, edit_forms={line.pk: form})
    return _work_response(request, quote.pk, message=_("“%(line)s” saved.") % {"line": line.description})


@require_POST
def line_remove(request, quote_id, line_id):
    quote, refusal = quote_for_change(request, quote_id, draft=True)
    if refusal:
        return refusal
    line = _line_of(quote, line_id)
    try:
        services.quote_line_remove(quote_id=quote.pk, line_id=line.pk, actor=request.user)
    except services.QuoteError as error:
        return _line_refused(request, quote_id, error)
    return _work_response(request, quote.pk, message=_("“%(line)s” removed.") % {"line": line.description})
