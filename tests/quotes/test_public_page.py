"""The customer's page of a quote link, /q/<token>/: what it shows, in which language, to whom,
with which headers; and that opening it records a view and changes nothing else."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from activities.models import Notification
from audit.models import LogEntry
from deals.models import Deal, StageChange
from quotes import public, services
from quotes.models import Quote, QuoteEvent, QuoteResponse, QuoteView
from tests import factories
from tests.quotes.public_cast import (  # noqa: F401 (fixtures)
    PDF,
    TOKEN,
    customer_deal_fixture,
    fresh_link_counters,
    media_fixture,
    quote_fixture,
    sent_quote,
)

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def page(token=TOKEN):
    return reverse("quotes:public", kwargs={"token": token})


def open_link(client, token=TOKEN, remote_addr="127.0.0.1", **headers):
    return client.get(page(token), headers={"User-Agent": BROWSER, **headers}, REMOTE_ADDR=remote_addr)


# --- what the customer sees -----------------------------------------------------------------


def test_page_shows_seller_buyer_positions_totals_validity_and_the_forms(client, quote):
    response = open_link(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nordlicht Software GmbH" in html and "HRB 123456" in html and "DE123456789" in html
    assert "Kunde AG" in html and "Klara Kunde" in html
    assert "AN-2026-0001" in html and "Angebot Rollout" in html
    assert "Licence" in html and "Training" in html and "Premium support" in html
    # German formats: 3 × 10,13 at 19 % and 100,00 at 7 %; net 130,39, gross 143,16.
    assert "30,39" in html and "130,39 EUR" in html and "143,16 EUR" in html and "5,77" in html
    with translation.override("de"):
        assert formats.date_format(quote.valid_until, "DATE_FORMAT") in html  # e.g. 5. Januar 2027
    assert 'data-testid="accept-form"' in html and 'data-testid="decline-form"' in html
    assert reverse("quotes:public_pdf", kwargs={"token": TOKEN}) in html


def test_page_speaks_the_quote_s_language(client, customer_deal, media):
    sent_quote(customer_deal, language="en-gb")
    response = open_link(client, **{"Accept-Language": "de"})
    html = response.content.decode()
    assert '<html lang="en-gb">' in html
    assert "Accept the offer" in html and "130.39 EUR" in html
    assert response["Content-Language"] == "en-gb"


def test_german_quote_is_german_for_an_english_browser(client, quote):
    html = open_link(client, **{"Accept-Language": "en"}).content.decode()
    assert '<html lang="de">' in html
    assert "Angebot annehmen" in html


def test_page_shows_nothing_internal(client, quote, rep):
    rep.email = "alice.internal@nordlicht.example"
    rep.save()
    html = open_link(client).content.decode()
    assert "Internal: squeeze them" not in html  # the deal's title
    assert "alice.internal@" not in html
    assert "Alice Adams" in html  # the sender's name is the customer's contact
    assert "/board/" not in html and "mainnav" not in html and "<script" not in html


def test_signed_in_crm_user_gets_the_customer_layout_without_navigation(client, quote, rep):
    client.force_login(rep)
    html = open_link(client).content.decode()
    assert "mainnav" not in html and "Log out" not in html and "Abmelden" not in html


def test_names_and_texts_are_escaped(client, customer_deal, media):
    customer_deal.organization.name = '<script>alert("x")</script>'
    customer_deal.organization.save()
    quote = sent_quote(customer_deal, title="<b>Bold</b> offer")
    quote.lines.filter(position=1).update(description="<img src=x onerror=alert(1)>")
    html = open_link(client).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>Bold</b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;Bold&lt;/b&gt; offer" in html


def test_pdf_is_the_stored_file_as_an_attachment(client, quote):
    response = client.get(reverse("quotes:public_pdf", kwargs={"token": TOKEN}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Angebot-AN-2026-0001.pdf"'
    assert b"".join(response.streaming_content) == PDF
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_pdf_changed_since_sending_is_withheld(client, quote):
    with quote.pdf.open("wb") as stored:
        stored.write(b"%PDF-1.4 something else")
    response = client.get(reverse("quotes:public_pdf", kwargs={"token": TOKEN}))
    assert response.status_code == 409
    html = response.content.decode()
    assert "kann im Moment nicht heruntergeladen werden" in html and "SHA-256" not in html


def test_pdf_missing_from_storage_answers_gone(client, quote):
    quote.pdf.storage.delete(quote.pdf.name)
    assert client.get(reverse("quotes:public_pdf", kwargs={"token": TOKEN})).status_code == 410


# --- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [TOKEN, "not-a-link"])
def test_every_answer_keeps_the_link_private(client, quote, token):
    response = open_link(client, token)
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert response["X-Frame-Options"] == "DENY"


# --- refused links --------------------------------------------------------------------------


def test_unknown_link_answers_404_and_reveals_nothing(client, quote):
    response = open_link(client, "x" * 43)
    assert response.status_code == 404
    html = response.content.decode()
    assert "AN-2026-0001" not in html and "Nordlicht" not in html and "Kunde AG" not in html
    assert "mainnav" not in html
    assert not QuoteView.objects.exists()


def test_revoked_link_answers_exactly_like_an_unknown_one(client, quote, rep):
    unknown = open_link(client, "x" * 43)
    services.quote_link_revoke(quote_id=quote.pk, actor=rep)
    revoked = open_link(client)
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.content == unknown.content
    assert not QuoteView.objects.exists()


def test_renewed_link_replaces_the_old_one(client, quote, rep):
    _quote, new_token = services.quote_link_renew(quote_id=quote.pk, actor=rep)
    assert open_link(client).status_code == 404
    assert open_link(client, new_token).status_code == 200


def test_draft_has_no_link(client, customer_deal, rep, media):
    draft = services.quote_create(deal_id=customer_deal.pk, actor=rep)
    assert draft.state == Quote.State.DRAFT and draft.token_hash == ""
    # A draft revision of a sent quote has no link either; the sent one keeps its own.
    sent = sent_quote(customer_deal)
    revision = services.quote_revise(quote_id=sent.pk, actor=rep)
    assert revision.token_hash == ""
    # Even a draft that somehow carried a hash is never shown.
    Quote.objects.filter(pk=revision.pk).update(token_hash=services.hash_token("draft-secret-token-0123456789"))
    assert open_link(client, "draft-secret-token-0123456789").status_code == 404


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (Quote.State.EXPIRED, "abgelaufen"),
        (Quote.State.SUPERSEDED, "neuere Version"),
        (Quote.State.CANCELLED, "zurückgezogen"),
    ],
)
def test_closed_quote_says_why_and_offers_no_forms(client, quote, state, message):
    Quote.objects.filter(pk=quote.pk).update(state=state, closed_at=timezone.now())
    response = open_link(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "accept-form" not in html and "decline-form" not in html


def test_quote_past_its_validity_expires_when_opened(client, customer_deal, media):
    quote = sent_quote(customer_deal, valid_until=timezone.localdate() - timedelta(days=1))
    html = open_link(client).content.decode()
    assert "abgelaufen" in html and "accept-form" not in html
    quote.refresh_from_db()
    assert quote.state == Quote.State.EXPIRED


def test_superseded_revision_points_to_the_newer_one(client, customer_deal, media):
    old = sent_quote(customer_deal)
    Quote.objects.filter(pk=old.pk).update(state=Quote.State.SUPERSEDED, closed_at=timezone.now())
    sent_quote(customer_deal, token="newer-link-0123456789-0123456789-abcdefghi", revision=2, revises=old)
    assert "neuere Version" in open_link(client).content.decode()
    newer = open_link(client, "newer-link-0123456789-0123456789-abcdefghi").content.decode()
    assert "AN-2026-0001-R2" in newer and "accept-form" in newer


# --- a GET records a view and nothing else --------------------------------------------------


def _snapshot(deal):
    deal = Deal.objects.get(pk=deal.pk)
    return {
        # Not updated_at: the first view touches it so that other users' boards redraw the
        # card's quote icon (deal_touch); the version, and so nobody's open edit, stays.
        "deal": (deal.stage_id, deal.status, deal.value, deal.version, deal.title, deal.owner_id),
        "stage_changes": StageChange.objects.count(),
        "audit": LogEntry.objects.count(),
        "responses": QuoteResponse.objects.count(),
        "state": Quote.objects.values_list("state", "answered_at", "closed_at").get(),
    }


def test_get_changes_nothing_but_the_view_record(client, quote, customer_deal):
    before = _snapshot(customer_deal)
    open_link(client)
    open_link(client)
    assert _snapshot(customer_deal) == before
    quote.refresh_from_db()
    assert quote.view_count == 2 and quote.first_viewed_at and quote.last_viewed_at >= quote.first_viewed_at
    assert QuoteView.objects.filter(quote=quote, flagged="").count() == 2
    # The first opening is on the deal's timeline and tells the owner, once.
    assert QuoteEvent.objects.filter(quote=quote, kind=QuoteEvent.Kind.VIEWED).count() == 1
    assert Notification.objects.filter(user=customer_deal.owner, message__contains="AN-2026-0001").count() == 1


def test_pdf_download_records_nothing(client, quote, customer_deal):
    before = _snapshot(customer_deal)
    client.get(reverse("quotes:public_pdf", kwargs={"token": TOKEN}))
    assert _snapshot(customer_deal) == before
    assert not QuoteView.objects.exists()


def test_view_records_the_client_ip_by_the_project_s_rule(client, quote, settings):
    open_link(client, **{"X-Forwarded-For": "203.0.113.9"}, remote_addr="192.0.2.7")
    assert QuoteView.objects.get().ip == "192.0.2.7"  # a spoofed header proves nothing
    settings.CRM_TRUSTED_PROXY_HOPS = 1
    client.get(page(), headers={"User-Agent": BROWSER, "X-Forwarded-For": "203.0.113.9"})
    assert QuoteView.objects.order_by("id").last().ip == "203.0.113.9"


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Proofpoint URL Defense)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Mimecast)",
        "Microsoft Office SafeLinks preview",
        "python-requests/2.32",
        "",
    ],
)
def test_scanner_openings_are_flagged_and_not_counted(client, quote, user_agent):
    client.get(page(), headers={"User-Agent": user_agent})
    view = QuoteView.objects.get()
    assert view.flagged
    quote.refresh_from_db()
    assert quote.view_count == 0 and quote.first_viewed_at is None
    assert not QuoteEvent.objects.filter(kind=QuoteEvent.Kind.VIEWED).exists()


def test_opening_within_seconds_of_sending_is_flagged(client, customer_deal, media, settings):
    quote = sent_quote(customer_deal, sent_at=timezone.now() - timedelta(seconds=5))
    open_link(client)
    assert QuoteView.objects.get().flagged == "within seconds of sending"
    quote.refresh_from_db()
    assert quote.view_count == 0


def test_opening_after_the_scanner_window_counts(customer_deal, media):
    quote = sent_quote(customer_deal)
    sent = quote.sent_at
    assert public.quote_record_view(quote, user_agent=BROWSER, now=sent + timedelta(seconds=29)) is False
    assert public.quote_record_view(quote, user_agent=BROWSER, now=sent + timedelta(seconds=30)) is True


# --- throttling ----------------------------------------------------------------------------


def test_guessing_links_is_throttled_per_client_ip(client, quote, settings):
    settings.CRM_QUOTE_LINK_MAX_MISSES = 3
    answers = [open_link(client, f"guess-{n}").status_code for n in range(4)]
    assert answers == [404, 404, 404, 429]
    # While blocked, even the real link is refused from that address; others are not affected.
    blocked = open_link(client)
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert blocked["Referrer-Policy"] == "same-origin"
    assert open_link(client, remote_addr="192.0.2.8").status_code == 200


def test_throttle_is_not_escaped_by_a_spoofed_forwarded_for(client, quote, settings):
    settings.CRM_QUOTE_LINK_MAX_MISSES = 1
    for n in range(2):
        client.get(page(f"guess-{n}"), headers={"X-Forwarded-For": f"203.0.113.{n}"})
    assert open_link(client, **{"X-Forwarded-For": "203.0.113.99"}).status_code == 429


def test_real_links_do_not_count_towards_the_limit(client, quote, settings):
    settings.CRM_QUOTE_LINK_MAX_MISSES = 1
    for _n in range(5):
        assert open_link(client).status_code == 200


def test_other_methods_are_refused(client, quote):
    assert client.post(page()).status_code == 405
    assert client.get(reverse("quotes:public_accept", kwargs={"token": TOKEN})).status_code == 405
    assert client.get(reverse("quotes:public_decline", kwargs={"token": TOKEN})).status_code == 405
    assert client.head(page()).status_code == 405
    assert not QuoteView.objects.exists()


def test_owner_may_share_the_page_with_a_colleague_without_login(client, quote):
    # No session at all: the link is the key.
    assert "_auth_user_id" not in client.session
    assert open_link(client).status_code == 200


def test_a_second_deal_s_quote_is_not_reachable_with_the_first_link(client, quote, rep, media):
    other = factories.DealFactory(owner=rep, title="Other deal")
    sent_quote(other, token="other-link-0123456789-0123456789-abcdefghij", number="AN-2026-0002", seq=2)
    html = open_link(client).content.decode()
    assert "AN-2026-0002" not in html
