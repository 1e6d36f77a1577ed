"""Render a realistic demo quote to PDF and page 1 to docs/screenshots/quote-pdf.png, and time
the renderer on a 5-line and a 60-line quote (docs/quotes.md).

    CRM_MODE=embedded .venv/bin/python scripts/quote_pdf_png.py [--pdf out.pdf] [--timing]

Needs no database: the quote and its lines are unsaved objects. The PNG is drawn by
`pdftoppm` (Debian's poppler-utils), which CI does not need.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipeline_crm.settings")
os.environ.setdefault("CRM_MODE", "embedded")

import django  # noqa: E402
from django.test import override_settings  # noqa: E402

django.setup()

from accounts.models import User  # noqa: E402
from quotes import money, pdf  # noqa: E402
from quotes.models import Quote, QuoteLine  # noqa: E402

SELLER = {
    "company_name": "Nordlicht Software",
    "legal_form": "GmbH",
    "street": "Speicherstraße 12",
    "postal_code": "20457",
    "city": "Hamburg",
    "country": "Deutschland",
    "phone": "+49 40 555 018 20",
    "email": "vertrieb@nordlicht-software.de",
    "website": "www.nordlicht-software.de",
    "registered_office": "Hamburg",
    "register_court": "Amtsgericht Hamburg",
    "register_number": "HRB 154 321",
    "managing_directors": "Dr. Jana Petersen, Malte Carstens",
    "vat_id": "DE 312 456 789",
    "tax_number": "48/710/01234",
    "bank_name": "Hamburger Sparkasse",
    "iban": "DE12 2005 0550 1234 5678 90",
    "bic": "HASPDEHHXXX",
    "logo": "",
}
BUYER = {
    "organization": "Brandt & Söhne Maschinenbau KG",
    "contact": "Katrin Brandt",
    "street": "Industriestraße 4",
    "postal_code": "33602",
    "city": "Bielefeld",
    "country": "",
    "vat_id": "DE 811 234 567",
    "email": "k.brandt@brandt-maschinenbau.de",
}
LINES = [
    (
        "CRM Professional – Jahreslizenz",
        "Pro Benutzer, inkl. Updates und Support (Mo–Fr, 8–18 Uhr)",
        "25",
        "Lizenz",
        "348.00",
        "10",
        "19",
    ),
    (
        "Einrichtung und Datenübernahme",
        "Import von Kontakten, Organisationen und offenen Deals aus der Altanwendung",
        "1",
        "pauschal",
        "2450.00",
        "0",
        "19",
    ),
    (
        "Schulung Vertriebsteam",
        "Remote-Schulung, 2 × 3 Stunden, bis 12 Teilnehmende",
        "2",
        "Termin",
        "690.00",
        "0",
        "19",
    ),
    ("Fachbuch „Vertrieb mit System“", "Für die Teamleitung", "3", "Stück", "39.90", "0", "7"),
    (
        "Schnittstelle zum ERP (optional)",
        "Abgleich von Artikeln und Preislisten, nächtlich",
        "1",
        "pauschal",
        "1800.00",
        "0",
        "19",
    ),
]


def demo_quote(lines=LINES, *, language="de"):
    sender = User(username="jpetersen", first_name="Jonas", last_name="Wendt", email="j.wendt@nordlicht-software.de")
    quote = Quote(
        pk=1,
        number="AN-2026-0042",
        revision=1,
        title="CRM-Einführung für den Vertrieb Bielefeld",
        language=language,
        issue_date=date(2026, 12, 6),
        valid_until=date(2027, 1, 5),
        payment_terms="Zahlbar innerhalb von 14 Tagen nach Rechnungsdatum ohne Abzug.",
        terms="Es gelten unsere Allgemeinen Geschäftsbedingungen in der Fassung vom 1. März 2026.\n"
        "Lizenzlaufzeit 12 Monate ab Bereitstellung, Verlängerung um jeweils 12 Monate.",
        intro="Sehr geehrte Frau Brandt,\n\nvielen Dank für das angenehme Gespräch am 2. Dezember. Wie besprochen "
        "bieten wir Ihnen die Einführung unseres CRM für Ihr Vertriebsteam an:",
        currency="EUR",
        seller=SELLER,
        buyer=BUYER,
        sent_by=sender,
    )
    objects = []
    for index, (description, details, quantity, unit, price, discount, rate) in enumerate(lines, start=1):
        line = QuoteLine(
            position=index,
            description=description,
            details=details,
            quantity=Decimal(quantity),
            unit=unit,
            unit_price=Decimal(price),
            discount_percent=Decimal(discount),
            vat_rate=Decimal(rate),
            is_optional="(optional)" in description,
        )
        line.list_amount, line.amount = money.line_amount(
            quantity=line.quantity, unit_price=line.unit_price, discount_percent=line.discount_percent
        )
        objects.append(line)
    result = money.totals(objects)
    quote.list_total, quote.net_total, quote.vat_total, quote.gross_total = (
        result.list_total, result.net, result.vat, result.gross,
    )  # fmt: skip
    quote.vat_breakdown = [rate.as_json() for rate in result.rates]
    return quote, objects


# The demo company's logo: an aurora over a horizon, drawn for this demo.
LOGO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="360" height="96" viewBox="0 0 360 96">
<rect x="0" y="8" width="80" height="80" rx="16" fill="#12324f"/>
<path d="M10 62 C 28 30, 52 30, 70 18" stroke="#4fd1a5" stroke-width="7" fill="none" stroke-linecap="round"/>
<path d="M10 74 C 30 48, 52 46, 70 36" stroke="#7cc8f2" stroke-width="5" fill="none" stroke-linecap="round"/>
<text x="98" y="58" font-family="DejaVu Sans, sans-serif" font-size="34" font-weight="bold" fill="#12324f">nordlicht</text>
<text x="99" y="82" font-family="DejaVu Sans, sans-serif" font-size="15" letter-spacing="5" fill="#4a6378">SOFTWARE</text>
</svg>"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", help="also keep the PDF here")
    parser.add_argument("--png", default=str(ROOT / "docs" / "screenshots" / "quote-pdf.png"))
    parser.add_argument("--language", default="de")
    parser.add_argument("--timing", action="store_true", help="time 5-line and 60-line quotes")
    args = parser.parse_args()
    quote, lines = demo_quote(language=args.language)
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        Path(media, "company").mkdir()
        Path(media, "company", "logo.svg").write_text(LOGO_SVG)
        quote.seller = {**SELLER, "logo": "company/logo.svg"}
        content = pdf.render(quote, lines)
    if args.pdf:
        Path(args.pdf).write_bytes(content)
    if shutil.which("pdftoppm"):
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "quote.pdf"
            source.write_bytes(content)
            subprocess.run(
                ["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", source, Path(folder) / "page"],
                check=True,
            )
            shutil.copy(Path(folder) / "page.png", args.png)
        print(f"wrote {args.png}")
    else:
        print("pdftoppm not found (apt-get install poppler-utils): no PNG drawn")
    if args.timing:
        for count in (5, 60):
            many = [LINES[i % 4] for i in range(count)]
            quote, lines = demo_quote(many)
            pdf.render(quote, lines)  # warm up fonts and templates
            runs = []
            for _ in range(5):
                started = time.perf_counter()
                pdf.render(quote, lines)
                runs.append(time.perf_counter() - started)
            runs.sort()
            print(f"{count} lines: median {runs[2] * 1000:.0f} ms, best {runs[0] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
