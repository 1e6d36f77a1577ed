"""Reading one cell into a field's value. Each reader takes the cell as the file holds it (text
from a CSV, text, number or date from an Excel cell) and returns the value or raises
CellError with a message for the row report."""

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers import phones


class CellError(Exception):
    """The cell cannot be read as the field's value; the message says why."""


def text_of(cell):
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # a number typed into a text column, e.g. a postal code
    return " ".join(str(cell).split()) if not isinstance(cell, str) else cell.strip()


def text(cell, *, max_length):
    value = text_of(cell)
    if len(value) > max_length:
        raise CellError(_("longer than %(max)s characters") % {"max": max_length})
    return value


def email(cell):
    value = text_of(cell)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise CellError(_("“%(value)s” is not a valid e-mail address") % {"value": value}) from None
    return value


def phone(cell):
    try:
        return phones.normalise(text_of(cell))
    except ValidationError as error:
        raise CellError(" ".join(error.messages)) from None


def url(cell):
    value = text_of(cell)
    if not value:
        return ""
    if "://" not in value:
        value = "https://" + value
    try:
        URLValidator()(value)
    except ValidationError:
        raise CellError(_("“%(value)s” is not a web address") % {"value": text_of(cell)}) from None
    return value[:200]


def country(cell):
    value = text_of(cell).upper()
    if value and not re.fullmatch(r"[A-Z]{2}", value):
        raise CellError(_("write the country as a two-letter code, e.g. DE"))
    return value


def choice_table(choices):
    """Every way to write a choice: its value and its label in English and German, any case."""
    table = {}
    for language in ("en", "de"):
        with translation.override(language):
            for value, label in choices.choices:
                table[str(label).casefold()] = value
    for value, _label in choices.choices:
        table[str(value).casefold()] = value
    return table


def choice(cell, *, table):
    value = text_of(cell)
    if not value:
        return ""
    try:
        return table[value.casefold()]
    except KeyError:
        raise CellError(_("unknown value “%(value)s”") % {"value": value}) from None


_MONEY_NOISE = re.compile(r"[\s€$£]|EUR|CHF|USD", re.IGNORECASE)


def decimal(cell, *, places=2, maximum=Decimal("999999999999.99")):
    """A non-negative amount: a number cell, or text in German ("1.234,56") or English
    ("1,234.56") writing, with or without currency sign."""
    if isinstance(cell, bool):
        raise CellError(_("not a number"))
    if isinstance(cell, int | float | Decimal):
        number = Decimal(str(cell))
    else:
        raw = _MONEY_NOISE.sub("", text_of(cell))
        if not raw:
            return None
        if "," in raw and "." in raw:
            # The later sign is the decimal separator.
            thousands, point = (".", ",") if raw.rfind(",") > raw.rfind(".") else (",", ".")
            raw = raw.replace(thousands, "").replace(point, ".")
        elif "," in raw:
            head, _sep, tail = raw.rpartition(",")
            raw = raw.replace(",", "") if len(tail) == 3 and raw.count(",") > 1 else f"{head.replace(',', '')}.{tail}"
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise CellError(_("“%(value)s” is not a number") % {"value": text_of(cell)}) from None
    if not number.is_finite() or number < 0 or number > maximum:
        raise CellError(_("must be a number from 0 to %(max)s") % {"max": maximum})
    return number.quantize(Decimal(1).scaleb(-places))


def percent(cell):
    number = decimal(cell, places=0, maximum=Decimal(100))
    return None if number is None else int(number)


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y")
_TIME_FORMATS = ("%H:%M", "%H:%M:%S")


def date_value(cell):
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    value = text_of(cell)
    if not value:
        return None
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise CellError(_("“%(value)s” is not a date (write 2026-12-31 or 31.12.2026)") % {"value": value})


def datetime_value(cell):
    """(aware datetime, whether only a date was given). Times without a zone are local."""
    if isinstance(cell, datetime):
        value, date_only = cell, False
    elif isinstance(cell, date):
        value, date_only = datetime.combine(cell, time.min), True
    else:
        text_value = text_of(cell)
        if not text_value:
            return None, False
        try:
            value, date_only = datetime.fromisoformat(text_value), len(text_value) <= 10
        except ValueError:
            value, date_only = _parse_local(text_value)
    if date_only:
        value = datetime.combine(value.date(), time.min)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value, date_only


def _parse_local(text_value):
    for date_pattern in _DATE_FORMATS:
        for time_pattern in _TIME_FORMATS:
            try:
                return datetime.strptime(text_value, f"{date_pattern} {time_pattern}"), False
            except ValueError:
                continue
        try:
            return datetime.strptime(text_value, date_pattern), True
        except ValueError:
            continue
    raise CellError(
        _("“%(value)s” is not a date and time (write 2026-12-31 14:30 or 31.12.2026 14:30)") % {"value": text_value}
    )
