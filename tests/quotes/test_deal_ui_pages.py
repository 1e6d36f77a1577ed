"""The quotes of a deal in the rep's browser: the panel on the deal page, a new draft from the
line items, the quote page as editor (header, htmx lines with live totals) and as document,
sending with the customer's link shown once, revisions, cancellation, the link and the PDF —
for every role, with bad input re-rendered and state conflicts answered 409."""

from decimal import Decimal

import pytest
from django.urls import reverse

from deals.models import DealProduct
from quotes import services
from quotes.models import Quote, QuoteEvent
from quotes.services import hash_token
from tests import factories

HTMX = {"HX-Request": "true"}


@pytest.fixture
def deal(rep, stages):
    deal = factories.DealFactory(owner=rep, stage=stages[0], title="Acme rollout", contact=None)
    deal.contact = factories.ContactFactory(
        organization=deal.organization, first_name="Kim", last_name="Kunde", email="kim@customer.example"
    )
    deal.save()
    DealProduct.objects.create(
        deal=deal, description="Consulting", quantity=Decimal("3"), unit="day", unit_price=Decimal("1000"), vat_rate=19
    )
    return deal


@pytest.fixture
def draft(deal, rep):
    return services.quote_create(deal_id=deal.pk, actor=rep)


def url(name, *args):
    return reverse(f"quotes:{name}", args=args)


def line_data(prefix="new_line", **fields):
    data = {"product": "", "description": "", "quantity": "1", "unit": "", "unit_price": "", "discount_percent": "0"}
    data.update({"vat_rate": "19", **fields})
    return {f"{prefix}-{name}": value for name, value in data.items()}


def send_data(**fields):
    data = {"to": "kim@customer.example", "subject": "Our quote", "message": "Dear Kim, here it is."}
    data.update(fields)
    return {f"send-{name}": value for name, value in data.items()}


# --- the panel and a new draft ------------------------------------------------------------------


def test_deal_page_includes_the_quotes_frame(client, rep, deal):
    client.force_login(rep)
    page = client.get(reverse("deals:detail", args=[deal.pk])).content.decode()
    assert 'data-testid="quotes-panel"' in page
    assert f'hx-get="{url("deal_panel", deal.pk)}"' in page


def test_panel_lists_the_deals_quotes_with_state_totals_and_validity(client, rep, deal, draft):
    client.force_login(rep)
    panel = client.get(url("deal_panel", deal.pk), headers=HTMX).content.decode()
    assert "<html" not in panel
    assert 'data-testid="quote-row"' in panel and "Draft" in panel
    assert "3,000.00 EUR" in panel and "3,570.00 EUR" in panel
    assert 'data-testid="quote-new"' in panel


def test_panel_without_javascript_is_a_page(client, rep, deal, draft):
    client.force_login(rep)
    page = client.get(url("deal_panel", deal.pk)).content.decode()
    assert "<html" in page and 'data-testid="quote-row"' in page


def test_teammate_sees_the_panel_without_the_new_button(client, teammate, deal, draft):
    client.force_login(teammate)
    panel = client.get(url("deal_panel", deal.pk), headers=HTMX).content.decode()
    assert 'data-testid="quote-row"' in panel
    assert 'data-testid="quote-new"' not in panel


def test_outsider_does_not_find_the_panel(client, outsider, deal):
    client.force_login(outsider)
    assert client.get(url("deal_panel", deal.pk)).status_code == 404


def test_new_quote_page_lists_the_line_items_and_creates_the_draft(client, rep, deal):
    client.force_login(rep)
    page = client.get(url("new", deal.pk)).content.decode()
    assert "Consulting" in page and 'data-testid="quote-create"' in page
    response = client.post(url("new", deal.pk))
    quote = Quote.objects.get(deal=deal)
    assert response.status_code == 302 and response["Location"] == url("detail", quote.pk)
    assert quote.state == Quote.State.DRAFT and quote.lines.get().description == "Consulting"


def test_new_quote_is_refused_for_a_closed_deal(client, rep, deal):
    deal.status, deal.won_at = "won", deal.created_at
    deal.save()
    client.force_login(rep)
    response = client.post(url("new", deal.pk))
    assert response.status_code == 400
    assert "open deals" in response.content.decode()
    assert not Quote.objects.exists()


def test_teammate_may_not_create_a_quote(client, teammate, deal):
    client.force_login(teammate)
    assert client.post(url("new", deal.pk)).status_code == 403
    assert not Quote.objects.exists()


# --- the editor ------------------------------------------------------------------------------------


def test_draft_page_is_an_editor_with_totals_and_vat_per_rate(client, rep, draft):
    client.force_login(rep)
    page = client.get(url("detail", draft.pk)).content.decode()
    assert 'data-testid="quote-header-form"' in page and 'data-testid="quote-line-add"' in page
    assert 'data-testid="quote-net">3,000.00<' in page
    assert 'data-testid="quote-vat-19">570.00<' in page
    assert 'data-testid="quote-gross">3,570.00<' in page
    assert 'name="send-to" value="kim@customer.example"' in page


def test_teammate_sees_the_draft_read_only(client, teammate, draft):
    client.force_login(teammate)
    page = client.get(url("detail", draft.pk)).content.decode()
    assert 'data-testid="quote-lines"' in page
    assert 'data-testid="quote-header-form"' not in page and 'data-testid="quote-line-add"' not in page
    assert "You may look at this quote but not change it." in page


def test_outsider_and_other_manager_do_not_find_the_quote(client, outsider, manager_south, draft):
    for user in (outsider, manager_south):
        client.force_login(user)
        assert client.get(url("detail", draft.pk)).status_code == 404
        assert client.post(url("line_add", draft.pk), line_data(description="X", unit_price="1")).status_code == 404


def test_header_is_saved(client, rep, draft):
    client.force_login(rep)
    data = {
        "title": "Rollout, phase 1",
        "language": "en-gb",
        "valid_until": draft.valid_until.isoformat(),
        "intro": "As discussed",
        "terms": "",
        "payment_terms": "30 days net",
    }
    response = client.post(url("detail", draft.pk), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.language, draft.payment_terms) == ("Rollout, phase 1", "en-gb", "30 days net")


def test_header_with_a_past_date_is_re_rendered_with_its_message(client, rep, draft):
    client.force_login(rep)
    response = client.post(url("detail", draft.pk), {"title": "", "language": "xx", "valid_until": "2001-01-01"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "errorlist" in page and "The quote was not saved" in page and "a day that is over" in page
    draft.refresh_from_db()
    assert draft.title == "Acme rollout"  # unchanged


def test_teammate_header_post_is_forbidden(client, teammate, draft):
    client.force_login(teammate)
    assert client.post(url("detail", draft.pk), {"title": "Mine"}).status_code == 403


def test_htmx_line_add_answers_the_lines_with_new_totals(client, rep, draft):
    client.force_login(rep)
    data = line_data(description="Licence", quantity="3", unit_price="10.13", vat_rate="19")
    response = client.post(url("line_add", draft.pk), data, headers=HTMX)
    assert response.status_code == 200
    part = response.content.decode()
    assert "<html" not in part and 'id="quote-work"' in part
    # 3 × 10.13 = 30.39 more net; VAT on the summed net of the 19 % lines: 3030.39 × 19 % = 575.77
    assert 'data-testid="quote-net">3,030.39<' in part and 'data-testid="quote-vat-19">575.77<' in part
    assert "“Licence” added." in part


def test_line_from_the_catalogue_takes_the_products_price_and_rate(client, rep, draft):
    product = factories.ProductFactory(name="Training", unit="day", unit_price=Decimal("800"), vat_rate=7)
    client.force_login(rep)
    response = client.post(url("line_add", draft.pk), line_data(product=product.pk, vat_rate=""))
    assert response.status_code == 302
    line = draft.lines.get(product=product)
    assert (line.description, line.unit, line.unit_price, line.vat_rate) == ("Training", "day", 800, 7)
    draft.refresh_from_db()
    assert [row["rate"] for row in draft.vat_breakdown] == ["19.00", "7.00"]


def test_invalid_line_is_re_rendered_with_its_errors(client, rep, draft):
    client.force_login(rep)
    data = line_data(description="", quantity="-1", unit_price="abc", discount_percent="120", vat_rate="16")
    response = client.post(url("line_add", draft.pk), data, headers=HTMX)
    assert response.status_code == 400
    part = response.content.decode()
    assert "errorlist" in part and "The line was not saved" in part
    assert draft.lines.count() == 1


def test_line_is_edited_and_removed(client, rep, draft):
    line = draft.lines.get()
    client.force_login(rep)
    data = line_data(f"line-{line.pk}", description="Consulting", quantity="2", unit_price="1000", discount_percent="5")
    assert client.post(url("line_edit", draft.pk, line.pk), data, headers=HTMX).status_code == 200
    line.refresh_from_db()
    assert (line.quantity, line.amount) == (2, Decimal("1900.00"))
    response = client.post(url("line_remove", draft.pk, line.pk), headers=HTMX)
    assert response.status_code == 200 and not draft.lines.exists()
    assert "No lines yet." in response.content.decode()


def test_line_of_another_quote_is_not_found(client, rep, deal, draft):
    other = services.quote_create(deal_id=deal.pk, actor=rep)
    client.force_login(rep)
    response = client.post(url("line_remove", draft.pk, other.lines.get().pk))
    assert response.status_code == 404
    assert other.lines.exists()


def test_editing_a_sent_quote_is_a_conflict(client, rep, draft, queued_quote_mails):
    services.quote_send(quote_id=draft.pk, actor=rep)
    client.force_login(rep)
    data = line_data(description="Extra", unit_price="1")
    response = client.post(url("line_add", draft.pk), data, headers=HTMX)
    assert response.status_code == 409
    assert response["HX-Reswap"] == "none" and "Only a draft can be edited." in response.content.decode()
    assert client.post(url("line_add", draft.pk), data).status_code == 409
    assert client.post(url("detail", draft.pk), {"title": "Changed"}).status_code == 409


# --- sending, the link, the document -------------------------------------------------------------


def test_send_shows_the_link_once_and_says_it_was_e_mailed(client, rep, draft, queued_quote_mails):
    client.force_login(rep)
    response = client.post(url("send", draft.pk), send_data(message="Hello Kim"))
    assert response.status_code == 200
    page = response.content.decode()
    [mail] = queued_quote_mails
    token = mail["token"]
    assert f"/q/{token}/" in page and "The link was e-mailed to kim@customer.example" in page
    assert mail["message"] == "Hello Kim" and mail["subject"] == "Our quote"
    draft.refresh_from_db()
    assert draft.state == Quote.State.SENT and draft.token_hash == hash_token(token)
    # Never again: the page afterwards does not show it.
    assert token not in client.get(url("detail", draft.pk)).content.decode()


def test_send_with_a_bad_address_is_re_rendered(client, rep, draft, queued_quote_mails):
    client.force_login(rep)
    response = client.post(url("send", draft.pk), send_data(to="not-an-address", subject=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert "The quote was not sent" in page and "errorlist" in page and "not-an-address" in page
    draft.refresh_from_db()
    assert draft.state == Quote.State.DRAFT and not queued_quote_mails


def test_send_refused_by_the_rules_keeps_the_draft(client, rep, draft, queued_quote_mails):
    services.quote_line_update(quote_id=draft.pk, line_id=draft.lines.get().pk, actor=rep, is_optional=True)
    client.force_login(rep)
    response = client.post(url("send", draft.pk), send_data())
    assert response.status_code == 400
    assert "at least one line that is not optional" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == Quote.State.DRAFT and not draft.number


def test_sending_twice_is_a_conflict(client, rep, draft, queued_quote_mails):
    client.force_login(rep)
    client.post(url("send", draft.pk), send_data())
    assert client.post(url("send", draft.pk), send_data()).status_code == 409
    assert len(queued_quote_mails) == 1


def test_teammate_may_not_send(client, teammate, draft, queued_quote_mails):
    client.force_login(teammate)
    assert client.post(url("send", draft.pk), send_data()).status_code == 403
    assert not queued_quote_mails


def test_sent_quote_is_a_document_with_pdf_and_link_actions(client, rep, draft, queued_quote_mails):
    quote, _token = services.quote_send(quote_id=draft.pk, actor=rep)
    client.force_login(rep)
    page = client.get(url("detail", quote.pk)).content.decode()
    assert quote.number in page and 'data-testid="quote-header-form"' not in page
    assert 'data-testid="quote-pdf"' in page and 'data-testid="quote-link-revoke"' in page
    assert 'data-testid="quote-revise"' in page and "sent" in page
    pdf = client.get(url("pdf", quote.pk))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "attachment" in pdf["Content-Disposition"] and quote.number in pdf["Content-Disposition"]
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_a_draft_has_no_pdf(client, rep, draft):
    client.force_login(rep)
    assert client.get(url("pdf", draft.pk)).status_code == 404


def test_teammate_downloads_the_pdf_but_outsider_does_not_find_it(
    client, rep, teammate, outsider, draft, queued_quote_mails
):
    services.quote_send(quote_id=draft.pk, actor=rep)
    client.force_login(teammate)
    assert client.get(url("pdf", draft.pk)).status_code == 200
    client.force_login(outsider)
    assert client.get(url("pdf", draft.pk)).status_code == 404


def test_new_link_is_shown_once_and_revoking_stops_the_old(client, rep, draft, queued_quote_mails):
    quote, old_token = services.quote_send(quote_id=draft.pk, actor=rep)
    client.force_login(rep)
    response = client.post(url("link_renew", quote.pk))
    assert response.status_code == 200
    page = response.content.decode()
    quote.refresh_from_db()
    assert "was not e-mailed" in page and f"/q/{old_token}/" not in page
    assert quote.token_hash != hash_token(old_token)
    assert client.post(url("link_revoke", quote.pk)).status_code == 302
    quote.refresh_from_db()
    assert quote.token_revoked_at is not None
    assert client.post(url("link_revoke", quote.pk)).status_code == 409


def test_revise_makes_a_new_draft_revision(client, rep, draft, queued_quote_mails):
    services.quote_send(quote_id=draft.pk, actor=rep)
    client.force_login(rep)
    response = client.post(url("revise", draft.pk))
    revision = Quote.objects.get(revises=draft)
    assert response.status_code == 302 and response["Location"] == url("detail", revision.pk)
    assert revision.revision == 2 and revision.state == Quote.State.DRAFT
    assert client.post(url("revise", draft.pk)).status_code == 409
    old_page = client.get(url("detail", draft.pk)).content.decode()
    assert f'href="{url("detail", revision.pk)}" data-testid="quote-newer"' in old_page
    assert 'data-testid="quote-revise"' not in old_page
    assert draft.number in client.get(url("detail", revision.pk)).content.decode()


def test_revising_a_draft_is_a_conflict(client, rep, draft):
    client.force_login(rep)
    assert client.post(url("revise", draft.pk)).status_code == 409


def test_cancel_a_sent_quote_and_again_is_a_conflict(client, rep, draft, queued_quote_mails):
    services.quote_send(quote_id=draft.pk, actor=rep)
    client.force_login(rep)
    assert client.post(url("cancel", draft.pk), {"cancel-note": "Customer bought elsewhere"}).status_code == 302
    draft.refresh_from_db()
    assert draft.state == Quote.State.CANCELLED
    assert QuoteEvent.objects.get(quote=draft, kind="cancelled").note == "Customer bought elsewhere"
    assert client.post(url("cancel", draft.pk)).status_code == 409


def test_manager_of_the_team_changes_the_reps_quote(client, manager, draft):
    client.force_login(manager)
    data = line_data(description="Support", unit_price="100")
    assert client.post(url("line_add", draft.pk), data).status_code == 302
    assert draft.lines.count() == 2
