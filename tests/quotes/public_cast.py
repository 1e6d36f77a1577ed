"""Sent quotes for the tests of the customer's page (import the fixtures, the *_fixture
functions and fresh_link_counters, into a test module to use them), made directly in the SENT state (number,
link hash, stored PDF and its SHA-256) as sending would leave them, without rendering a PDF or
queueing an e-mail."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.services import rate_limit_key
from quotes import services
from quotes.models import CompanyProfile, Quote, QuoteLine
from tests import factories

TOKEN = "Cust0mer-Link-Secret_0123456789abcdefghijkl"
PDF = b"%PDF-1.4\n% the offer as sent\n%%EOF\n"
CLIENT_IPS = ("127.0.0.1", "192.0.2.7", "192.0.2.8", "10.0.0.1")


def reset_link_counters():
    """Only our counters: in CI the cache is a Redis shared with the rest of the suite."""
    cache.delete_many([rate_limit_key("quote-link-miss", ip) for ip in CLIENT_IPS])


def company():
    profile = CompanyProfile.current()
    profile.company_name, profile.legal_form = "Nordlicht Software", "GmbH"
    profile.street, profile.postal_code, profile.city = "Hafenstraße 1", "20457", "Hamburg"
    profile.register_court, profile.register_number = "Amtsgericht Hamburg", "HRB 123456"
    profile.managing_directors, profile.vat_id = "Erika Muster", "DE123456789"
    profile.iban = "DE02120300000000202051"
    profile.save()
    return profile


def sent_quote(
    deal,
    *,
    token=TOKEN,
    language="de",
    valid_until=None,
    sent_at=None,
    number="AN-2026-0001",
    seq=1,
    revision=1,
    revises=None,
    title="Angebot Rollout",
):
    """A quote of `deal` as sending leaves it: 3 × 10,13 € at 19 % and 1 × 100 € at 7 % (net
    30,39 + 100,00 = 130,39; VAT 5,77 + 7,00; gross 143,16), an optional line, a stored PDF."""
    sent_at = sent_at or timezone.now() - timedelta(hours=2)
    quote = Quote.objects.create(
        deal=deal,
        state=Quote.State.SENT,
        revision=revision,
        revises=revises,
        number=number,
        number_year=2026,
        number_seq=seq,
        title=title,
        language=language,
        issue_date=timezone.localdate(sent_at),
        valid_until=valid_until or timezone.localdate() + timedelta(days=30),
        intro="Sehr geehrte Damen und Herren,\nwie besprochen.",
        terms="Es gelten unsere AGB.",
        payment_terms="Zahlbar innerhalb von 14 Tagen.",
        seller=services.seller_snapshot(company()),
        buyer=services.buyer_snapshot(deal),
        recipient_email="kunde@example.com",
        sent_at=sent_at,
        sent_by=deal.owner,
        created_by=deal.owner,
        token_hash=services.hash_token(token),
    )
    QuoteLine.objects.create(
        quote=quote, position=1, description="Licence", quantity=3, unit="licence", unit_price=Decimal("10.13")
    )
    QuoteLine.objects.create(
        quote=quote, position=2, description="Training", quantity=1, unit_price=Decimal("100"), vat_rate=7
    )
    QuoteLine.objects.create(
        quote=quote, position=3, description="Premium support", unit_price=Decimal("500"), is_optional=True
    )
    quote.deal = deal
    services._recompute(quote)
    quote.pdf.save(f"{quote.display_number}.pdf", ContentFile(PDF), save=False)
    quote.pdf_sha256 = hashlib.sha256(PDF).hexdigest()
    quote.save()
    return quote


@pytest.fixture(name="customer_deal")
def customer_deal_fixture(rep, stages):
    organization = factories.OrganizationFactory(name="Kunde AG")
    contact = factories.ContactFactory(organization=organization, first_name="Klara", last_name="Kunde")
    return factories.DealFactory(
        owner=rep,
        stage=stages[4],
        title="Internal: squeeze them before Q4",
        organization=organization,
        contact=contact,
        value=Decimal("999"),
    )


@pytest.fixture(name="media")
def media_fixture(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(name="quote")
def quote_fixture(customer_deal, media):
    return sent_quote(customer_deal)


@pytest.fixture(autouse=True)
def fresh_link_counters():
    reset_link_counters()
    yield
    reset_link_counters()


def end_of_day(day: date):
    """23:59:59 and 00:00:00 of the next day, in the installation's time zone (Europe/Berlin)."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Berlin")
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz), datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=tz
    )
