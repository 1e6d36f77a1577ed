"""Quote events (quotes.QuoteEvent) as the timeline tells them: which quote, what happened, the
figures that go with it (the margin impact of a discount, the net total sent) and the words
people wrote (an approval comment, a decline reason). Money and percentages are localised in
the viewer's language. Reads only the event and its quote (already on the page: no query)."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import gettext as _

from quotes.models import QuoteEvent

Kind = QuoteEvent.Kind
# Events the customer caused through the quote's link (no user account behind them).
BY_CUSTOMER = {Kind.VIEWED, Kind.ACCEPTED, Kind.DECLINED}


@dataclass
class QuoteStory:
    quote: str  # the quote's number (or title while it has none)
    text: str
    details: list = field(default_factory=list)
    note: str = ""
    by_customer: bool = False


def _number(value, places=2):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return formats.number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


def _money(value, currency):
    return f"{_number(value)} {currency}"


def _impact(data, currency):
    """The margin impact the approval services store: what the discounts cost against the list prices."""
    if "discount" not in data:
        return []
    return [
        _("Discount %(percent)s %% (%(amount)s below the list prices of %(list)s)")
        % {
            "percent": _number(data.get("discount_percent", "0")),
            "amount": _money(data["discount"], currency),
            "list": _money(data.get("list_total", "0"), currency),
        },
        _("Largest line discount %(percent)s %%") % {"percent": _number(data.get("max_line_discount", "0"))},
        _("Net total %(amount)s") % {"amount": _money(data.get("net_total", "0"), currency)},
    ]


def describe(event):
    """What the timeline shows for one quote event."""
    quote, data = event.quote, event.data or {}
    story = QuoteStory(
        quote=quote.display_number if quote.number else quote.title,
        text=str(event.get_kind_display()),
        note=event.note,
        by_customer=event.kind in BY_CUSTOMER,
    )
    if event.kind == Kind.CREATED and data.get("revises"):
        story.text = _("revision %(revision)s created") % {"revision": quote.revision}
    elif event.kind in (Kind.APPROVAL_REQUESTED, Kind.APPROVED, Kind.REJECTED):
        story.details = _impact(data, quote.currency)
    elif event.kind == Kind.SENT:
        story.text = _("sent to %(to)s") % {"to": data.get("to", "")}
        if "net" in data:
            story.details = [_("Net total %(amount)s") % {"amount": _money(data["net"], quote.currency)}]
    elif event.kind == Kind.VIEWED:
        story.text = _("opened by the customer for the first time")
    elif event.kind == Kind.ACCEPTED:
        story.text = _("accepted by %(name)s") % {"name": data.get("name", "")}
    elif event.kind == Kind.DECLINED:
        story.text = _("declined by %(name)s") % {"name": data.get("name", "")}
    elif event.kind == Kind.SUPERSEDED and event.note:
        story.text, story.note = _("superseded by %(number)s") % {"number": event.note}, ""
    return story
