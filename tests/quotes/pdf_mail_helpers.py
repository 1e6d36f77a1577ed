"""Quotes as the PDF and e-mail tests need them: a company profile with every legal detail, a
draft with given lines for a deal of the rep, sending it, and reading a PDF's text."""

import io
from decimal import Decimal

from pypdf import PdfReader

from quotes import services
from quotes.models import CompanyProfile
from tests import factories

SELLER = {
    "company_name": "Nordlicht Software",
    "legal_form": "GmbH",
    "street": "Speicherstraße 12",
    "postal_code": "20457",
    "city": "Hamburg",
    "phone": "+49 40 555 018 20",
    "email": "vertrieb@nordlicht.example",
    "registered_office": "Hamburg",
    "register_court": "Amtsgericht Hamburg",
    "register_number": "HRB 154321",
    "managing_directors": "Jana Petersen",
    "vat_id": "DE312456789",
    "bank_name": "Hamburger Sparkasse",
    "iban": "DE12200505501234567890",
    "bic": "HASPDEHHXXX",
}


def company(**fields):
    profile = CompanyProfile.current()
    for name, value in {**SELLER, **fields}.items():
        setattr(profile, name, value)
    profile.save()
    return profile


def line(description, quantity, unit_price, vat_rate="19", discount="0", **fields):
    return {
        "description": description,
        "quantity": Decimal(quantity),
        "unit_price": Decimal(unit_price),
        "vat_rate": Decimal(vat_rate),
        "discount_percent": Decimal(discount),
        **fields,
    }


def draft(owner, lines, *, language="de", title="Rollout Nord", **fields):
    """A draft quote of a new deal of `owner` to a contact with an e-mail address."""
    contact = factories.ContactFactory(first_name="Katrin", last_name="Brandt", email="k.brandt@brandt.example")
    deal = factories.DealFactory(owner=owner, organization=contact.organization, contact=contact)
    quote = services.quote_create(deal_id=deal.pk, actor=owner)
    for values in lines:
        services.quote_line_add(quote_id=quote.pk, actor=owner, **values)
    return services.quote_update(quote_id=quote.pk, actor=owner, language=language, title=title, **fields)


def send(quote, actor, **kwargs):
    return services.quote_send(quote_id=quote.pk, actor=actor, **kwargs)


def pages_text(content):
    """The text of each page, with no-break spaces as plain spaces."""
    reader = PdfReader(io.BytesIO(content))
    return [page.extract_text().replace("\xa0", " ") for page in reader.pages]
