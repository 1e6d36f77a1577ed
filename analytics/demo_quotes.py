"""The demo's quotes: a company profile and a handful of quotes in every state, made through the
quotes app's services like a rep would (so numbers, PDFs and events are real)."""

import random
from datetime import timedelta

from django.utils import timezone

from audit.context import Source, recorded_as
from deals.models import Deal
from quotes import public, services
from quotes.models import CompanyProfile, DiscountPolicy, Quote

COMPANY = {
    "company_name": "Pipeline Demo",
    "legal_form": "GmbH",
    "street": "Friedrichstraße 123",
    "postal_code": "10117",
    "city": "Berlin",
    "country": "Deutschland",
    "phone": "+49 30 1234567",
    "email": "vertrieb@pipeline-demo.example",
    "website": "https://pipeline-demo.example",
    "registered_office": "Berlin",
    "register_court": "Amtsgericht Charlottenburg",
    "register_number": "HRB 123456 B",
    "managing_directors": "Dr. Anna Beispiel, Jonas Muster",
    "vat_id": "DE123456789",
    "bank_name": "Demo Bank Berlin",
    "iban": "DE02120300000000202051",
    "bic": "BYLADEM1001",
    "default_intro": "vielen Dank für Ihr Interesse. Gern unterbreiten wir Ihnen folgendes Angebot:",
    "default_terms": "Es gelten unsere Allgemeinen Geschäftsbedingungen.",
}


def seed_quotes(*, seed=42, count=12, stdout=None):
    """Quotes on open deals with line items, a contact and an e-mail address: drafts, one waiting
    for approval, sent ones (some opened), one declined, one expired, one accepted."""
    rng = random.Random(seed)
    CompanyProfile.objects.update_or_create(pk=1, defaults=COMPANY)
    DiscountPolicy.objects.get_or_create(team=None, defaults={"max_line_discount": 10, "max_total_discount": 10})
    deals = list(
        Deal.objects.filter(status=Deal.Status.OPEN, line_items__isnull=False, contact__email__gt="")
        .select_related("owner")
        .order_by("-stage__order", "pk")
        .distinct()[:count]
    )
    plan = ["accepted", "declined", "expired", "viewed", "viewed", "sent", "sent", "pending", "draft", "draft"]
    made = 0
    for deal, outcome in zip(deals, plan + ["sent"] * max(0, len(deals) - len(plan)), strict=False):
        owner = deal.owner
        with recorded_as(Source.COMMAND, actor=owner):
            quote = services.quote_create(deal_id=deal.pk, actor=owner)
            made += 1
            if outcome == "draft":
                continue
            line = quote.lines.first()
            if outcome == "pending":
                services.quote_line_update(quote_id=quote.pk, line_id=line.pk, actor=owner, discount_percent=20)
                services.quote_request_approval(quote_id=quote.pk, actor=owner, note="Strategischer Kunde")
                continue
            if rng.random() < 0.5:
                services.quote_line_update(quote_id=quote.pk, line_id=line.pk, actor=owner, discount_percent=5)
            sent_at = timezone.now() - timedelta(days=rng.randint(3, 12))
            if outcome == "expired":
                services.quote_update(quote_id=quote.pk, actor=owner, valid_until=timezone.localdate(sent_at))
            quote, token = services.quote_send(quote_id=quote.pk, actor=owner, now=sent_at)
            browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0"
            if outcome in ("viewed", "accepted", "declined"):
                public.quote_record_view(quote, ip="198.51.100.7", user_agent=browser, now=sent_at + timedelta(days=1))
            if outcome == "accepted":
                public.quote_accept(token, name="Petra Kundin", confirmed=True, ip="198.51.100.7", user_agent=browser)
            elif outcome == "declined":
                public.quote_decline(token, name="Stefan Einkauf", reason="Budget für dieses Jahr ausgeschöpft.")
            elif outcome == "expired":
                services.quotes_expire_due()
    if stdout is not None:
        states = Quote.objects.values_list("state", flat=True)
        stdout.write(f"  {made} quotes ({', '.join(sorted(set(states)))})")
    return made
