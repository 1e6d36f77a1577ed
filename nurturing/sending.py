"""Marketing e-mail to one person (docs/nurturing.md, "Sending: rate limits, quiet hours and caps").

`send_marketing()` checks the consent, renders the template for the person (their persona and
industry included), adds the footer with the visible unsubscribe and preferences links and the
List-Unsubscribe headers (RFC 2369, one-click RFC 8058), lets tracking rewrite the links, and
stores the `Send` row and the mail message (purpose "marketing") in one transaction. Delivery
is the mail app's (claimed under a lease, at least once).

At delivery the send gate asks again: consent and suppression of the address, and the exit
conditions of the enrolment. A reason withholds the e-mail; the delivery listener then marks the
Send withheld and ends the enrolment. The listener also keeps `Send.status` and `sent_at` in
step with the message's delivery (sent, failed), and `sync_send_states()` (every engine run)
catches up on any the listener missed (a worker that died between the two writes).
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import linebreaks
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape, strip_tags, urlize
from django.utils.translation import gettext as _

from leads.models import Lead
from mail import sending as mail_sending
from mail import templating
from mail.models import EmailMessage
from mail.selectors import signature_of
from nurturing import consent, tracking
from nurturing.models import Enrolment, Send, Sequence

logger = logging.getLogger(__name__)
Delivery = EmailMessage.Delivery


class SendRefused(Exception):
    """The e-mail was not written: `reason` is a key of enrolment.EXIT_REASONS ("no_consent",
    "suppressed", "withdrawn", "no_address", "template_error"), `detail` says more."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = str(detail)[:300]


def sender_for(*, sequence, contact=None, lead=None):
    """Who a sequence's e-mail comes from: the record's owner (falling back to the sequence's
    owner for an unowned record), or the sequence's owner."""
    record = contact if contact is not None else lead
    if sequence.sender == Sequence.Sender.RECORD_OWNER and record is not None and record.owner_id:
        return record.owner
    return sequence.owner


def public_url(name, token):
    return settings.CRM_BASE_URL.rstrip("/") + reverse(name, args=[token])


def language_for(*, template, contact=None):
    language = (contact.language if contact is not None else "") or template.language or settings.LANGUAGE_CODE
    return "de" if language.startswith("de") else "en-gb"


def footer(*, send, language):
    """(text, html) of the footer with the unsubscribe and preferences links, in `language`."""
    unsubscribe = public_url("nurturing:unsubscribe", send.token)
    preferences = public_url("nurturing:preferences", send.token)
    with translation.override(language):
        why = _("You receive this e-mail because you agreed to hear from us.")
        leave, choose = _("Unsubscribe"), _("E-mail preferences")
    text = f"\n\n-- \n{why}\n{leave}: {unsubscribe}\n{choose}: {preferences}\n"
    html = (
        f'<p>--<br>{escape(why)}<br><a href="{escape(unsubscribe)}">{escape(leave)}</a> · '
        f'<a href="{escape(preferences)}">{escape(choose)}</a></p>'
    )
    return text, html


def _persona_of_contact(contact):
    lead = Lead.objects.filter(contact=contact, persona__isnull=False).select_related("persona").order_by("-pk").first()
    return lead.persona if lead is not None else None


def render(*, template, sender, contact=None, lead=None, language):
    """(subject, text, html) of the template for the person; SendRefused("template_error")
    when the template asks for what is not allowed or the subject comes out empty."""
    bad = templating.problems(template.subject) + templating.problems(template.body)
    if bad:
        raise SendRefused("template_error", _("Not allowed in the template: %(bad)s") % {"bad": ", ".join(bad)})
    signature = signature_of(sender)
    persona = _persona_of_contact(contact) if contact is not None and lead is None else None
    with translation.override(language):
        values = templating.context_for(sender=sender, contact=contact, lead=lead, signature=signature, persona=persona)
    subject = " ".join(templating.render(template.subject, values).split())
    if not subject:
        raise SendRefused("template_error", _("The subject is empty for this person."))
    if template.is_html:
        html = templating.sanitise_html(templating.render(template.body, values, html=True))
        text = strip_tags(html)
    else:
        text = templating.render(template.body, values)
        if signature and "sender.signature" not in template.body:
            text = f"{text}\n\n-- \n{signature}"
        # Links become <a> elements, so that the tracking can count them: a bare address in the
        # HTML part would be turned into a link by the mail client, past the tracking.
        html = linebreaks(urlize(text, autoescape=True), autoescape=False)
    return subject, text, html


def send_marketing(
    *, template, sender, contact=None, lead=None, enrolment=None, step=None, rule=None, segment=None, now=None
):
    """Write one marketing e-mail and queue it; the Send. Raises SendRefused (nothing stored)
    when consent refuses the address or the template cannot be written for the person.
    Runs inside the caller's transaction when there is one (the engine's step, whose time
    `now` the Send is stamped with: the limits count sends by it)."""
    record = contact if contact is not None else lead
    address = (record.email or "").strip().lower()
    refusal = consent.marketing_refusal(address=address, contact=contact, lead=lead)
    if refusal:
        raise SendRefused(refusal)
    language = language_for(template=template, contact=contact)
    subject, text, html = render(template=template, sender=sender, contact=contact, lead=lead, language=language)
    name = " ".join(part for part in (record.first_name, record.last_name) if part)
    try:
        with transaction.atomic():
            send = Send.objects.create(
                enrolment=enrolment,
                sequence=enrolment.sequence if enrolment is not None else None,
                step=step,
                rule=rule,
                template=template,
                segment=segment,
                contact=contact,
                lead=lead,
                sender=sender,
                address=address,
                domain=address.rsplit("@", 1)[-1],
                created_at=now or timezone.now(),
            )
            footer_text, footer_html = footer(send=send, language=language)
            html, text = tracking.prepare(send=send, html=html + footer_html, text=text + footer_text)
            unsubscribe = public_url("nurturing:unsubscribe", send.token)
            message = mail_sending.send_email(
                sender=sender,
                to=[{"name": name, "address": address}],
                subject=subject,
                text=text,
                html=html,
                lead=lead,
                idstring=f"nurture-{send.pk}",
                purpose=EmailMessage.Purpose.MARKETING,
                extra_headers=[
                    ("List-Unsubscribe", f"<{unsubscribe}>"),
                    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
                ],
            )
            send.message = message
            send.save(update_fields=["message"])
    except ValidationError as error:
        raise SendRefused("template_error", "; ".join(error.messages)) from error
    return send


# --- at delivery -------------------------------------------------------------------------------


def _send_of(message):
    return (
        Send.objects.filter(message_id=message.pk)
        .select_related("contact", "lead", "enrolment", "enrolment__contact", "enrolment__lead")
        .first()
    )


def delivery_gate(message):
    """The send gate (registered in NurturingConfig.ready): "" or the reason to withhold."""
    from nurturing.conditions import exit_reasons

    send = _send_of(message)
    if send is None:
        return ""
    enrolment = send.enrolment
    if enrolment is not None:
        if enrolment.status == Enrolment.Status.EXITED:
            return enrolment.exit_reason or "exited"
        reason = exit_reasons([enrolment]).get(enrolment.pk)  # the most specific reason first
        if reason:
            return reason[0]
    return consent.marketing_refusal(address=send.address, contact=send.contact, lead=send.lead)


def delivered(message, state, detail=""):
    """The delivery listener: the Send follows its message (sent, failed, withheld); a withheld
    e-mail ends its enrolment with the gate's reason."""
    from nurturing.enrolment import EXIT_REASONS, exit_enrolment

    status = {Delivery.SENT: Send.Status.SENT, Delivery.FAILED: Send.Status.FAILED}.get(state, Send.Status.WITHHELD)
    fields = {"status": status, "status_detail": (detail or "")[:300]}
    if status == Send.Status.SENT:
        fields["sent_at"] = timezone.now()
    Send.objects.filter(message_id=message.pk, status=Send.Status.QUEUED).update(**fields)
    if status == Send.Status.WITHHELD:
        send = _send_of(message)
        if send is not None and send.enrolment is not None:
            reason = detail if detail in EXIT_REASONS else "withheld"
            exit_enrolment(enrolment=send.enrolment, reason=reason, detail="" if reason == detail else detail)


def sync_send_states():
    """Catch up with deliveries whose listener did not run (its worker died right after the
    delivery): queued Sends whose message reached a final state. Returns how many changed."""
    queued = Send.objects.filter(status=Send.Status.QUEUED)
    changed = queued.filter(message__delivery=Delivery.SENT).update(status=Send.Status.SENT, sent_at=timezone.now())
    changed += queued.filter(message__delivery=Delivery.FAILED).update(status=Send.Status.FAILED)
    for message in EmailMessage.objects.filter(nurture_send__status=Send.Status.QUEUED, delivery=Delivery.WITHHELD):
        delivered(message, Delivery.WITHHELD, message.delivery_error)
        changed += 1
    return changed
