"""What happens to a deal's quotes appears in the deal's timeline (and the organization's and
contact's, for the deals the viewer sees): created, approval asked for and decided with the
comment and the margin impact, sent, first viewed, accepted or declined with the name and the
reason, expired, superseded, cancelled, the link revoked or renewed."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from quotes import public
from quotes import services as quote_services
from quotes.models import Quote, QuoteEvent
from tests import factories
from tests.quotes.followup_quotes import sent_quote

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def deal(rep):
    organization = factories.OrganizationFactory(name="Acme GmbH")
    return factories.DealFactory(owner=rep, title="Acme rollout", organization=organization)


def texts(html):
    """The quote items' lines, newest first, whitespace folded."""
    items = re.findall(
        r'data-kind="quote">(.*?)</li>\s*(?=<li class="timeline-item|<li class="timeline-more|</ol>|$)', html, re.S
    )
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def deal_timeline(client, deal, **headers):
    response = client.get(reverse("timeline:deal", args=[deal.pk]), **HTMX, **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_a_discount_asked_for_and_approved_shows_the_comment_and_the_margin_impact(client, deal, rep, manager):
    quote = quote_services.quote_create(deal_id=deal.pk, actor=rep)
    quote_services.quote_line_add(
        quote_id=quote.pk, actor=rep, description="Licences", quantity=10, unit_price="1000", discount_percent="25"
    )
    quote_services.quote_request_approval(quote_id=quote.pk, actor=rep, note="Pilot customer")
    quote_services.quote_decide_approval(quote_id=quote.pk, actor=manager, approve=True, comment="OK for the pilot")
    client.force_login(rep)

    approved, requested, created = texts(deal_timeline(client, deal))

    impact = "Discount 25.00 % (2,500.00 EUR below the list prices of 10,000.00 EUR) Largest line discount 25.00 % Net total 7,500.00 EUR"
    assert approved.endswith(f"{manager} Quote Acme rollout discount approved {impact} OK for the pilot")
    assert requested.endswith(f"{rep} Quote Acme rollout approval requested {impact} Pilot customer")
    assert created.endswith(f"{rep} Quote Acme rollout created")


def test_margin_impact_reads_in_the_viewers_language(client, deal, rep, manager):
    quote = quote_services.quote_create(deal_id=deal.pk, actor=rep)
    quote_services.quote_line_add(
        quote_id=quote.pk, actor=rep, description="Licences", quantity=10, unit_price="1000", discount_percent="25"
    )
    quote_services.quote_request_approval(quote_id=quote.pk, actor=rep)
    quote_services.quote_decide_approval(quote_id=quote.pk, actor=manager, approve=False, comment="Too much")
    client.force_login(rep)

    html = deal_timeline(client, deal, HTTP_ACCEPT_LANGUAGE="de")

    rejected = texts(html)[0]
    assert "Angebot" in rejected and "Too much" in rejected
    assert "Rabatt 25,00 % (2.500,00 EUR unter den Listenpreisen von 10.000,00 EUR)" in rejected
    assert "Größter Positionsrabatt 25,00 % Nettosumme 7.500,00 EUR" in rejected


def test_the_customers_view_answer_and_the_links_fate_are_told(client, deal, rep):
    sent_at = timezone.now() - timedelta(days=3)
    quote = sent_quote(deal, sent_at=sent_at)
    QuoteEvent.objects.filter(quote=quote).update(data={"to": "carla@acme.example", "net": "1000.00"})
    public.quote_record_view(quote, user_agent="Mimecast", now=sent_at + timedelta(seconds=2))  # flagged: no event
    public.quote_record_view(quote, user_agent="Mozilla/5.0", now=sent_at + timedelta(hours=2))
    quote_services.quote_link_revoke(quote_id=quote.pk, actor=rep)
    _, token = quote_services.quote_link_renew(quote_id=quote.pk, actor=rep)
    public.quote_decline(token, name="Carla Contact", reason="Budget frozen until spring")
    client.force_login(rep)

    declined, renewed, revoked, viewed, sent = texts(deal_timeline(client, deal))

    number = quote.display_number
    assert declined.endswith(f"Customer Quote {number} declined by Carla Contact Budget frozen until spring")
    assert renewed.endswith(f"{rep} Quote {number} new link")
    assert revoked.endswith(f"{rep} Quote {number} link revoked")
    assert viewed.endswith(f"Customer Quote {number} opened by the customer for the first time")
    assert sent.endswith(f"{rep} Quote {number} sent to carla@acme.example Net total 1,000.00 EUR")


def test_acceptance_revision_superseding_expiry_and_cancellation_are_told(client, deal, rep):
    long_ago = timezone.now() - timedelta(days=60)
    expired = sent_quote(deal, sent_at=long_ago, valid_for_days=30)
    quote_services.quotes_expire_due()
    revision = quote_services.quote_revise(quote_id=expired.pk, actor=rep)
    cancelled = quote_services.quote_create(deal_id=deal.pk, actor=rep)
    quote_services.quote_cancel(quote_id=cancelled.pk, actor=rep, note="Wrong products")
    superseded = sent_quote(deal, sent_at=timezone.now() - timedelta(days=2))
    QuoteEvent.objects.create(
        quote=superseded, deal=deal, kind=QuoteEvent.Kind.SUPERSEDED, actor=rep, note="AN-2026-00999-R2"
    )
    accepted = sent_quote(deal, sent_at=timezone.now() - timedelta(days=1))
    token = "the-customers-link"
    Quote.objects.filter(pk=accepted.pk).update(token_hash=quote_services.hash_token(token))
    public.quote_accept(token, name="Carla Contact", confirmed=True)
    client.force_login(rep)

    lines = texts(deal_timeline(client, deal))

    assert f"Customer Quote {accepted.display_number} accepted by Carla Contact" in lines[0]
    assert any(line.endswith(f"Quote {superseded.display_number} superseded by AN-2026-00999-R2") for line in lines)
    assert any(line.endswith("Quote Acme rollout cancelled Wrong products") for line in lines)
    assert any(line.endswith(f"Quote {revision.title} revision 2 created") for line in lines)
    assert any(line.endswith(f"System Quote {expired.display_number} expired") for line in lines)


def test_quote_events_page_with_the_rest_of_the_timeline(client, deal, rep, settings):
    settings.TIMELINE_PAGE_SIZE = 3
    quote = sent_quote(deal, sent_at=timezone.now() - timedelta(days=1))
    for minutes in range(1, 6):
        QuoteEvent.objects.create(
            quote=quote,
            deal=deal,
            kind=QuoteEvent.Kind.LINK_RENEWED,
            actor=rep,
            at=timezone.now() - timedelta(minutes=minutes),
        )
    client.force_login(rep)
    url = reverse("timeline:deal", args=[deal.pk])

    seen, cursor = [], ""
    while True:
        response = client.get(url, {"before": cursor} if cursor else {}, **HTMX)
        page = response.context["page"]
        seen += [(item.kind, item.id) for item in page.items]
        cursor = page.next_cursor
        if not cursor:
            break

    quote_ids = sorted(pk for kind, pk in seen if kind == "quote")
    assert quote_ids == sorted(QuoteEvent.objects.filter(deal=deal).values_list("pk", flat=True))
    assert len(seen) == len(set(seen))


def test_the_organization_timeline_shows_the_quotes_of_the_deals_the_viewer_sees(client, rep, outsider, deal):
    visible = sent_quote(deal, sent_at=timezone.now() - timedelta(days=1))
    secret_deal = factories.DealFactory(owner=outsider, organization=deal.organization, title="Secret expansion")
    secret = sent_quote(secret_deal, sent_at=timezone.now() - timedelta(days=1))
    Quote.objects.filter(pk=secret.pk).update(net_total=Decimal("1"))
    client.force_login(rep)

    html = client.get(reverse("organizations:timeline", args=[deal.organization.pk]), **HTMX).content.decode()

    [line] = texts(html)
    assert f"Acme rollout Quote {visible.display_number} sent to c@example.com" in line
    assert secret.display_number not in html and "Secret expansion" not in html


def test_the_contact_timeline_shows_the_quotes_of_its_deals(client, rep, deal):
    contact = factories.ContactFactory(organization=deal.organization, first_name="Carla", last_name="Contact")
    deal.contact = contact
    deal.save(update_fields=["contact"])
    quote = sent_quote(deal, sent_at=timezone.now() - timedelta(days=1))
    client.force_login(rep)

    html = client.get(reverse("contacts:timeline", args=[contact.pk]), **HTMX).content.decode()

    assert quote.display_number in html
