"""The quote's PDF: what it shows in German and English, exact totals, page numbers on every
page, the stored copy that is never rendered again, and a renderer that fetches nothing but
its own files."""

import hashlib
import io
import socket

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from quotes import pdf
from quotes.models import CompanyProfile
from tests.quotes.pdf_mail_helpers import company, draft, line, pages_text, send


@pytest.fixture
def seller(db):
    return company()


def test_german_quote_shows_number_validity_and_exact_totals(rep, seller):
    quote = draft(rep, [line("Wartung", "3", "10.13")])
    quote, _token = send(quote, rep)

    (text,) = pages_text(quote.pdf.read())

    assert quote.number in text and "Angebot" in text
    assert f"Gültig bis {quote.valid_until:%d.%m.%Y}" in text
    assert "Summe netto 30,39 €" in text
    assert "zzgl. USt. 19 % auf 30,39 € 5,77 €" in text
    assert "Gesamtbetrag brutto 36,16 €" in text
    assert "Seite 1 von 1" in text


def test_a_line_discount_is_rounded_once_per_line(rep, seller):
    quote = draft(rep, [line("Beratung", "3", "33.33", discount="10")])

    (text,) = pages_text(pdf.render_quote_pdf(quote))

    assert "10 %" in text
    assert "Summe netto 89,99 €" in text
    assert "Gesamtbetrag brutto 107,09 €" in text


def test_mixed_rates_show_the_vat_of_each_rate_on_its_net_sum(rep, seller):
    quote = draft(rep, [line("Lizenz", "1", "1234.56"), line("Handbuch", "2", "25.00", vat_rate="7")])

    (text,) = pages_text(pdf.render_quote_pdf(quote))

    assert "Summe netto 1.284,56 €" in text
    assert "zzgl. USt. 19 % auf 1.234,56 € 234,57 €" in text
    assert "zzgl. USt. 7 % auf 50,00 € 3,50 €" in text
    assert "Gesamtbetrag brutto 1.522,63 €" in text


def test_english_quote_is_worded_and_formatted_in_english(rep, seller):
    quote = draft(rep, [line("Licence", "1", "1234.56")], language="en-gb", title="Rollout North")
    quote, _token = send(quote, rep)

    (text,) = pages_text(quote.pdf.read())

    assert f"Quote {quote.number}" in text
    assert "Net total €1,234.56" in text
    assert "plus VAT 19% on €1,234.56 €234.57" in text
    assert "Total €1,469.13" in text
    assert f"Valid until {quote.valid_until:%d/%m/%Y}" in text
    assert "Page 1 of 1" in text
    assert pdf.file_name(quote) == f"Quote-{quote.number}.pdf"


def test_gross_price_quote_states_the_vat_included(rep, seller):
    quote = draft(rep, [line("Kurs", "1", "119.00")], prices_gross=True)

    (text,) = pages_text(pdf.render_quote_pdf(quote))

    assert "Gesamtbetrag inkl. USt. 119,00 €" in text
    assert "enthaltene USt. 19 % auf 100,00 € 19,00 €" in text
    assert "Einzelpreis brutto" in text


def test_an_optional_line_is_marked_and_left_out_of_the_total(rep, seller):
    quote = draft(rep, [line("Lizenz", "1", "100.00"), line("Schnittstelle", "1", "500.00", is_optional=True)])

    (text,) = pages_text(pdf.render_quote_pdf(quote))

    assert "Optional, nicht in der Summe enthalten" in text
    assert "(500,00 €)" in text
    assert "Summe netto 100,00 €" in text


def test_a_long_quote_numbers_its_pages_and_repeats_the_legal_footer(rep, seller):
    lines = [line(f"Position {n}", "1", "10.00", details="Leistungsbeschreibung\nzweite Zeile") for n in range(25)]
    quote = draft(rep, lines)

    pages = pages_text(pdf.render_quote_pdf(quote))

    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Seite {number} von {len(pages)}" in text
        assert "HRB 154321" in text and "Geschäftsführung: Jana Petersen" in text
        assert "IBAN DE12200505501234567890" in text and "USt-IdNr.: DE312456789" in text
    assert "Summe netto 250,00 €" in pages[-1]


def test_the_seller_and_buyer_come_from_the_snapshots_taken_when_sending(rep, seller):
    quote = draft(rep, [line("Lizenz", "1", "100.00")])
    quote, _token = send(quote, rep)

    (text,) = pages_text(quote.pdf.read())

    assert "Nordlicht Software GmbH" in text
    assert quote.buyer["organization"] in text
    assert "z. Hd. Katrin Brandt" in text
    assert "Ansprechpartner Alice Adams" in text


def test_texts_typed_by_users_are_printed_as_text_and_fetch_nothing(rep, seller, monkeypatch):
    fetched = []
    make_fetcher = pdf.asset_fetcher

    def recording_fetcher():
        fetcher = make_fetcher()
        original = fetcher.fetch

        def fetch(url, headers=None):
            fetched.append(url)
            return original(url, headers)

        fetcher.fetch = fetch
        return fetcher

    def no_network(*args, **kwargs):
        raise AssertionError("the renderer opened a network connection")

    hostile = '<img src="http://attacker.example/pixel.png">'
    quote = draft(
        rep,
        [line(hostile, "1", "10.00", details='<link rel="stylesheet" href="https://attacker.example/x.css">')],
        intro='<iframe src="file:///etc/passwd"></iframe>',
    )
    monkeypatch.setattr(pdf, "asset_fetcher", recording_fetcher)
    monkeypatch.setattr(socket.socket, "connect", no_network)

    (text,) = pages_text(pdf.render_quote_pdf(quote))

    assert hostile in text
    assert '<iframe src="file:///etc/passwd"></iframe>' in text
    assert fetched, "the stylesheet and fonts go through the fetcher"
    assert not [url for url in fetched if "attacker" in url or "passwd" in url]


@pytest.mark.parametrize(
    "url",
    [
        "http://attacker.example/pixel.png",
        "https://attacker.example/x.css",
        "ftp://attacker.example/x",
        "file:///etc/passwd",
        f"{pdf.FONT_DIR.as_uri()}/../../../../../../etc/passwd",
        f"{pdf.TEMPLATE_DIR.as_uri()}/../../../pipeline_crm/settings.py",
    ],
)
def test_the_fetcher_refuses_the_network_and_files_outside_its_folders(url):
    with pytest.raises(ValueError, match="Refused"):
        pdf.asset_fetcher().fetch(url)


def test_the_fetcher_reads_the_stylesheet_and_the_bundled_fonts():
    fetcher = pdf.asset_fetcher()

    stylesheet = fetcher.fetch(f"{pdf.TEMPLATE_DIR.as_uri()}/quote.css")
    font = fetcher.fetch(f"{pdf.FONT_DIR.as_uri()}/source-sans-3-latin-400-normal.woff")

    assert b"@page" in stylesheet.read()
    assert font.read(4) == b"wOFF"


def test_the_company_logo_is_embedded_from_the_media_storage(rep, seller):
    image = io.BytesIO()
    Image.new("RGB", (120, 40), (20, 60, 120)).save(image, format="PNG")
    seller.logo.save("logo.png", ContentFile(image.getvalue()))
    quote = draft(rep, [line("Lizenz", "1", "100.00")])
    quote, _token = send(quote, rep)

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(quote.pdf.read()))
    assert len(reader.pages[0].images) == 1


def test_a_missing_logo_file_leaves_the_logo_out(rep, seller):
    seller.logo.name = "company/gone.png"
    seller.save()
    quote = draft(rep, [line("Lizenz", "1", "100.00")])
    quote, _token = send(quote, rep)

    assert quote.pdf_sha256


# --- the stored PDF ---------------------------------------------------------------------------


def test_the_sent_pdf_is_stored_with_its_hash_and_never_rendered_again(rep, seller, monkeypatch):
    quote = draft(rep, [line("Lizenz", "1", "100.00")])
    quote, _token = send(quote, rep)
    stored = quote.pdf.read()
    assert hashlib.sha256(stored).hexdigest() == quote.pdf_sha256

    profile = CompanyProfile.current()
    profile.company_name = "Umbenannt"
    profile.save()

    def render_again(*args, **kwargs):
        raise AssertionError("a sent quote's PDF was rendered again")

    monkeypatch.setattr(pdf, "render", render_again)
    response = pdf.stored_pdf_response(quote)
    served = b"".join(response.streaming_content)
    assert served == stored
    assert "Nordlicht Software GmbH" in pages_text(served)[0]
    assert "Umbenannt" not in pages_text(served)[0]


def test_the_stored_pdf_is_a_download_with_its_file_name(rep, seller):
    quote = draft(rep, [line("Lizenz", "1", "100.00")])
    quote, _token = send(quote, rep)

    response = pdf.stored_pdf_response(quote)

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="Angebot-{quote.number}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_a_stored_pdf_changed_after_sending_is_withheld(rep, seller, caplog):
    quote = draft(rep, [line("Lizenz", "1", "100.00")])
    quote, _token = send(quote, rep)
    with open(quote.pdf.path, "ab") as stored:
        stored.write(b"%% tampered")

    with pytest.raises(pdf.QuotePdfUnavailable) as refused:
        pdf.stored_pdf_response(quote)

    assert refused.value.status == 409
    assert "differs from the one that was sent" in refused.value.message
    assert "withheld" in caplog.text


def test_a_stored_pdf_missing_from_the_storage_is_gone(rep, seller):
    quote = draft(rep, [line("Lizenz", "1", "100.00")])
    quote, _token = send(quote, rep)
    quote.pdf.storage.delete(quote.pdf.name)

    with pytest.raises(pdf.QuotePdfUnavailable) as refused:
        pdf.stored_pdf_response(quote)

    assert refused.value.status == 410


def test_a_draft_has_no_stored_pdf(rep, seller):
    quote = draft(rep, [line("Lizenz", "1", "100.00")])

    with pytest.raises(pdf.QuotePdfUnavailable) as refused:
        pdf.stored_pdf_response(quote)

    assert refused.value.status == 404


def test_a_revision_has_its_number_and_revision_in_the_file_name(rep, seller):
    from quotes import services

    quote = draft(rep, [line("Lizenz", "1", "100.00")])
    quote, _token = send(quote, rep)
    revision = services.quote_revise(quote_id=quote.pk, actor=rep)
    revision, _token = send(revision, rep)

    (text,) = pages_text(revision.pdf.read())
    assert pdf.file_name(revision) == f"Angebot-{quote.number}-R2.pdf"
    assert f"Angebot {quote.number}-R2" in text
    assert "Revision 2, ersetzt die vorherige Fassung" in text


def test_a_draft_preview_shows_the_current_company_and_customer(rep, seller):
    quote = draft(rep, [line("Lizenz", "1", "100.00")])

    (text,) = pages_text(pdf.render_quote_pdf(quote))

    assert "Angebot Entwurf" in text and "Angebotsnummer Entwurf" in text
    assert "Nordlicht Software GmbH" in text and "HRB 154321" in text
    assert quote.deal.organization.name in text
