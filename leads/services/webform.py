"""Leads from the public web form and touches of known people: pick the owner, match an
existing lead by e-mail or phone, record the touch, rate-limit by client address."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from customers.models import Consent
from leads import selectors
from leads.models import (
    Lead,
    LeadTouch,
    WebFormSettings,
)
from leads.services import lifecycle


def _webform_marketing_consent(lead, *, at, wording):
    """A ticked newsletter box asks for a double opt-in: "pending" until the person confirms
    (never granted straight away). A lead that has consent keeps it; one that withdrew it asks
    again (only the confirmation lifts the unsubscribe, nurturing.optin)."""
    if lead.email_consent in (Consent.GRANTED, Consent.EXISTING):
        return
    lifecycle.lead_consent_set(
        actor=None,
        lead=lead,
        status=Consent.PENDING,
        source=_("web form"),
        proof=_("Box ticked on the web form at %(at)s: “%(wording)s”") % {"at": at.isoformat(), "wording": wording},
        at=at,
    )


def webform_pick_owner():
    """The owner of the next web lead: round-robin across the configured team's active
    members (the settings row is locked so two submissions never pick the same slot),
    else the default owner, else nobody. Call inside a transaction."""
    config = WebFormSettings.objects.select_for_update().filter(pk=1).first()
    if config is None:
        return None
    if config.round_robin_team_id:
        members = list(
            User.objects.filter(team_id=config.round_robin_team_id, is_active=True).order_by("pk").only("pk")
        )
        if members:
            after = [m for m in members if config.last_assigned_id and m.pk > config.last_assigned_id]
            chosen = (after or members)[0]
            config.last_assigned_id = chosen.pk
            config.save(update_fields=["last_assigned"])
            return User.objects.get(pk=chosen.pk)
    if config.default_owner_id and config.default_owner.is_active:
        return config.default_owner
    return None


@transaction.atomic
def lead_submit_webform(
    *,
    first_name,
    last_name,
    email,
    company_name="",
    phone="",
    message="",
    campaign="",
    marketing_consent=False,
    consent_wording="",
):
    """A submission of the public form: a new lead (source "web form", consent recorded,
    owner assigned), or — when the person is already a lead — a touch on that lead.

    The person is already a lead when a lead that is not converted has the same e-mail
    (trimmed, case-folded), or, failing that, when a lead without an e-mail has the same
    phone number: a different e-mail behind a shared number (a switchboard) is another
    person. The submitter sees the same thank-you page either way. Submissions are
    serialised on the web-form settings row, so two of the same person cannot both create
    a lead. A ticked newsletter box (`marketing_consent`, with the box's `consent_wording`)
    makes the e-mail consent "pending" until the person confirms the double opt-in e-mail.
    """
    _webform_lock()
    now = timezone.now()
    existing = _webform_match(email=email, phone=phone)
    if existing is not None:
        lead_touch_record(
            lead_id=existing.pk,
            source=Lead.Source.WEB_FORM,
            campaign=campaign,
            first_name=first_name,
            last_name=last_name,
            company_name=company_name,
            email=email,
            phone=phone,
            message=message,
            consent=True,
            at=now,
            marketing_consent=marketing_consent,
            consent_wording=consent_wording,
        )
        return existing
    lead = lifecycle.lead_create(
        actor=None,
        owner=webform_pick_owner(),
        first_name=first_name,
        last_name=last_name,
        email=email,
        company_name=company_name,
        phone=phone,
        message=message,
        source=Lead.Source.WEB_FORM,
        campaign=campaign[:200],
        consent=True,
        consent_at=now,
    )
    if marketing_consent:
        _webform_marketing_consent(lead, at=now, wording=consent_wording)
    return lead


def _webform_lock():
    """Lock the web-form settings row for the rest of the transaction. The migration creates
    the row; get_solo() recreates it should it be missing, so that the lock always has a row."""
    WebFormSettings.get_solo()
    list(WebFormSettings.objects.select_for_update().filter(pk=1).values_list("pk"))


def _webform_match(*, email, phone):
    for lead in selectors.lead_matches(email=email, phone=phone):
        if lead.same_email or not lead.email_key:
            return lead
    return None


# Fields a touch fills on its lead when the lead has none; nothing is overwritten.
TOUCH_FILLS = ("first_name", "company_name", "phone")


@transaction.atomic
def lead_touch_record(
    *, lead_id, source, at=None, consent=False, marketing_consent=False, consent_wording="", **submitted
):
    """Record a later contact of a person who is already a lead: the LeadTouch row with what
    they sent, the lead's last touch, its blank first name / company / phone filled from the
    submission, and their consent if the lead had none; a ticked newsletter box asks for the
    double opt-in as on a first submission. The lead's status does not change."""
    lead = Lead.objects.select_for_update(of=("self",)).get(pk=lead_id)
    at = at or timezone.now()
    submitted["campaign"] = submitted.get("campaign", "")[:200]
    touch = LeadTouch.objects.create(lead=lead, source=source, consent=consent, at=at, **submitted)
    changed = ["last_touch_at", "updated_at"]
    lead.last_touch_at = at
    for name in TOUCH_FILLS:
        if submitted.get(name) and not getattr(lead, name):
            setattr(lead, name, submitted[name])
            changed.append(name)
    if consent and not lead.consent:
        lead.consent, lead.consent_at = True, at
        changed += ["consent", "consent_at"]
    lead.save(update_fields=changed)
    if marketing_consent:
        _webform_marketing_consent(lead, at=at, wording=consent_wording)
    return touch


@transaction.atomic
def lead_contact_keys_refresh(*, batch_size=2000):
    """Recompute every lead's e-mail and phone keys (after LEADS_PHONE_REGION changed);
    returns how many leads changed."""
    changed, batch = 0, []
    for lead in (
        Lead.objects.only("id", "email", "phone", "email_key", "phone_key")
        .order_by("pk")
        .iterator(chunk_size=batch_size)
    ):
        before = (lead.email_key, lead.phone_key)
        lead.set_contact_keys()
        if (lead.email_key, lead.phone_key) != before:
            batch.append(lead)
        if len(batch) >= batch_size:
            changed += Lead.objects.bulk_update(batch, ["email_key", "phone_key"])
            batch = []
    if batch:
        changed += Lead.objects.bulk_update(batch, ["email_key", "phone_key"])
    return changed


def webform_rate_limited(*, client_ip):
    """Count one submission for this IP in the shared cache; True when over the limit.

    cache.add + cache.incr are atomic on Redis, so every web process sees one counter.
    """
    from django.core.cache import cache

    limit = settings.LEADS_WEBFORM_RATE_LIMIT
    key = f"leads:webform:{client_ip}"
    if cache.add(key, 1, timeout=settings.LEADS_WEBFORM_RATE_WINDOW):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.LEADS_WEBFORM_RATE_WINDOW)
        count = 1
    return count > limit
