"""Likely duplicates of organizations and contacts: the normalised keys and the matches.

An organization matches on its name key (case, spaces, punctuation, umlauts and the legal form
ignored: "Müller GmbH" = "mueller gmbh." = "Mueller"), on a domain (the e-mail domain or the
website's host) and on the VAT ID. A contact matches on an e-mail address (case ignored) and on a
phone number (E.164), its main ones and its further ones (ContactChannel).

The keys are stored and indexed (`Organization.name_key`, `website_domain`; the VAT ID is stored
normalised; `Lower(Contact.email)`, `Contact.phone` and `Lower(ContactChannel.value)` have indexes),
so every match is an indexed lookup. The matches here are not scoped: directory.duplicates splits
them into what the user may open and what they may only be told exists.
"""

from django.db.models import BooleanField, Case, Q, Value, When
from django.db.models.functions import Lower

from customers.keys import domain, email_key, matching_domain, name_key, phone_key, vat_key
from customers.models import Contact, ContactChannel, Organization

__all__ = [
    "contact_matches",
    "domain",
    "email_key",
    "matching_domain",
    "name_key",
    "organization_matches",
    "phone_key",
    "vat_key",
]


def _flag(condition):
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def organization_matches(*, name="", website="", email_domain="", vat_id="", exclude=()):
    """The organizations (not in the trash) that share the name key, a domain or the VAT ID with
    what was typed, each annotated with `same_name`, `same_domain` and `same_vat`."""
    key = name_key(name)
    domains = {d for d in (matching_domain(website), matching_domain(email_domain)) if d}
    vat = vat_key(vat_id)
    by_name = Q(name_key=key) if key else None
    by_domain = (Q(email_domain__in=domains) | Q(website_domain__in=domains)) if domains else None
    by_vat = Q(vat_id=vat) if vat else None
    nothing = Q(pk__in=[])  # nothing typed that could match: an empty answer, no query
    where = nothing
    for condition in (by_name, by_domain, by_vat):
        if condition is not None:
            where |= condition
    return (
        Organization.objects.filter(where)
        .exclude(pk__in=list(exclude))
        .annotate(
            same_name=_flag(by_name or nothing),
            same_domain=_flag(by_domain or nothing),
            same_vat=_flag(by_vat or nothing),
        )
    )


def contact_matches(*, emails=(), phones=(), exclude=()):
    """The contacts (not in the trash) with one of the e-mail addresses (case ignored) or phone
    numbers, as their main one or a further one, annotated with `same_email` and `same_phone`.

    Two queries, each on indexes: the further addresses first (`Lower(value)`, `value`), then the
    contacts by `Lower(email)`, `phone` or those ids — a plain OR that PostgreSQL answers with a
    BitmapOr of three index scans (an EXISTS over the further addresses in the same OR made it
    read every contact)."""
    emails = sorted({email_key(e) for e in emails} - {""})
    numbers = sorted({phone_key(p) for p in phones} - {""})
    channel_email, channel_phone = set(), set()
    if emails or numbers:
        by_value = Q(kind=ContactChannel.Kind.EMAIL, value_lower__in=emails) if emails else Q(pk__in=[])
        if numbers:
            by_value |= Q(kind=ContactChannel.Kind.PHONE, value__in=numbers)
        channels = ContactChannel.objects.annotate(value_lower=Lower("value")).filter(by_value)
        for contact_id, kind in channels.values_list("contact_id", "kind"):
            (channel_email if kind == ContactChannel.Kind.EMAIL else channel_phone).add(contact_id)
    by_email = Q(pk__in=[])
    by_phone = Q(pk__in=[])
    if emails:
        by_email = Q(email_lower__in=emails)
    if channel_email:
        by_email |= Q(pk__in=sorted(channel_email))
    if numbers:
        by_phone = Q(phone__in=numbers)
    if channel_phone:
        by_phone |= Q(pk__in=sorted(channel_phone))
    return (
        Contact.objects.annotate(email_lower=Lower("email"))
        .filter(by_email | by_phone)
        .exclude(pk__in=list(exclude))
        .annotate(same_email=_flag(by_email), same_phone=_flag(by_phone))
    )
