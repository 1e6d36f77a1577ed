"""Thin views of the mail app: compose and reply, address completion, the outbox, templates.

Out of scope → 404 (selectors). Bad input re-renders the form with its messages (400) and
keeps what was typed.
"""

from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import scoping
from mail import attachments, selectors, sending, services, templating
from mail.forms import ComposeForm, TemplateForm

TARGETS = ("deal", "lead", "contact", "organization")


# --- compose and reply ----------------------------------------------------------------------


def _with_signature(body, signature):
    return f"{body}\n\n-- \n{signature}" if signature else body


def _language(target):
    contact, lead = target["contact"], target["lead"]
    return (contact.language if contact is not None else "") or (getattr(lead, "language", "") if lead else "")


def _render_template(request, template, target):
    signature = selectors.signature_of(request.user)
    values = templating.context_for(
        sender=request.user,
        contact=target["contact"],
        organization=target["organization"],
        deal=target["deal"],
        lead=target["lead"],
        signature=signature,
    )
    subject = templating.render(template.subject, values)
    body = templating.render(template.body, values, html=template.is_html)
    if "sender.signature" not in template.body and not template.is_html:
        body = _with_signature(body, signature)
    return " ".join(subject.split()), body


def _target_query(target):
    for name in TARGETS:
        if target[name] is not None:
            return f"{name}={target[name].pk}"
    return ""


def _compose_context(request, *, form, target, original=None, is_html=False):
    return {
        "form": form,
        "target": target,
        "target_query": _target_query(target),
        "original": original,
        "is_html": is_html,
        "templates": selectors.template_choices(user=request.user, language=_language(target)),
        "action": request.get_full_path(),
        "max_mb": settings.CRM_MAIL_MAX_ATTACHMENT_BYTES // (1024 * 1024),
    }


def _render_compose(request, context, status=200):
    template = "mail/compose.html#form" if request.htmx else "mail/compose.html"
    return render(request, template, context, status=status)


def _compose(request, *, target, initial, original=None):
    file_choices = attachments.options(user=request.user, deal=target["deal"])
    if request.method != "POST":
        form = ComposeForm(initial=initial, file_choices=file_choices)
        return _render_compose(request, _compose_context(request, form=form, target=target, original=original))
    form = ComposeForm(request.POST, request.FILES, file_choices=file_choices)
    is_html = request.POST.get("is_html") == "1"
    context = _compose_context(request, form=form, target=target, original=original, is_html=is_html)
    if not form.is_valid():
        return _render_compose(request, context, status=400)
    data = form.cleaned_data
    files = [
        *data["attachments"],
        *attachments.files(user=request.user, deal=target["deal"], choices=data.get("files", [])),
    ]
    try:
        message = sending.send_email(
            sender=request.user,
            to=data["to"],
            cc=data["cc"],
            bcc=data["bcc"],
            subject=data["subject"],
            text=strip_tags(data["body"]) if is_html else data["body"],
            html=data["body"] if is_html else None,
            attachments=files,
            deal=target["deal"],
            lead=target["lead"],
            in_reply_to=original,
        )
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        if data["attachments"]:
            form.add_error("attachments", _("Choose the files again: a browser does not keep them."))
        return _render_compose(request, context, status=400)
    if request.htmx:
        return render(request, "mail/compose.html#sent", {"message": message})
    flash.success(request, _("The e-mail is on its way."))
    return redirect("mail:outbox_message", message.pk)


@require_http_methods(["GET", "POST"])
def compose(request):
    target = selectors.compose_target(user=request.user, params=request.GET)
    signature = selectors.signature_of(request.user)
    initial = {"to": selectors.default_recipients(target), "body": _with_signature("", signature).lstrip("\n")}
    return _compose(request, target=target, initial=initial)


def _quoted(original):
    # In the writer's time zone and language, as the page shows it (not the stored UTC).
    when = formats.date_format(timezone.localtime(original.sent_at), "SHORT_DATETIME_FORMAT")
    sender = original.from_name or original.from_address
    lines = "\n".join(f"> {line}" for line in (original.text_body or strip_tags(original.html_body)).splitlines())
    return _("On %(when)s, %(sender)s wrote:") % {"when": when, "sender": sender} + "\n" + lines


@require_http_methods(["GET", "POST"])
def reply(request, message_id):
    original = selectors.message_get_for_user(user=request.user, message_id=message_id)
    target = {"deal": original.deal, "lead": original.lead, "contact": None, "organization": None}
    own = {
        address.lower() for address in (request.user.email, original.mailbox.email_address if original.mailbox else "")
    }
    if original.direction == original.Direction.OUTBOUND:
        to = list(original.to)
    else:
        to = [{"name": original.from_name, "address": original.reply_to or original.from_address}]
    cc = []
    if request.GET.get("all"):
        cc = [
            entry
            for entry in (*original.to, *original.cc)
            if entry["address"].lower() not in own | {e["address"].lower() for e in to}
        ]
    signature = selectors.signature_of(request.user)
    initial = {
        "to": ", ".join(sending._formatted(entry) for entry in to),
        "cc": ", ".join(sending._formatted(entry) for entry in cc),
        "subject": sending.reply_subject(original.subject),
        "body": _with_signature("", signature).lstrip("\n") + "\n\n" + _quoted(original),
    }
    return _compose(request, target=target, initial=initial, original=original)


@require_GET
def compose_template(request):
    """The subject and message filled from a template, for the record the e-mail is about."""
    target = selectors.compose_target(user=request.user, params=request.GET)
    template = selectors.template_get_for_user(user=request.user, template_id=request.GET.get("template"))
    subject, body = _render_template(request, template, target)
    form = ComposeForm(initial={"subject": subject, "body": body})
    return render(request, "mail/compose.html#text", {"form": form, "is_html": template.is_html})


@require_GET
def addresses(request):
    """<option>s for the address fields' datalist: the contacts whose name or address starts
    with the last address being typed (the earlier ones are kept in the value)."""
    typed = next((request.GET[name] for name in ("to", "cc", "bcc", "q") if name in request.GET), "")
    done, _sep, current = typed.rpartition(",")
    prefix = f"{done.strip()}, " if done.strip() else ""
    matches = selectors.address_matches(user=request.user, text=current.strip())
    return render(request, "mail/compose.html#matches", {"matches": matches, "prefix": prefix})


# --- the outbox -----------------------------------------------------------------------------


@require_GET
def outbox(request):
    messages = list(selectors.outbox_for_user(user=request.user)[:200])
    sending.outbox_delivery(messages)
    return render(request, "mail/outbox.html", {"messages": messages, "show_owner": scoping.is_admin(request.user)})


@require_GET
def outbox_message(request, message_id):
    message = selectors.outbox_message_for_user(user=request.user, message_id=message_id)
    sending.outbox_delivery([message])
    raw = ""
    if message.raw:
        with message.raw.open("rb") as stored:
            raw = stored.read(512 * 1024).decode("utf-8", "replace")
    mail_folder = ""
    if settings.EMBEDDED:
        mail_folder = settings.MAILERS.get("default", {}).get("OPTIONS", {}).get("file_path", "")
    return render(
        request,
        "mail/outbox_message.html",
        {"message": message, "raw": raw, "mail_folder": mail_folder, "attachments": message.attachments.all()},
    )


# --- templates ------------------------------------------------------------------------------


def _template_data(form):
    return {field: form.cleaned_data.get(field) for field in services.TEMPLATE_FIELDS}


@require_http_methods(["GET", "POST"])
def template_list(request):
    form = TemplateForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            template = services.template_create(actor=request.user, data=_template_data(form))
            flash.success(request, _("Template “%(name)s” saved.") % {"name": template.name})
            return redirect("mail:templates")
        status = 400
    templates = list(selectors.template_list_for_user(user=request.user).order_by("name", "language", "pk"))
    for template in templates:
        template.can_change = selectors.template_can_change(user=request.user, template=template)
    context = {"templates": templates, "form": form, "placeholders": templating.PLACEHOLDERS}
    return render(request, "mail/templates.html", context, status=status)


@require_http_methods(["GET", "POST"])
def template_edit(request, template_id):
    template = selectors.template_get_for_change(user=request.user, template_id=template_id)
    form = TemplateForm(request.POST or None, instance=template, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.template_update(actor=request.user, template_id=template.pk, data=_template_data(form))
            flash.success(request, _("Template “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
            return redirect("mail:templates")
        status = 400
    context = {"template": template, "form": form, "placeholders": templating.PLACEHOLDERS}
    return render(request, "mail/template_edit.html", context, status=status)


@require_POST
def template_delete(request, template_id):
    services.template_delete(actor=request.user, template_id=template_id)
    flash.success(request, _("Template deleted."))
    return redirect("mail:templates")


@require_GET
def template_preview(request, template_id):
    """The template rendered for a deal, contact or lead the user sees (none: placeholders empty)."""
    template = selectors.template_get_for_user(user=request.user, template_id=template_id)
    target = selectors.compose_target(user=request.user, params=request.GET)
    subject, body = _render_template(request, template, target)
    context = {
        "template": template,
        "subject": subject,
        "body": body,
        "body_html": templating.sanitise_html(body) if template.is_html else "",
        "records": selectors.preview_records(user=request.user),
        "target_query": _target_query(target),
        "preview_url": reverse("mail:template_preview", args=[template.pk]),
    }
    return render(request, "mail/template_preview.html", context)
