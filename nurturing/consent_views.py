"""The public consent pages (docs/nurturing.md, "Unsubscribe and preferences", "Double opt-in"):
no login, the token in the link is the only key, German or English by the browser's
Accept-Language, no CRM navigation.

GET never changes anything: mail scanners and link previews fetch every link of an e-mail, so
a GET that unsubscribed (or confirmed) would act for people who never clicked. The pages show
one button; the POST acts. The unsubscribe URL also takes the RFC 8058 one-click POST that mail
clients send (`List-Unsubscribe=One-Click`, no cookies, no CSRF token), so it is CSRF-exempt;
the preferences and confirmation forms keep their CSRF token.
"""

import functools

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts import network
from customers.models import MARKETING_ALLOWED, Consent
from nurturing import consent, optin
from nurturing.models import ConsentConfirmation, Send, Suppression

ONE_CLICK = "One-Click"


def _public(view):
    """No login; the page in the visitor's language; never cached, never indexed, the token in
    the URL never sent to other sites."""

    @functools.wraps(view)
    def wrapper(request, token):
        language = translation.get_language_from_request(request)
        with translation.override(language):
            response = view(request, token)
            response["Content-Language"] = translation.get_language()
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow, noarchive"
        add_never_cache_headers(response)
        return response

    return login_not_required(wrapper)


def _not_found(request):
    return render(request, "nurturing/public/not_found.html", status=404)


def mask(address):
    """ "eva.extern@example.com" → "e********@example.com": enough for the person to recognise."""
    local, _at, domain = (address or "").partition("@")
    if not domain:
        return "*" * len(local)
    return f"{local[:1]}{'*' * max(len(local) - 1, 3)}@{domain}"


# --- unsubscribe --------------------------------------------------------------------------------


@csrf_exempt
@_public
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET: a page with one button. POST (that button, or a mail client's RFC 8058 one-click):
    the address goes on the suppression list at once; again and again the same answer."""
    send = Send.objects.select_related("contact", "lead").filter(token=token).first()
    if send is None:
        return _not_found(request)
    context = {"address": mask(send.address), "token": token}
    if request.method == "GET":
        context["already"] = consent.is_suppressed(send.address)
        return render(request, "nurturing/public/unsubscribe.html", context)
    one_click = request.POST.get("List-Unsubscribe") == ONE_CLICK
    source = _("one-click unsubscribe (List-Unsubscribe-Post)") if one_click else _("unsubscribe page")
    consent.suppress(address=send.address, reason=Suppression.Reason.UNSUBSCRIBED, source=source, send=send)
    return render(request, "nurturing/public/unsubscribed.html", context)


# --- preferences --------------------------------------------------------------------------------


def _subject(token):
    """(address, contact, lead, send) of a Send token or a ConsentConfirmation token, or None."""
    send = Send.objects.select_related("contact", "lead").filter(token=token).first()
    if send is not None:
        return send.address, send.contact, send.lead, send
    confirmation = ConsentConfirmation.objects.select_related("contact", "lead").filter(token=token).first()
    if confirmation is not None:
        return confirmation.address, confirmation.contact, confirmation.lead, None
    return None


def _state(address, contact, lead):
    """What the page says and offers: "subscribed", "pending", "unsubscribed" (may subscribe
    again), "blocked" (bounced, complained or blocked by hand: not from here) or "none"."""
    suppression = Suppression.objects.filter(address=consent.normalise(address)).first()
    if suppression is not None:
        return "unsubscribed" if suppression.reason == Suppression.Reason.UNSUBSCRIBED else "blocked"
    record = contact if contact is not None else lead
    status = record.email_consent if record is not None else Consent.UNKNOWN
    if status in MARKETING_ALLOWED:
        return "subscribed"
    if status == Consent.PENDING:
        return "pending"
    if status == Consent.WITHDRAWN:
        return "unsubscribed"
    return "none"


@_public
@require_http_methods(["GET", "POST"])
def preferences(request, token):
    """The address's state; "unsubscribe from marketing e-mails" and, when not subscribed,
    "subscribe again" (pending + a new confirmation e-mail, at most one per ten minutes)."""
    found = _subject(token)
    if found is None:
        return _not_found(request)
    address, contact, lead, send = found
    message, error, status = "", "", 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "unsubscribe":
            consent.suppress(
                address=address,
                reason=Suppression.Reason.UNSUBSCRIBED,
                source=_("preferences page"),
                send=send,
            )
            message = _("You are unsubscribed: you will get no more marketing e-mails from us.")
        elif action == "subscribe" and _state(address, contact, lead) in ("unsubscribed", "none", "pending"):
            try:
                optin.resubscribe(address=address, contact=contact, lead=lead)
            except optin.OptInError as refusal:
                error, status = str(refusal), 429 if isinstance(refusal, optin.TooSoon) else 400
            else:
                message = _("We have sent you an e-mail: please confirm with the link in it.")
        else:
            error, status = _("That is not possible for this address."), 400
        if contact is not None:
            contact.refresh_from_db(fields=["email_consent", "email_consent_at"])
        if lead is not None:
            lead.refresh_from_db(fields=["email_consent", "email_consent_at"])
    context = {
        "address": mask(address),
        "state": _state(address, contact, lead),
        "message": message,
        "error": error,
    }
    return render(request, "nurturing/public/preferences.html", context, status=status)


# --- double opt-in ------------------------------------------------------------------------------


@_public
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """GET: the address and a "Confirm" button. POST: the consent is granted with the proof
    (nurturing.optin.confirm). An expired link: a page that says so and how to ask again."""
    confirmation = optin.confirmation_for_token(token)
    if confirmation is None:
        return _not_found(request)
    context = {"address": confirmation.address, "token": token, "days": optin.TOKEN_DAYS}
    if confirmation.confirmed_at is None and optin.is_expired(confirmation):
        return render(request, "nurturing/public/confirm_expired.html", context, status=410)
    if request.method == "GET":
        context["confirmed"] = confirmation.confirmed_at is not None
        return render(request, "nurturing/public/confirm.html", context)
    try:
        optin.confirm(
            confirmation=confirmation,
            ip=network.client_ip(request) or "",
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except optin.OptInError as refusal:
        context["error"] = str(refusal)
        return render(request, "nurturing/public/confirm_expired.html", context, status=410)
    context["confirmed"] = True
    return render(request, "nurturing/public/confirm.html", context)
