"""Every CSV file the product writes goes through this module.

A spreadsheet opens a CSV cell that starts with = + - @ (or a tab or carriage return) as a
formula: a value typed into a web form can then run a DDE command or send data out with
HYPERLINK. The rule is decided per column kind, so that values people read stay as typed:

- NUMBER: an int, Decimal or float (or a string that is a plain decimal number such as
  "-12.50") is written as a plain number, so negative values and money stay numeric.
  Anything else in a number column is treated as text.
- DATE: a date or datetime is written in ISO 8601 (datetimes in local time); anything else
  is text.
- PHONE: a valid phone number is written in the international format with spaces
  ("030 1234567" and "+49301234567" → "+49 30 1234567", national numbers read with
  LEADS_PHONE_REGION): with its spaces no spreadsheet reads it as a number (which would drop
  the leading zero or the "+"). Another value made only of phone characters (digits, spaces,
  ( ) / . - and one leading +, starting with + ( or a digit) is written unchanged: it has no
  letters, so it can name no function and no cell. Anything else is text.
- TEXT: a value whose first character is = + - @ tab or CR, or whose first character after
  leading whitespace and double quote marks is = + - @, gets a leading apostrophe (the OWASP
  advice), which spreadsheets show as text.

Dialects: German spreadsheets (Excel, LibreOffice in a German locale) split a line at
semicolons and read "1234,50" as a number; English ones split at commas and read "1234.50".
So a file is written in one of two dialects (COMMA: "," and ".", SEMICOLON: ";" and ","),
chosen by the setting CRM_CSV_DIALECT, whose default "auto" follows the user's language
(German: SEMICOLON). Only the separator and the decimal mark change; dates stay ISO 8601,
which both read (in the SEMICOLON dialect with a space before the time, which spreadsheets
take for a date and time, not text).

The module is in the project package, below every app, so every app may import it.
"""

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import phonenumbers
from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation

TEXT = "text"
NUMBER = "number"
DATE = "date"
PHONE = "phone"
KINDS = frozenset({TEXT, NUMBER, DATE, PHONE})

# What makes a spreadsheet read a cell as a formula (OWASP "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters some spreadsheets skip before they look for the formula sign (not the
# apostrophe: a cell that starts with one is already text).
_SKIPPED = ' \t\r\n\u00a0"“”„‘’«»'
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_PHONE = re.compile(r"\+?[0-9(][0-9 ()./-]*")


@dataclass(frozen=True)
class Dialect:
    name: str
    delimiter: str
    decimal: str
    date_time_separator: str


COMMA = Dialect("comma", ",", ".", "T")
SEMICOLON = Dialect("semicolon", ";", ",", " ")
DIALECTS = {dialect.name: dialect for dialect in (COMMA, SEMICOLON)}
# Languages whose spreadsheets expect the semicolon and the decimal comma.
SEMICOLON_LANGUAGES = frozenset({"de"})


def dialect_for_language(language=None):
    """The dialect of the setting, or for "auto" the one of `language` (default: the active)."""
    if settings.CRM_CSV_DIALECT != "auto":
        return DIALECTS[settings.CRM_CSV_DIALECT]
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return SEMICOLON if language in SEMICOLON_LANGUAGES else COMMA


def text_cell(text):
    """A text value a spreadsheet shows as text: a leading apostrophe defuses formulas."""
    # Apostrophes already in front are looked through, so that text_from_cell() can tell the
    # one added here from one that was typed.
    bare = text.lstrip("'")
    if bare[:1] in FORMULA_STARTS or bare.lstrip(_SKIPPED)[:1] in ("=", "+", "-", "@"):
        return "'" + text
    return text


def text_from_cell(text):
    """The inverse of text_cell() for the CSV import: drop the apostrophe the export added,
    so that an exported file imports back as it was typed."""
    if text[:1] == "'" and text_cell(text[1:]) == text:
        return text[1:]
    return text


def cell(value, kind=TEXT, dialect=COMMA, tz=None):
    """One cell of kind TEXT, NUMBER, DATE or PHONE as the string the CSV writer gets.

    Aware datetimes are written in `tz` (default: the current time zone)."""
    if value is None:
        return ""
    if kind == NUMBER:
        number = _number(value)
        if number is None:
            return text_cell(str(value))
        return number.replace(".", dialect.decimal) if dialect.decimal != "." else number
    if kind == DATE:
        if isinstance(value, datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value, tz)
            return value.isoformat(sep=dialect.date_time_separator, timespec="seconds")
        if isinstance(value, date):
            return value.isoformat()
        return text_cell(str(value))
    if kind == PHONE:
        text = str(value)
        return phone_text(text) if _PHONE.fullmatch(text) else text_cell(text)
    if kind == TEXT:
        return text_cell(str(value))
    raise ValueError(f"unknown CSV column kind {kind!r}")


def phone_text(text):
    """A valid phone number in the international format with spaces ("+49 30 1234567"), else
    `text` as it is (docs/csv.md, "Phone numbers"). Only for text of phone characters: letters
    (a vanity number) are not turned into digits."""
    try:
        number = phonenumbers.parse(text.strip(), settings.LEADS_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_valid_number(number):
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _number(value):
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return format(value, "f")
    if isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value):
        return value
    return None


def row(values, kinds, dialect=COMMA, tz=None):
    """The cells of one row; `values` and `kinds` must have the same length."""
    return [cell(value, kind, dialect, tz) for value, kind in zip(values, kinds, strict=True)]


class _Echo:
    def write(self, value):
        return value


def lines(*, header, kinds, rows, dialect=None):
    """The file's lines as strings: a byte-order mark (Excel then reads UTF-8), the header,
    then every row through `row()`. Lazy, so a streamed export holds one row at a time.

    The dialect (default: dialect_for_language()) and the time zone are taken now, in the
    request: a streamed response is read after the request's language and zone are reset."""
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"unknown CSV column kind {kind!r}")
    dialect = dialect or dialect_for_language()
    tz = timezone.get_current_timezone()
    writer = csv.writer(_Echo(), delimiter=dialect.delimiter)

    def generate():
        yield "\ufeff" + writer.writerow([text_cell(str(name)) for name in header])
        for values in rows:
            yield writer.writerow(row(values, kinds, dialect, tz))

    return generate()


def response(*, filename, header, kinds, rows, streaming=False, dialect=None):
    """A download of `rows` as `filename` (UTF-8 with BOM, in the user's dialect: comma and
    decimal point, or semicolon and decimal comma).

    `streaming=True` for exports whose size grows with the data (the rows are then read while
    the response is sent).
    """
    content = lines(header=header, kinds=kinds, rows=rows, dialect=dialect)
    if streaming:
        result = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    else:
        result = HttpResponse("".join(content), content_type="text/csv; charset=utf-8")
    result["Content-Disposition"] = f'attachment; filename="{_ascii_filename(filename)}"'
    return result


def _ascii_filename(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "export.csv"
