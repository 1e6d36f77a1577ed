"""The customer's page of a quote, /q/<token>/ (docs/quotes.md): no login, the link's
secret is the only key. GET shows the offer and records the opening; accepting and declining
are POSTs with CSRF that redirect back to the page, which then confirms the answer. Every
answer carries headers that keep the link out of referrers, search engines and caches."""

import functools
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from accounts import network
from quotes import pdf, public, public_forms
from quotes.services import QuoteError


def _private(response):
    """The token is in the URL: no Referer to other sites, no index, no stored copy.

    `same-origin`, not `no-referrer`: under `no-referrer` a browser sends `Origin: null` with the
    page's own form POSTs, which the CSRF check rightly refuses. Other sites get no Referer
    either way; our own server already knows the token."""
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow, noarchive"
    add_never_cache_headers(response)  # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
    return response


def _not_found(request):
    return render(request, "quotes/public/not_found.html", status=404)


def _too_many(request):
    response = render(request, "quotes/public/too_many.html", status=429)
    response["Retry-After"] = str(settings.CRM_QUOTE_LINK_MISS_WINDOW)
    return response


def _by_token(view):
    """Find the quote of the link (404 for an unknown, revoked or draft one, 429 once an address
    has tried too many unknown links) and run `view` in the quote's language."""

    @functools.wraps(view)
    def wrapper(request, token):
        ip = network.client_ip(request)
        if public.link_guessing_blocked(ip):
            return _private(_too_many(request))
        quote = public.quote_for_token(token)
        if quote is None:
            blocked = public.link_missed(ip)
            return _private(_too_many(request) if blocked else _not_found(request))
        with translation.override(quote.language):
            response = view(request, quote, token)
        response["Content-Language"] = quote.language
        return _private(response)

    return login_not_required(wrapper)


def _visitor(request):
    return {"ip": network.client_ip(request), "user_agent": request.META.get("HTTP_USER_AGENT", "")}


def _page(request, quote, token, *, accept_form=None, decline_form=None, error="", status=200):
    answerable = public.answerable(quote)
    context = {
        "quote": quote,
        "seller": quote.seller,
        "buyer": quote.buyer,
        "sender": quote.sent_by.get_full_name() if quote.sent_by_id else "",
        "lines": list(quote.lines.order_by("position", "id")),
        "vat_rates": [
            {"rate": Decimal(row["rate"]), "net": Decimal(row["net"]), "vat": Decimal(row["vat"])}
            for row in quote.vat_breakdown
        ],
        "answerable": answerable,
        "closed_message": "" if answerable else public.why_not_answerable(quote),
        "answer": getattr(quote, "response", None) if quote.state in public.ANSWERED else None,
        "accept_form": accept_form or public_forms.AcceptForm(prefix="accept"),
        "decline_form": decline_form or public_forms.DeclineForm(prefix="decline"),
        "error": error,
        "view_token": token,
    }
    return render(request, "quotes/public/quote.html", context, status=status)


@require_GET
@_by_token
def quote_page(request, quote, token):
    public.quote_record_view(quote, **_visitor(request))
    return _page(request, quote, token)


@require_GET
@_by_token
def quote_pdf(request, quote, token):
    """The PDF exactly as it was sent, checked against its SHA-256; never rendered again."""
    try:
        return pdf.stored_pdf_response(quote)
    except pdf.QuotePdfUnavailable as exc:
        if exc.status == 404:
            return _not_found(request)
        # Missing from the storage or changed since it was sent: the reason is for the CRM's
        # users (it is logged); the customer is asked to get in touch.
        return render(request, "quotes/public/pdf_unavailable.html", {"seller": quote.seller}, status=exc.status)


def _answered(request, quote, token, *, form, answer, **forms):
    """Run `answer` for a valid form: back to the page (which confirms), or the page again with
    the reason of a refusal (400 for the input, 409 when the quote is no longer open)."""
    if not form.is_valid():
        return _page(request, quote, token, status=400, **forms)
    try:
        answer(form.cleaned_data)
    except QuoteError as exc:
        current = public.quote_for_token(token)
        if current is None:
            return _not_found(request)
        if exc.status == 409:
            return _page(request, current, token, error=exc.message, status=409)
        form.add_error(None, exc.message)
        return _page(request, current, token, status=exc.status, **forms)
    response = redirect("quotes:public", token=token)
    response.status_code = 303  # See Other: reloading the confirmation does not post again
    return response


@require_POST
@_by_token
def quote_accept(request, quote, token):
    form = public_forms.AcceptForm(request.POST, prefix="accept")
    return _answered(
        request,
        quote,
        token,
        form=form,
        accept_form=form,
        answer=lambda data: public.quote_accept(
            token, name=data["name"], confirmed=data["confirm"], **_visitor(request)
        ),
    )


@require_POST
@_by_token
def quote_decline(request, quote, token):
    form = public_forms.DeclineForm(request.POST, prefix="decline")
    return _answered(
        request,
        quote,
        token,
        form=form,
        decline_form=form,
        answer=lambda data: public.quote_decline(token, name=data["name"], reason=data["reason"], **_visitor(request)),
    )
