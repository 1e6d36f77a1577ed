"""Quotes: list, read with lines and totals, a new draft for a deal, the draft's header and lines,
and sending it to the customer.

A quote is as visible as its deal (`quotes.selectors`); every change goes through
`quotes.services`, which refuses with `quotes.errors` (400 a broken rule, 403 visible but not
yours to change, 409 no longer a draft). Input is checked first with the quote page's forms
(`QuoteHeaderForm`, `QuoteLineForm`, `SendForm`), so a bad field gets the page's message (422).
Money is a decimal string with the quote's currency."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from accounts import scoping
from activities.services import absolute_url
from api.pagination import CursorPagination
from api.schemas import Money, Ref, money, ref
from events import representations
from quotes import forms, pdf, selectors, services
from quotes.action_views import public_link
from quotes.errors import QuoteConflict, QuoteForbidden
from quotes.models import CompanyProfile, Quote

router = Router(tags=["quotes"])

MAX_ID = 2**31 - 1
QuoteState = Literal[tuple(Quote.State.values)]


class QuoteQuery(Schema):
    deal_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only the quotes of this deal")
    state: QuoteState | None = Field(None, description="Only quotes in this state")


class VatRow(Schema):
    rate: str
    net: Money
    vat: Money


class QuoteLineOut(Schema):
    id: int
    position: int
    product: Ref | None
    description: str
    details: str
    quantity: str
    unit: str
    unit_price: Money
    discount_percent: str
    vat_rate: str
    is_optional: bool
    list_amount: Money
    amount: Money


class QuoteOut(Schema):
    id: int
    deal: Ref
    state: str
    number: str = Field(description="Given when the quote is sent; with the revision, e.g. 2026-0042-R2")
    revision: int
    title: str
    language: str
    valid_until: date
    issue_date: date | None
    intro: str
    terms: str
    payment_terms: str
    prices_gross: bool
    currency: str
    list_total: Money
    net_total: Money
    vat_total: Money
    gross_total: Money
    vat_breakdown: list[VatRow]
    approval: str
    recipient_email: str
    sent_at: datetime | None
    first_viewed_at: datetime | None
    view_count: int
    pdf_url: str | None = Field(description="The PDF stored when the quote was sent (GET with your token)")
    lines: list[QuoteLineOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_deal(quote):
        return ref(quote.deal)

    @staticmethod
    def resolve_state(quote):
        # In a list the nightly sweep may not have expired it yet; reading it one by one does.
        if quote.state == Quote.State.SENT and quote.is_past_validity():
            return Quote.State.EXPIRED
        return quote.state

    @staticmethod
    def resolve_number(quote):
        return quote.display_number if quote.number else ""

    @staticmethod
    def resolve_list_total(quote):
        return money(quote.list_total, quote.currency)

    @staticmethod
    def resolve_net_total(quote):
        return money(quote.net_total, quote.currency)

    @staticmethod
    def resolve_vat_total(quote):
        return money(quote.vat_total, quote.currency)

    @staticmethod
    def resolve_gross_total(quote):
        return money(quote.gross_total, quote.currency)

    @staticmethod
    def resolve_vat_breakdown(quote):
        return [
            {
                "rate": f"{Decimal(row['rate']).normalize():f}",
                "net": money(row["net"], quote.currency),
                "vat": money(row["vat"], quote.currency),
            }
            for row in quote.vat_breakdown
        ]

    @staticmethod
    def resolve_pdf_url(quote):
        return absolute_url(reverse("api:quote_pdf", args=[quote.pk])) if quote.pdf else None

    @staticmethod
    def resolve_lines(quote):
        return [
            {
                "id": line.pk,
                "position": line.position,
                "product": ref(line.product) if line.product_id else None,
                "description": line.description,
                "details": line.details,
                "quantity": f"{line.quantity.normalize():f}",
                "unit": line.unit,
                "unit_price": money(line.unit_price, quote.currency),
                "discount_percent": f"{line.discount_percent.normalize():f}",
                "vat_rate": f"{line.vat_rate.normalize():f}",
                "is_optional": line.is_optional,
                "list_amount": money(line.list_amount, quote.currency),
                "amount": money(line.amount, quote.currency),
            }
            for line in quote.lines.all()
        ]


class QuoteSentOut(QuoteOut):
    customer_link: str = Field(description="The customer's page, shown this once (only its hash is stored)")


def _read(request, quote_id):
    return selectors.quote_get_for_user(user=request.user, quote_id=quote_id)


@router.get("/", response=list[QuoteOut], summary="List quotes")
@paginate(CursorPagination, ordering=("-id",))
def quote_list(request: HttpRequest, query: Query[QuoteQuery]):
    """The quotes of the deals you see, newest first, with their lines and totals."""
    quotes = selectors.quote_list_for_user(user=request.user)
    if query.deal_id is not None:
        quotes = quotes.filter(deal_id=query.deal_id)
    if query.state is not None:
        quotes = quotes.filter(state=query.state)
    return quotes


@router.get("/{int:quote_id}", response=QuoteOut, summary="Read a quote")
def quote_read(request: HttpRequest, quote_id: int):
    """One quote of a deal you see (404 otherwise), with its lines and totals."""
    return _read(request, quote_id)


@router.get(
    "/{int:quote_id}/pdf",
    response={200: bytes},
    summary="Download the PDF of a sent quote",
    url_name="quote_pdf",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def quote_pdf(request: HttpRequest, quote_id: int):
    """The PDF as it was sent (checked against its SHA-256): 404 while the quote is a draft, 410
    when its file is gone, 409 when its content no longer matches."""
    return pdf.stored_pdf_response(_read(request, quote_id))


class QuoteCreateIn(Schema):
    deal_id: int = Field(..., ge=1, le=MAX_ID)


@router.post("/", response={201: QuoteOut}, summary="Create a draft quote for a deal")
def quote_create(request: HttpRequest, payload: QuoteCreateIn):
    """A draft of the deal's line items with the company profile's defaults, as "New quote" on
    the deal page. The deal must be open and yours to change."""
    quote = services.quote_create(deal_id=payload.deal_id, actor=request.user)
    return Status(201, _read(request, quote.pk))


def _for_change(request, quote_id):
    """The quote page's order: 404 outside the scope, 403 visible only, 409 no longer a draft."""
    quote = _read(request, quote_id)
    if not scoping.can_change_owned(request.user, quote.deal.owner):
        raise QuoteForbidden(_("You may look at this quote but not change it."), quote=quote)
    if not quote.is_editable:
        raise QuoteConflict(_("Only a draft can be edited."), quote=quote)
    return quote


def _cleaned(form):
    if not form.is_valid():
        raise ValidationError({name: list(messages) for name, messages in form.errors.items()})
    return form.cleaned_data


class QuotePatch(Schema):
    title: str | None = Field(None, max_length=1000)
    language: str | None = Field(None, max_length=10)
    valid_until: date | None = None
    intro: str | None = Field(None, max_length=100_000)
    terms: str | None = Field(None, max_length=100_000)
    payment_terms: str | None = Field(None, max_length=1000)
    prices_gross: bool | None = None


def _form_value(value):
    if value is None:
        return ""
    if isinstance(value, date | Decimal):
        return str(value)
    return value


@router.patch("/{int:quote_id}", response=QuoteOut, summary="Edit a draft quote")
def quote_update(request: HttpRequest, quote_id: int, payload: QuotePatch):
    """The draft's header: only the fields you send change."""
    quote = _for_change(request, quote_id)
    values = {name: getattr(quote, name) for name in services.EDITABLE_FIELDS}
    values.update(payload.dict(exclude_unset=True))
    form = forms.QuoteHeaderForm({name: _form_value(v) for name, v in values.items()}, instance=quote)
    services.quote_update(quote_id=quote.pk, actor=request.user, **_cleaned(form))
    return _read(request, quote.pk)


# Bounded before the form sees it: a huge exponent ("1e999999999") is refused here, not expanded.
Amount = Annotated[Decimal, Field(max_digits=30, decimal_places=10)] | None


class LineIn(Schema):
    product_id: int | None = Field(None, ge=1, le=MAX_ID, description="A catalogue product fills in what is empty")
    description: str | None = Field(None, max_length=1000)
    quantity: Amount = Field(Decimal(1), description='A decimal string, e.g. "2.5"')
    unit: str | None = Field(None, max_length=100)
    unit_price: Amount = None
    discount_percent: Amount = None
    vat_rate: Amount = Field(None, description="One of the company profile's VAT rates")
    is_optional: bool = False


class LinePatch(Schema):
    product_id: int | None = Field(None, ge=1, le=MAX_ID)
    description: str | None = Field(None, max_length=1000)
    quantity: Amount = None
    unit: str | None = Field(None, max_length=100)
    unit_price: Amount = None
    discount_percent: Amount = None
    vat_rate: Amount = None
    is_optional: bool | None = None


def _line_data(values):
    data = {}
    for name, value in values.items():
        if name == "product_id":
            name = "product"
        if name == "vat_rate" and value not in (None, ""):
            value = f"{Decimal(value).normalize():f}"
        data[name] = _form_value(value)
    return data


@router.post("/{int:quote_id}/lines", response={201: QuoteOut}, summary="Add a line to a draft quote")
def quote_line_add(request: HttpRequest, quote_id: int, payload: LineIn):
    """A catalogue product (`product_id`) or free text; what is left empty comes from the product."""
    quote = _for_change(request, quote_id)
    rates = CompanyProfile.current().vat_rate_choices()
    form = forms.QuoteLineForm(_line_data(payload.dict()), rates=rates)
    _cleaned(form)
    services.quote_line_add(quote_id=quote.pk, actor=request.user, **form.service_fields())
    return Status(201, _read(request, quote.pk))


def _line_of(quote, line_id):
    line = quote.lines.filter(pk=line_id).first()
    if line is None:
        raise Http404("No such line.")
    return line


@router.patch("/{int:quote_id}/lines/{int:line_id}", response=QuoteOut, summary="Edit a line of a draft quote")
def quote_line_update(request: HttpRequest, quote_id: int, line_id: int, payload: LinePatch):
    """Only the fields you send change."""
    quote = _for_change(request, quote_id)
    line = _line_of(quote, line_id)
    rates = CompanyProfile.current().vat_rate_choices()
    current = forms.QuoteLineForm(rates=rates, line=line).initial
    sent = payload.dict(exclude_unset=True)
    if "product_id" in sent:
        sent["product"] = sent.pop("product_id")
    values = {**current, **sent}
    form = forms.QuoteLineForm(_line_data(values), rates=rates, line=line)
    _cleaned(form)
    services.quote_line_update(quote_id=quote.pk, line_id=line.pk, actor=request.user, **form.service_fields())
    return _read(request, quote.pk)


@router.delete("/{int:quote_id}/lines/{int:line_id}", response=QuoteOut, summary="Remove a line of a draft quote")
def quote_line_remove(request: HttpRequest, quote_id: int, line_id: int):
    """Answers the quote without the line."""
    quote = _for_change(request, quote_id)
    line = _line_of(quote, line_id)
    services.quote_line_remove(quote_id=quote.pk, line_id=line.pk, actor=request.user)
    return _read(request, quote.pk)


class SendIn(Schema):
    to: str | None = Field(None, max_length=320, description="Empty: the deal's contact")
    subject: str | None = Field(None, max_length=1000, description="Empty: the quote's title")
    message: str | None = Field(None, max_length=100_000, description="Empty: the page's greeting text")


@router.post("/{int:quote_id}/send", response=QuoteSentOut, summary="Send a draft quote to the customer")
def quote_send(request: HttpRequest, quote_id: int, payload: SendIn):
    """As "Send" on the quote page: the number, the PDF and the customer's link are made and the
    e-mail with the PDF is queued in the quote's language. What you leave empty is what the
    page's send form is prefilled with. The answer carries the customer's link, this once."""
    quote = _read(request, quote_id)
    if not scoping.can_change_owned(request.user, quote.deal.owner):
        raise QuoteForbidden(_("You may look at this quote but not change it."), quote=quote)
    initial = forms.SendForm.for_quote(quote, sender=request.user.get_full_name() or request.user.get_username())
    values = {name: value for name, value in payload.dict().items() if value not in (None, "")}
    form = forms.SendForm({**initial.initial, **values})
    data = _cleaned(form)
    sent, token = services.quote_send(quote_id=quote.pk, actor=request.user, **data)
    result = _read(request, sent.pk)
    result.customer_link = public_link(request, token)
    return result


def _represent(user, quote_id):
    quote = selectors.quote_get_for_user(user=user, quote_id=quote_id)
    return QuoteOut.from_orm(quote).model_dump(mode="json")


representations.register("quote", _represent)
