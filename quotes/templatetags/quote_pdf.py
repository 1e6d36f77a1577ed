"""Numbers of the quote's PDF and e-mail in the language the quote is written in (the
renderer activates it): 1.234,56 € in German, €1,234.56 in English."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats, translation

register = template.Library()

SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF"}


def _decimal(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


def _german():
    return (translation.get_language() or "").startswith("de")


def format_number(value, places):
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


@register.filter
def money(value, currency="EUR"):
    """An amount with two decimals, grouped, with the currency where the language puts it."""
    number = _decimal(value)
    if number is None:
        return ""
    text = format_number(number.quantize(Decimal("0.01")), 2)
    symbol = SYMBOLS.get(currency, currency)
    if _german() or len(symbol) > 1:
        return f"{text}\N{NO-BREAK SPACE}{symbol}"
    return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"


@register.filter
def quantity(value):
    """A quantity with as many decimals as it has (at most three): 2, 1,5, 0,125."""
    number = _decimal(value)
    if number is None:
        return ""
    number = number.quantize(Decimal("0.001")).normalize()
    places = max(0, -number.as_tuple().exponent)
    return format_number(number, places)


@register.filter
def percent(value):
    """A rate or discount: 19 %, 12,5 % (German puts a space before the sign, English none)."""
    text = quantity(value)
    if not text:
        return ""
    return f"{text}\N{NO-BREAK SPACE}%" if _german() else f"{text}%"
