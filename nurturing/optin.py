"""Double opt-in (docs/nurturing.md, "Double opt-in").

A contact or lead whose e-mail consent becomes "pending" (the web form's newsletter box, a rep's
"Ask for confirmation", "subscribe again" on the preferences page) gets a confirmation e-mail with
a link to `nurturing:confirm`. Only the click there, and the button on that page, grant the
consent; the proof is the e-mail sent and the confirmation's time, IP address and user agent.

The e-mail is transactional: it goes through the activities outbox (never the marketing send
gate), in the person's language (contact.language, else German).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from activities import tasks as activity_tasks
from activities.models import OutgoingEmail
from customers import services as customer_services
from customers.models import Consent, ConsentChange, Contact
from leads import services as lead_services
from leads.models import Lead, LeadConsentChange
from nurturing import consent
from nurturing.models import ConsentConfirmation, Suppression

logger = logging.getLogger(__name__)

# A confirmation link works this long; later the page says "expired, ask again".
TOKEN_DAYS = 30
# At most one confirmation e-mail per address in this time (a form sent twice, "subscribe
# again" pressed repeatedly): the pending change it answers counts as asked.
RESEND_AFTER = timedelta(minutes=10)
DEFAULT_LANGUAGE = "de"


class OptInError(Exception):
    """Refused with a message for the person."""


class TooSoon(OptInError):
    """A confirmation e-mail went to the address less than RESEND_AFTER ago."""


def is_expired(confirmation, *, now=None):
    return (now or timezone.now()) - confirmation.requested_at > timedelta(days=TOKEN_DAYS)


def _language(contact):
    language = (contact.language if contact is not None else "") or DEFAULT_LANGUAGE
    return "de" if language.startswith("de") else "en-gb"


def _sender(record):
    """Whose outbox row the e-mail is (the outbox needs a user): the record's owner, else the
    first active admin. The e-mail itself comes from the installation's address."""
    if record.owner_id and record.owner.is_active:
        return record.owner
    return User.objects.filter(is_active=True, role=User.Role.ADMIN).order_by("pk").first()


def _absolute_url(path):
    return settings.CRM_BASE_URL.rstrip("/") + path


def confirmation_email(confirmation, *, name):
    """(subject, body) of the confirmation e-mail, in the person's language."""
    with translation.override(_language(confirmation.contact)):
        subject = _("Please confirm that you want our e-mails")
        body = render_to_string(
            "nurturing/email/confirmation.txt",
            {
                "name": name,
                "address": confirmation.address,
                "confirm_url": _absolute_url(reverse("nurturing:confirm", args=[confirmation.token])),
                "days": TOKEN_DAYS,
            },
        )
    return subject, body


def _pending_actor_is_user(contact, lead):
    changes = ConsentChange.objects.filter(contact=contact) if contact else LeadConsentChange.objects.filter(lead=lead)
    latest = changes.only("actor_id").first()
    return latest is not None and latest.actor_id is not None


def confirmation_request(*, contact=None, lead=None, now=None):
    """Write the ConsentConfirmation for a pending contact or lead and queue its e-mail in the
    outbox (sent_at = when queued). Not sent, though the row is written so the record counts as
    asked: when the address bounced hard, complained or was blocked by hand; when it unsubscribed
    and a user (not the person) asked; when nobody could be the outbox row's user."""
    now = now or timezone.now()
    record = contact if contact is not None else lead
    address = consent.normalise(record.email)
    confirmation = ConsentConfirmation.objects.create(contact=contact, lead=lead, address=address, requested_at=now)
    suppression = Suppression.objects.filter(address=address).first()
    if suppression is not None and (
        suppression.reason != Suppression.Reason.UNSUBSCRIBED or _pending_actor_is_user(contact, lead)
    ):
        logger.info("Opt-in confirmation %s not sent: %s is suppressed", confirmation.pk, address)
        return confirmation
    sender = _sender(record)
    if sender is None:
        logger.warning("Opt-in confirmation %s not sent: no active user to send it", confirmation.pk)
        return confirmation
    name = f"{record.first_name} {record.last_name}".strip()
    subject, body = confirmation_email(confirmation, name=name)
    OutgoingEmail.objects.create(
        key=f"optin:{confirmation.pk}", user=sender, to=record.email.strip(), subject=subject, body=body, created_at=now
    )
    confirmation.sent_at = now
    confirmation.save(update_fields=["sent_at"])
    transaction.on_commit(activity_tasks.deliver_outgoing_email.delay)
    return confirmation


def _unasked(model, field):
    """Pending records with an address that no confirmation answers yet (none requested since
    RESEND_AFTER before the record became pending)."""
    asked = ConsentConfirmation.objects.filter(
        **{field: OuterRef("pk")}, requested_at__gte=OuterRef("email_consent_at") - RESEND_AFTER
    )
    return (
        model._default_manager.filter(email_consent=Consent.PENDING)
        .exclude(email="")
        .filter(~Exists(asked))
        .order_by("email_consent_at", "pk")
    )


def confirmations_send_pending(*, now=None, limit=200):
    """The every-minute service: a confirmation e-mail for each pending contact and lead not asked
    yet. Each record under its row lock, checked again there, so two runs never ask twice."""
    now = now or timezone.now()
    queued = 0
    for model, field in ((Contact, "contact"), (Lead, "lead")):
        for pk in list(_unasked(model, field).values_list("pk", flat=True)[:limit]):
            with transaction.atomic():
                record = _unasked(model, field).select_for_update(of=("self",)).filter(pk=pk).first()
                if record is not None:
                    confirmation_request(**{field: record}, now=now)
                    queued += 1
    return queued


def confirmation_for_token(token):
    return ConsentConfirmation.objects.select_related("contact", "lead").filter(token=token).first()


def confirm(*, confirmation, ip, user_agent, now=None):
    """The person pressed "Confirm": record the click, grant the consent of the contact or lead
    with the proof, and lift an unsubscribe of the address. Confirming twice changes nothing.
    Refused (OptInError) when the link expired or the record is gone."""
    now = now or timezone.now()
    with transaction.atomic():
        confirmation = ConsentConfirmation.objects.select_for_update().get(pk=confirmation.pk)
        if confirmation.confirmed_at is not None:
            return confirmation
        if is_expired(confirmation, now=now):
            raise OptInError(_("This confirmation link has expired."))
        record = confirmation.contact or confirmation.lead
        if record is None:
            raise OptInError(_("This confirmation link is no longer valid."))
        user_agent = (user_agent or "")[:300]
        confirmation.confirmed_at, confirmation.confirmed_ip = now, (ip or "")[:64]
        confirmation.confirmed_user_agent = user_agent
        confirmation.save(update_fields=["confirmed_at", "confirmed_ip", "confirmed_user_agent"])
        stamp = "Y-m-d H:i:s O"
        proof = _(
            "double opt-in: confirmation sent %(sent)s to %(address)s, confirmed %(confirmed)s from %(ip)s (%(agent)s)"
        ) % {
            "sent": formats.date_format(timezone.localtime(confirmation.sent_at or confirmation.requested_at), stamp),
            "address": confirmation.address,
            "confirmed": formats.date_format(timezone.localtime(now), stamp),
            "ip": confirmation.confirmed_ip or "?",
            "agent": user_agent or "?",
        }
        consent.unsuppress(address=confirmation.address)
        # The record's address may have changed since: the consent is for the confirmed one only.
        if consent.normalise(record.email) == confirmation.address:
            fields = {"actor": None, "status": Consent.GRANTED, "source": _("double opt-in"), "proof": proof, "at": now}
            if confirmation.contact_id:
                customer_services.contact_consent_set(contact=confirmation.contact, **fields)
            else:
                lead_services.lead_consent_set(lead=confirmation.lead, **fields)
    return confirmation


def resubscribe(*, address, contact=None, lead=None, now=None):
    """ "Subscribe again" on the preferences page: the record becomes pending and a confirmation
    e-mail goes out (the unsubscribe is lifted only when the person confirms). At most one per
    address every RESEND_AFTER: a quicker second request raises TooSoon."""
    now = now or timezone.now()
    address = consent.normalise(address)
    record = contact if contact is not None else lead
    if record is None or consent.normalise(record.email) != address:
        raise OptInError(_("This address is no longer in our records."))
    with transaction.atomic():
        model = type(record)
        record = model._default_manager.select_for_update(of=("self",)).get(pk=record.pk)
        if ConsentConfirmation.objects.filter(address=address, requested_at__gte=now - RESEND_AFTER).exists():
            raise TooSoon(_("We have just sent you a confirmation e-mail. Please check your inbox."))
        fields = {
            "actor": None,
            "status": Consent.PENDING,
            "source": _("preferences page"),
            "proof": _("Asked to subscribe again on the preferences page at %(at)s.")
            % {"at": formats.date_format(timezone.localtime(now), "Y-m-d H:i:s O")},
            "at": now,
        }
        if isinstance(record, Contact):
            customer_services.contact_consent_set(contact=record, **fields)
            return confirmation_request(contact=record, now=now)
        lead_services.lead_consent_set(lead=record, **fields)
        return confirmation_request(lead=record, now=now)


def on_consent_change(*, contact=None, lead=None, change):
    """The consent listener (registered in NurturingConfig.ready): a record that became pending
    gets its confirmation e-mail right away instead of at the next beat run."""
    if change.status != Consent.PENDING:
        return
    model, field, pk = (Contact, "contact", contact.pk) if contact is not None else (Lead, "lead", lead.pk)
    with transaction.atomic():
        record = _unasked(model, field).select_for_update(of=("self",)).filter(pk=pk).first()
        if record is not None:
            confirmation_request(**{field: record})
