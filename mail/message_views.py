"""Thin views of one e-mail: the full message, its HTML in a sandboxed frame, its attachments,
the deal choice of its thread, a contact or lead made from an unknown address, and the deal
page's "last contacted" (docs/email.md). Whoever may not read a message gets 404."""

import mimetypes

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from deals import selectors as deal_selectors
from mail import linking, selectors, unknown_senders

# The HTML of a message is shown in an <iframe sandbox> from its own URL with a policy of its
# own: no scripts, no requests (no remote images or fonts: no tracking pixels), no forms; the
# message's own inline styles only; framed only by our pages; links open in a new tab.
HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
)
HTML_DOCUMENT = (
    '<!doctype html><html><head><meta charset="utf-8"><base target="_blank">'
    '<meta name="referrer" content="no-referrer"></head><body>{body}</body></html>'
)
# Attachments are always downloaded; these types keep their name, anything else is served as
# bytes (a browser that sniffs is told not to: nosniff is set for every response).
SAFE_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "text/plain",
    "application/zip",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
DOWNLOAD_POLICY = "default-src 'none'; sandbox"


def _page_context(request, message, *, error=""):
    """What the message page shows: the message, the rest of its thread the user may read, the
    deal choice (owner only), and the addresses that may become a contact or lead."""
    thread = message.thread
    context = {
        "message": message,
        "thread_messages": [],
        "candidates": [],
        "unknown": unknown_senders.unknown_participants(message),
        "pick_error": error,
    }
    if thread is not None:
        context["thread_messages"] = selectors.message_rows(
            selectors.thread_messages(user=request.user, thread=thread).exclude(pk=message.pk), limit=50
        )
        if thread.needs_deal_choice and thread.owner_id == request.user.pk:
            context["candidates"] = linking.thread_deal_candidates(thread)
    return context


def _render_page(request, message, *, error="", status=200):
    template = "mail/message.html#body" if request.htmx else "mail/message.html"
    return render(request, template, _page_context(request, message, error=error), status=status)


@require_GET
def message_detail(request, message_id):
    message = selectors.message_get_for_user(user=request.user, message_id=message_id)
    return _render_page(request, message)


@require_GET
@xframe_options_sameorigin
def message_html(request, message_id):
    """The sanitised HTML of a message, as a document for the page's sandboxed frame."""
    message = selectors.message_get_for_user(user=request.user, message_id=message_id)
    response = HttpResponse(HTML_DOCUMENT.format(body=message.html_body), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = HTML_POLICY
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def attachment_download(request, attachment_id):
    attachment = selectors.attachment_get_for_user(user=request.user, attachment_id=attachment_id)
    content_type = attachment.content_type.split(";")[0].strip().lower()
    if content_type not in SAFE_TYPES:
        content_type = "application/octet-stream"
    filename = attachment.filename or _("attachment") + (mimetypes.guess_extension(content_type) or "")
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=filename)
    response["Content-Type"] = content_type
    response["Content-Security-Policy"] = DOWNLOAD_POLICY
    return response


def _message_restart(request, message_id):
    """After a POST: the page again (a redirect, or for htmx its body re-rendered)."""
    if request.htmx:
        message = selectors.message_get_for_user(user=request.user, message_id=message_id)
        return _render_page(request, message)
    return redirect("mail:message", message_id)


@require_POST
def thread_pick_deal(request, thread_id):
    """The owner picks one of the offered deals for a conversation; its messages follow it."""
    thread = selectors.thread_get_for_owner(user=request.user, thread_id=thread_id)
    back = selectors.thread_messages(user=request.user, thread=thread).order_by("-sent_at", "-pk").first()
    try:
        deal_id = int(request.POST.get("deal", ""))
        linking.thread_pick_deal(thread_id=thread.pk, deal_id=deal_id, actor=request.user)
    except (ValueError, ValidationError, PermissionDenied) as refused:
        text = (
            " ".join(refused.messages) if isinstance(refused, ValidationError) else _("Pick one of the deals offered.")
        )
        if back is None:
            return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
        message = selectors.message_get_for_user(user=request.user, message_id=back.pk)
        return _render_page(request, message, error=text, status=400)
    messages.success(request, _("The conversation is now on the deal."))
    if back is None:
        return redirect("deals:detail", deal_id)
    return _message_restart(request, back.pk)


def _create_from_address(request, message_id, create):
    message = selectors.message_get_for_user(user=request.user, message_id=message_id)
    try:
        record = create(message=message, address=request.POST.get("address", ""), actor=request.user)
    except (ValidationError, PermissionDenied) as refused:
        text = " ".join(refused.messages) if isinstance(refused, ValidationError) else str(refused)
        messages.error(request, text)
        return _render_page(request, message, status=400)
    messages.success(request, _("%(name)s created; the e-mail is linked.") % {"name": record})
    return _message_restart(request, message.pk)


@require_POST
def create_contact(request, message_id):
    """A contact from an address of the message that belongs to nobody yet, in one click."""
    return _create_from_address(request, message_id, unknown_senders.contact_from_address)


@require_POST
def create_lead(request, message_id):
    """A lead (owned by the user) from an address of the message that belongs to nobody yet."""
    return _create_from_address(request, message_id, unknown_senders.lead_from_address)


@require_GET
def deal_last_contacted(request, deal_id):
    """The deal page's "last contacted": the newer of the last done activity and the newest
    e-mail on the deal the user may read (a frame of the deal page)."""
    deal = deal_selectors.deal_get_for_user(user=request.user, deal_id=deal_id)
    emailed = selectors.last_contacted_for_deal(user=request.user, deal=deal)
    last = max(filter(None, [deal.last_activity_at, emailed]), default=None)
    context = {"deal": deal, "last_contacted": last, "by_mail": bool(emailed and emailed == last)}
    return render(request, "mail/_deal_last_contacted.html", context)
