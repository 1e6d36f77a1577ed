"""The actions of the quote page beyond editing: discount approval (asked for by the rep, decided
by a manager of the owner's team or an admin), sending, revisions, cancellation, the customer's
link and the PDF, and the managers' list of quotes waiting for approval. Each answers with the
quote page (a success redirects to it; the customer's link is shown once, in the answer to the
POST that made it, and never stored in clear)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import scoping
from quotes import forms, pdf, selectors, services
from quotes.views import quote_for_change, refuse, reload, render_page


def public_link(request, token):
    """The customer's link: the public acceptance page `/q/<token>/` (a contract path, DESIGN §9)."""
    return request.build_absolute_uri(f"/q/{token}/")


def _done(request, quote_id, message):
    messages.success(request, message)
    return redirect("quotes:detail", quote_id)


def _refused(request, quote_id, error, **page):
    return refuse(request, quote_id, error.message, status=error.status, **page)


def _action(request, quote_id, change, done):
    """A POST without a form: the quote as the user may change it, `change(quote)` through the
    services, then the quote page with `done` as its message (or the refusal's message)."""
    quote, refusal = quote_for_change(request, quote_id)
    if refusal:
        return refusal
    try:
        change(quote)
    except services.QuoteError as error:
        return _refused(request, quote.pk, error)
    return _done(request, quote.pk, done)


# --- approval ----------------------------------------------------------------------------------


@require_POST
def approval_request(request, quote_id):
    quote, refusal = quote_for_change(request, quote_id)
    if refusal:
        return refusal
    form = forms.ApprovalRequestForm(request.POST, prefix="approval")
    if not form.is_valid():
        messages.error(request, _("Please correct the marked fields."))
        return render_page(request, quote, request_form=form, status=400)
    try:
        services.quote_request_approval(quote_id=quote.pk, actor=request.user, note=form.cleaned_data["note"])
    except services.QuoteError as error:
        return _refused(request, quote.pk, error, request_form=form)
    return _done(request, quote.pk, _("Approval requested: the managers of the team were notified."))


@require_POST
def approval_withdraw(request, quote_id):
    return _action(
        request,
        quote_id,
        lambda quote: services.quote_withdraw_approval_request(quote_id=quote.pk, actor=request.user),
        _("Request withdrawn: the quote is a draft again."),
    )


@require_POST
def approval_decide(request, quote_id):
    """Approve or reject (with a comment) — for a manager of the owner's team or an admin; nobody
    decides on their own discount unless they are an admin (services.can_approve)."""
    quote = reload(request, quote_id)
    if not services.can_approve(request.user, quote):
        message = _("Only a manager of the owner's team or an admin may decide on this discount.")
        return refuse(request, quote.pk, message, status=403)
    form = forms.ApprovalDecisionForm(request.POST, prefix="decision")
    if not form.is_valid():
        messages.error(request, _("Please correct the marked fields."))
        return render_page(request, quote, decision_form=form, status=400)
    try:
        services.quote_decide_approval(
            quote_id=quote.pk, actor=request.user, approve=form.approve, comment=form.cleaned_data["comment"]
        )
    except services.QuoteError as error:
        return _refused(request, quote.pk, error, decision_form=form)
    if form.approve:
        return _done(request, quote.pk, _("Discount approved: the owner was notified and can send the quote."))
    return _done(request, quote.pk, _("Discount rejected: the owner was notified."))


# --- sending, revisions, cancellation, the link --------------------------------------------------


@require_POST
def quote_send(request, quote_id):
    """Send the draft; the answer is the page with the customer's link, shown this once."""
    quote, refusal = quote_for_change(request, quote_id)
    if refusal:
        return refusal
    form = forms.SendForm(request.POST, prefix="send")
    if not form.is_valid():
        messages.error(request, _("The quote was not sent. Please correct the marked fields."))
        return render_page(request, quote, send_form=form, status=400)
    try:
        quote, token = services.quote_send(quote_id=quote.pk, actor=request.user, **form.cleaned_data)
    except services.QuoteError as error:
        return _refused(request, quote_id, error, send_form=form)
    messages.success(
        request,
        _("%(number)s sent to %(to)s.") % {"number": quote.display_number, "to": quote.recipient_email},
    )
    return render_page(request, reload(request, quote.pk), new_link=public_link(request, token))


@require_POST
def quote_revise(request, quote_id):
    quote, refusal = quote_for_change(request, quote_id)
    if refusal:
        return refusal
    try:
        revision = services.quote_revise(quote_id=quote.pk, actor=request.user)
    except services.QuoteError as error:
        return _refused(request, quote.pk, error)
    return _done(
        request,
        revision.pk,
        _("Revision %(n)s is a draft: sending it replaces %(number)s.")
        % {"n": revision.revision, "number": quote.display_number},
    )


@require_POST
def quote_cancel(request, quote_id):
    form = forms.CancelForm(request.POST, prefix="cancel")
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _action(
        request,
        quote_id,
        lambda quote: services.quote_cancel(quote_id=quote.pk, actor=request.user, note=note),
        _("The quote was cancelled; its link no longer works."),
    )


@require_POST
def link_revoke(request, quote_id):
    return _action(
        request,
        quote_id,
        lambda quote: services.quote_link_revoke(quote_id=quote.pk, actor=request.user),
        _("The customer's link was revoked."),
    )


@require_POST
def link_renew(request, quote_id):
    """A new link (the old one stops working), shown this once; it is not e-mailed."""
    quote, refusal = quote_for_change(request, quote_id)
    if refusal:
        return refusal
    try:
        quote, token = services.quote_link_renew(quote_id=quote.pk, actor=request.user)
    except services.QuoteError as error:
        return _refused(request, quote.pk, error)
    messages.success(request, _("A new link was made; the old one no longer works."))
    return render_page(request, reload(request, quote.pk), new_link=public_link(request, token), link_renewed=True)


# --- the PDF and the approvals list ----------------------------------------------------------------


@require_GET
def quote_pdf(request, quote_id):
    quote = reload(request, quote_id)
    try:
        return pdf.stored_pdf_response(quote)
    except pdf.QuotePdfUnavailable as error:
        return _refused(request, quote.pk, error)


@require_GET
def approvals(request):
    """The quotes waiting for the user's decision (managers: their teams' quotes, not their own;
    admins: all). Reps decide on no discount: 403."""
    if not (scoping.is_admin(request.user) or request.user.role == "manager"):
        raise PermissionDenied(_("Only managers and admins decide on discounts."))
    quotes = selectors.approvals_waiting_for(user=request.user)
    return render(request, "quotes/approvals.html", {"quotes": quotes})
