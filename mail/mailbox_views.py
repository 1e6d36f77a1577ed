"""The mailbox page (/accounts/mailbox/): each user's own connection, test connection, status,
"Sync now", preferences and the BCC address. Every view works on the signed-in user's own
mailbox only, so there is no other user's record to refuse."""

import copy
import json

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mail import crypto, dropbox, mailbox_services, presets, probe
from mail.mailbox_forms import MailboxForm, PreferencesForm
from mail.models import Mailbox

TEMPLATE = "mail/mailbox.html"


def keys_configured():
    """Whether secrets can be sealed: production without CRM_MAIL_KEYS cannot connect mailboxes."""
    try:
        crypto.fernet()
    except ImproperlyConfigured:
        return False
    return True


def _context(mailbox, *, form=None, preferences_form=None, report=None):
    return {
        "mailbox": mailbox,
        "form": form or MailboxForm(instance=copy.copy(mailbox), initial={"password": ""}),
        "preferences_form": preferences_form or PreferencesForm(instance=copy.copy(mailbox)),
        "report": report,
        "keys_ok": keys_configured(),
        "bcc_address": dropbox.address_for(mailbox),
        "presets": presets.as_data(),
        "presets_json": json.dumps(presets.as_data()),
        "statuses": Mailbox.Status,
    }


def _page(request, mailbox, status=200, **kwargs):
    return render(request, TEMPLATE, _context(mailbox, **kwargs), status=status)


@sensitive_variables("secret", "password")
def _run_test(form, mailbox):
    """The test connection of the form's values; the stored secret when no password was typed."""
    password = form.cleaned_data.get("password") or ""
    try:
        secret = password or crypto.reveal(mailbox.secret)
    except crypto.SecretUnreadable:
        form.add_error("password", _("The stored password cannot be read any more: enter it again."))
        return None
    values = form.connection_values()
    return probe.probe(mailbox_services.with_values(mailbox, values), password=secret)


def _bound_form(request, mailbox):
    # A copy: validating a ModelForm writes its values into the instance.
    return MailboxForm(request.POST, instance=copy.copy(mailbox))


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def mailbox_page(request):
    mailbox = mailbox_services.mailbox_get_or_create(user=request.user)
    if request.method != "POST":
        return _page(request, mailbox)
    if not keys_configured():
        messages.error(request, _("Mailboxes cannot be connected until the administrator sets CRM_MAIL_KEYS."))
        return _page(request, mailbox, form=_bound_form(request, mailbox))
    form = _bound_form(request, mailbox)
    if not form.is_valid():
        return _page(request, mailbox, form=form)
    values, password = form.connection_values(), form.cleaned_data["password"]
    if not mailbox_services.needs_test(mailbox, values, password):
        mailbox_services.mailbox_save_settings(mailbox_id=mailbox.pk, values=values)
        messages.success(request, _("Your mailbox settings were saved."))
        return redirect("mail:mailbox")
    report = _run_test(form, mailbox)
    if report is None or not report.ok:
        if report is not None:
            form.add_error(None, _("Not saved: the connection test failed (see below)."))
        return _page(request, mailbox, form=form, report=report)
    try:
        mailbox_services.mailbox_save_connection(mailbox_id=mailbox.pk, values=values, password=password, report=report)
    except mailbox_services.MailboxError as error:
        form.add_error(None, str(error))
        return _page(request, mailbox, form=form, report=report)
    messages.success(request, _("Your mailbox is connected."))
    return redirect("mail:mailbox")


@sensitive_post_parameters("password")
@require_POST
def mailbox_test(request):
    """Test connection with the form's values, before or without saving. htmx gets the report
    only (the form keeps what was typed); without JavaScript the whole page comes back."""
    mailbox = mailbox_services.mailbox_get_or_create(user=request.user)
    form = _bound_form(request, mailbox)
    report = None
    if keys_configured() and form.is_valid():
        report = _run_test(form, mailbox)
    context = _context(mailbox, form=form, report=report)
    context["tested"] = True
    if request.htmx:
        return render(request, f"{TEMPLATE}#test-report", context)
    return render(request, TEMPLATE, context)


@require_POST
def mailbox_preferences(request):
    mailbox = mailbox_services.mailbox_get_or_create(user=request.user)
    form = PreferencesForm(request.POST, instance=copy.copy(mailbox))
    if not form.is_valid():
        return _page(request, mailbox, preferences_form=form)
    mailbox_services.mailbox_save_preferences(mailbox_id=mailbox.pk, sharing_choice=form.cleaned_data["sharing"])
    messages.success(request, _("Your e-mail preferences were saved."))
    return redirect("mail:mailbox")


@require_POST
def mailbox_disconnect(request):
    mailbox = mailbox_services.mailbox_get_or_create(user=request.user)
    mailbox_services.mailbox_disconnect(mailbox_id=mailbox.pk)
    messages.success(
        request, _("Your mailbox was disconnected. The messages already synced stay in the CRM; nothing new is synced.")
    )
    return redirect("mail:mailbox")


@require_POST
def mailbox_sync(request):
    mailbox = mailbox_services.mailbox_get_or_create(user=request.user)
    try:
        mailbox_services.mailbox_request_sync(mailbox_id=mailbox.pk)
    except mailbox_services.MailboxError as error:
        notice, ok = str(error), False
    else:
        notice, ok = _("Sync requested: new messages arrive in a moment."), True
    if request.htmx:
        context = _context(mailbox) | {"sync_notice": notice, "sync_ok": ok}
        return render(request, f"{TEMPLATE}#status", context)
    (messages.success if ok else messages.error)(request, notice)
    return redirect("mail:mailbox")


@require_GET
def mailbox_status(request):
    """The status block alone (htmx refreshes it while the page is open)."""
    mailbox = mailbox_services.mailbox_get_or_create(user=request.user)
    return render(request, f"{TEMPLATE}#status", _context(mailbox))


@require_POST
def mailbox_bcc_address(request):
    mailbox = mailbox_services.mailbox_get_or_create(user=request.user)
    mailbox = mailbox_services.mailbox_new_dropbox_address(mailbox_id=mailbox.pk)
    if request.htmx:
        context = _context(mailbox) | {"bcc_renewed": True}
        return render(request, f"{TEMPLATE}#bcc-address", context)
    messages.success(request, _("You have a new BCC address; the old one links nothing from now on."))
    return redirect("mail:mailbox")
